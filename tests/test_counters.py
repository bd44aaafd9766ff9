"""Throttle counters without Redis (the RateCount table, in the product's database) and on Redis keep their windows
and their counts."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.db import connection
from django.test import override_settings

from accounts.counters import count_event, count_events, counts
from accounts.models import RateCount


@pytest.mark.usefixtures("database_cache")
def test_events_count_up_in_the_database_cache() -> None:
    assert [count_event("k", 60) for _ in range(5)] == [1, 2, 3, 4, 5]
    assert counts(["k", "other"]) == {"k": 5, "other": 0}


@pytest.mark.usefixtures("database_cache")
def test_without_redis_a_failure_is_one_statement_and_a_read_another_on_the_counters_table(
    django_assert_num_queries,
) -> None:
    with django_assert_num_queries(1):
        assert count_event("fail:ip", 60) == 1
    assert count_events({"fail:ip": 60, "rate": 60})["fail:ip"][0] == 2  # the same counter, however counted
    with django_assert_num_queries(1):
        assert counts(["fail:ip", "rate", "never"]) == {"fail:ip": 2, "rate": 1, "never": 0}
    assert set(RateCount.objects.values_list("key", flat=True)) == {"fail:ip", "rate"}
    assert counts([]) == {}


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_counters_table_is_unlogged_on_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'accounts_ratecount'")
        assert cursor.fetchone() == ("u",)


@pytest.mark.usefixtures("database_cache")
def test_a_trickle_of_events_does_not_extend_the_window() -> None:
    assert count_event("k", 4) == 1
    time.sleep(2)
    assert count_event("k", 4) == 2  # Django's own incr would have restarted the expiry at the default 300 s
    time.sleep(2.5)
    assert counts(["k"]) == {"k": 0}
    assert count_event("k", 4) == 1


@pytest.mark.usefixtures("database_cache")
def test_a_requests_scopes_are_counted_in_one_statement_each_in_its_own_window(django_assert_num_queries) -> None:

    with django_assert_num_queries(1):
        first = count_events({"a": 60, "b": 2})
    assert (first["a"][0], first["b"][0]) == (1, 1)
    assert first["a"][1] == pytest.approx(60, abs=0.5)
    assert first["b"][1] == pytest.approx(2, abs=0.5)
    assert [count_events({"a": 60, "b": 2})["a"][0] for _ in range(3)] == [2, 3, 4]
    time.sleep(2.1)
    counted = count_events({"a": 60, "b": 2})
    assert counted["a"][0] == 5  # its window goes on
    assert counted["b"][0] == 1  # a new window: b's ended


@pytest.fixture
def redis_cache():
    """Django's Redis cache on the suite's real Redis (TEST_REDIS_URL, which `make test` provides), under a key
    prefix of this process's own: the production path with REDIS_URL set."""
    url = os.environ.get("TEST_REDIS_URL", "")
    assert url, "TEST_REDIS_URL is not set: run the suite with `make test`"
    prefix = f"test-counters-{os.getpid()}-{time.monotonic_ns()}"
    cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    with override_settings(CACHES=cache):
        yield
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.mark.usefixtures("redis_cache")
def test_a_requests_scopes_are_counted_in_one_round_trip_on_redis_each_in_its_own_window() -> None:
    first = count_events({"a": 60, "b": 2})
    assert (first["a"][0], first["b"][0]) == (1, 1)
    assert first["a"][1] == pytest.approx(60, abs=0.5)
    assert first["b"][1] == pytest.approx(2, abs=0.5)
    assert [count_events({"a": 60, "b": 2})["a"][0] for _ in range(3)] == [2, 3, 4]
    assert counts(["a", "b", "none"]) == {"a": 4, "b": 4, "none": 0}  # the same keys, read the way the checks read
    time.sleep(2.1)
    counted = count_events({"a": 60, "b": 2})
    assert counted["a"][0] == 5  # its window goes on
    assert counted["b"][0] == 1  # a new window: b's ended
    assert counted["b"][1] == pytest.approx(2, abs=0.5)


@pytest.mark.usefixtures("redis_cache")
def test_concurrent_requests_on_redis_lose_no_count() -> None:
    with ThreadPoolExecutor(8) as pool:
        seen = sorted(pool.map(lambda _: count_events({"shared": 60})["shared"][0], range(200)))
    assert seen == list(range(1, 201))


@pytest.mark.usefixtures("database_cache")
def test_a_sampled_count_also_deletes_the_counters_whose_window_ended(monkeypatch) -> None:
    RateCount.objects.create(key="gone", count=3, deadline=time.time() - 1)
    RateCount.objects.create(key="open", count=3, deadline=time.time() + 60)
    monkeypatch.setattr("accounts.counters.PRUNE_ONE_IN", 1)
    assert count_events({"rate": 60})["rate"][0] == 1
    assert set(RateCount.objects.values_list("key", flat=True)) == {"open", "rate"}
