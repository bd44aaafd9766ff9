"""panel.wsgi, the application every server loads (gunicorn in production, waitress for `make run`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_what_the_application_loaded_is_frozen_out_of_the_garbage_collectors_full_collections(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="wsgi-test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    code = "import gc, panel.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, tracked = done.stdout.split()
    # Django, the apps, the URL configuration and every view: tens of thousands of objects a full collection no
    # longer walks; what is left to collect is the little made since.
    assert int(frozen) > 50_000
    assert int(tracked) < int(frozen) // 10
