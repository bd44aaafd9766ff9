"""Settings for the test suite: the product's settings with fast hashing and a throwaway secret."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("SECURE_COOKIES", "0")

from panel.settings import *  # noqa: F403
