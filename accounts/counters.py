"""Event counters for throttling (failed sign-ins, failed API passwords, dyndns updates), shared by every worker.

They live in Django's cache: Redis when REDIS_URL is set, else the database cache on the product's own database
(panel/settings.py), so that two gunicorn workers, or two servers, count the same failures. Each counter's window
starts with its first event and is not extended by later ones: a steady trickle cannot keep a lock alive forever,
and cannot keep resetting it either.

Redis (and the in-process cache the tests use) add and increment atomically and keep the expiry on increment. The
database cache does neither (its incr is a read then a write with the default timeout), so there the count is read
and written inside one transaction that holds a lock for that key: SQLite's IMMEDIATE transactions (the write lock
at BEGIN), PostgreSQL's transaction-scoped advisory lock. No increment is lost between processes.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction


def counts(keys: Iterable[str]) -> dict[str, int]:
    """The current count of each key (0 for one with no events in its window)."""
    wanted = list(keys)
    found = caches["default"].get_many(wanted)
    return {key: _count(found.get(key)) for key in wanted}


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
    with transaction.atomic():
        _lock(key)
        now = time.time()
        value = cache.get(key)
        count, deadline = value if _windowed(value, now) else (0, now + window)
        cache.set(key, (count + 1, deadline), timeout=max(1, math.ceil(deadline - now)))
        return int(count) + 1


def _count(value: object) -> int:
    if isinstance(value, tuple) and _windowed(value, time.time()):
        return int(value[0])
    return value if isinstance(value, int) else 0


def _windowed(value: object, now: float) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and float(value[1]) > now


def _lock(key: str) -> None:
    # SQLite: the IMMEDIATE transaction (panel/settings.py) holds the database's write lock already.
    if connection.vendor == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])
