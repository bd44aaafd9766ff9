"""Settings for the test suite: the product's settings with fast hashing and a throwaway secret."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("SECURE_COOKIES", "0")

from panel.settings import *  # noqa: F403

# Django's cache stays in this process's memory even when REDIS_URL is set (a developer's .env, or `make test
# REDIS_URL=...`, which hands that Redis to the push worker tests as their broker, TEST_REDIS_URL): the autouse
# cache.clear() must not flush a shared Redis under another test process, and the suite behaves the same either way.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
