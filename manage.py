#!/usr/bin/env python
"""Django's command-line utility for ctrlpanel."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line

# Commands that read only the code and the migrations: they sign nothing and serve nothing, so a checkout without a
# .env (CI's lint, a reviewer's `manage.py makemigrations --check`) may run them without a secret. Every other command,
# the servers and migrate included, still refuses to start without SECRET_KEY.
SCHEMA_ONLY = {"makemigrations", "showmigrations", "sqlmigrate"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    if len(sys.argv) > 1 and sys.argv[1] in SCHEMA_ONLY:
        os.environ.setdefault("SECRET_KEY", "schema-only-command-signs-nothing")

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings now, so a missing variable is named, not hidden)
    except ImproperlyConfigured as exc:
        # Django would carry on without settings and fail later with "Models aren't loaded yet".
        sys.exit(f"{exc}. `make run` writes a .env with a fresh SECRET_KEY; see .env.example (DEBUG=1 to develop).")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
