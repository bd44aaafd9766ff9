"""panel.wsgi, the application every server loads (gunicorn in production, waitress for `make run`)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_with_settings


def test_what_the_application_loaded_is_frozen_out_of_the_garbage_collectors_full_collections(tmp_path: Path) -> None:
    code = "import gc, panel.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    done = run_with_settings(code, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, tracked = done.stdout.split()
    # Django, the apps, the URL configuration and every view: tens of thousands of objects a full collection no
    # longer walks; what is left to collect is the little made since.
    assert int(frozen) > 50_000
    assert int(tracked) < int(frozen) // 10
