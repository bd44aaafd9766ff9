"""Event counters for throttling (failed sign-ins, failed API passwords, dyndns updates), shared by every worker.

They live in Redis when REDIS_URL is set (Django's cache), else in the product's own database (the RateCount table),
so that two gunicorn workers, or two servers, count the same failures. Each counter's window starts with its first
event and is not extended by later ones: a steady trickle cannot keep a lock alive forever, and cannot keep resetting
it either.

Redis (and the in-process cache the tests use) add and increment atomically and keep the expiry on increment. In the
database one INSERT ... ON CONFLICT ... RETURNING counts (the row's lock orders concurrent writers: no increment is
lost between processes) and one SELECT reads: Django's database cache, which held them before, needed a transaction,
a lock and a read before each write (its pickled values cannot be incremented in SQL), and its read alone cost a
REPLACE of the legacy API more than half a millisecond. On PostgreSQL the table is UNLOGGED (accounts migration
0006): a counter's write commits without waiting for the disk, and a crash of the database server empties it, which
at worst reopens the windows it held.

`count_events` counts one event on several keys at once, in one round trip (the REST APIs' three rate scopes of a
request): a Redis pipeline, one statement on the table, or the in-process cache under a lock.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from accounts import sql
from accounts.models import RateCount


def counts(keys: Iterable[str]) -> dict[str, int]:
    """The current count of each key (0 for one with no events in its window)."""
    return counts_read(keys).run()


def counts_read(keys: Iterable[str]) -> sql.Read[dict[str, int]]:
    """counts() as a read that can travel with another round trip (it has no statement when the counters are in
    Redis or in the process: they are read when its result is asked for)."""
    wanted = list(keys)
    cache = caches["default"]
    if isinstance(cache, RedisCache | LocMemCache):
        return sql.Read(None, lambda _: _cache_counts(cache, wanted))
    if not wanted:
        return sql.Read(None, lambda _: {})
    if connection.vendor == "postgresql":  # one text for any number of keys, prepared (accounts.sql)
        select = f"SELECT key, count FROM {_TABLE} WHERE key = ANY(%s::varchar[]) AND deadline > %s"  # noqa: S608
        parameters: list[Any] = [wanted, time.time()]
    else:
        placeholders = ", ".join(["%s"] * len(wanted))
        select = f"SELECT key, count FROM {_TABLE} WHERE key IN ({placeholders}) AND deadline > %s"  # noqa: S608
        parameters = [*wanted, time.time()]

    def result(rows: sql.Rows) -> dict[str, int]:
        found: dict[str, int] = dict(rows)
        return {key: int(found.get(key, 0)) for key in wanted}

    return sql.Read((select, parameters), result)


def _cache_counts(cache: RedisCache | LocMemCache, keys: list[str]) -> dict[str, int]:
    found = cache.get_many(keys)
    return {key: _count(found.get(key)) for key in keys}


def count_event(key: str, window: int) -> int:
    """Count one event for `key` in the window (seconds) its first event opened; return the new count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache | LocMemCache):
        if cache.add(key, 1, timeout=window):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window)
            return 1
    return _table_count({key: window}).run()[key][0]


def _count(value: object) -> int:
    if isinstance(value, tuple) and _windowed(value, time.time()):
        return int(value[0])
    return value if isinstance(value, int) else 0


def _windowed(value: object, now: float) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and float(value[1]) > now


def count_events(windows: Mapping[str, int]) -> dict[str, tuple[int, float]]:
    """Count one event for each key in the window (seconds) its first event opened, all in one round trip; return
    each key's new count and the seconds left in its window."""
    return count_events_read(windows).run()


def count_events_read(windows: Mapping[str, int]) -> sql.Read[dict[str, tuple[int, float]]]:
    """count_events() as a statement that can travel in the round trip of others (the REST APIs send it with the
    check of a remembered API key). In Redis or in the process, the events are counted when the result is asked for."""
    if not windows:
        return sql.Read(None, lambda _: {})
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return sql.Read(None, lambda _: _redis_count(cache, windows))
    if isinstance(cache, LocMemCache):
        return sql.Read(None, lambda _: _memory_count(cache, windows))
    return _table_count(windows)


def _redis_count(cache: RedisCache, windows: Mapping[str, int]) -> dict[str, tuple[int, float]]:
    # Integers are stored as such by Django's Redis serializer, so counts() and incr() read these keys too.
    keys = {key: cache.make_and_validate_key(key) for key in windows}
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]  # Django's client has no pipeline of its own
    pipeline = client.pipeline(transaction=True)
    for key, window in windows.items():
        pipeline.set(keys[key], 0, ex=window, nx=True)
        pipeline.incr(keys[key])
        pipeline.pttl(keys[key])
    replies = pipeline.execute()
    return {
        key: (int(replies[3 * index + 1]), max(int(replies[3 * index + 2]), 0) / 1000)
        for index, key in enumerate(windows)
    }


_MEMORY_LOCK = threading.Lock()


def _memory_count(cache: LocMemCache, windows: Mapping[str, int]) -> dict[str, tuple[int, float]]:
    # One process's cache (the tests'): a lock of this process makes read-and-write one step.
    now = time.time()
    counted: dict[str, tuple[int, float]] = {}
    with _MEMORY_LOCK:
        found = cache.get_many(list(windows))
        for key, window in windows.items():
            value: Any = found.get(key)
            count, deadline = value if _windowed(value, now) else (0, now + window)
            cache.set(key, (count + 1, deadline), timeout=max(1, math.ceil(deadline - now)))
            counted[key] = (int(count) + 1, deadline - now)
    return counted


# One call in this many also deletes the counters whose window has ended (client addresses come and go).
PRUNE_ONE_IN = 1000
_TABLE = RateCount._meta.db_table


def _table_count(windows: Mapping[str, int]) -> sql.Read[dict[str, tuple[int, float]]]:
    now = time.time()
    keys = sorted(windows)  # one order for every writer: PostgreSQL locks the rows in it, so no deadlock
    values = ", ".join(["(%s, 1, %s)"] * len(keys))
    upsert = (
        f"INSERT INTO {_TABLE} (key, count, deadline) VALUES {values} ON CONFLICT (key) DO UPDATE SET"  # noqa: S608
        f" count = CASE WHEN {_TABLE}.deadline > %s THEN {_TABLE}.count + 1 ELSE 1 END,"
        f" deadline = CASE WHEN {_TABLE}.deadline > %s THEN {_TABLE}.deadline ELSE excluded.deadline END"
        " RETURNING key, count, deadline"
    )
    parameters: list[Any] = [value for key in keys for value in (key, now + windows[key])]

    def result(rows: sql.Rows) -> dict[str, tuple[int, float]]:
        if random.randrange(PRUNE_ONE_IN) == 0:  # noqa: S311 (a sampling, not a secret)
            sql.Read((f"DELETE FROM {_TABLE} WHERE deadline < %s", [now]), lambda _: None).run()  # noqa: S608
        return {key: (int(count), float(deadline) - now) for key, count, deadline in rows}

    return sql.Read((upsert, [*parameters, now, now]), result)
