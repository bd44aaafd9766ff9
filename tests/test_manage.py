"""manage.py without a secret: the schema commands run (a fresh checkout's migration check), nothing else starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "panel.settings"
    env["DATABASE_URL"] = "sqlite:///:memory:"
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_migration_check_runs_without_a_secret() -> None:
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_every_other_command_still_refuses_to_start_without_a_secret() -> None:
    for command in ("migrate", "check", "createsuperuser"):
        result = _manage(command, "--help")
        assert result.returncode != 0, command
        assert "SECRET_KEY must be set" in result.stderr, command
