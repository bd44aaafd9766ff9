"""Throttle counters on the database cache (the default without REDIS_URL) keep their windows and their counts."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.counters import count_event, counts

DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_counters_cache"}
}


@pytest.fixture
def database_cache(db):
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
        yield


@pytest.mark.usefixtures("database_cache")
def test_events_count_up_in_the_database_cache() -> None:
    assert [count_event("k", 60) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert counts(["k", "other"]) == {"k": 5, "other": 0}


@pytest.mark.usefixtures("database_cache")
def test_a_trickle_of_events_does_not_extend_the_window() -> None:
    assert count_event("k", 4) == 1
    time.sleep(2)
    assert count_event("k", 4) == 2  # Django's own incr would have restarted the expiry at the default 300 s
    time.sleep(2.5)
    assert counts(["k"]) == {"k": 0}
    assert count_event("k", 4) == 1
