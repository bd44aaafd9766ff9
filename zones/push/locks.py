"""Locks that keep one push per zone, one control transaction per nameserver, and one prune of the journal at a time
across workers.

On PostgreSQL: session-level advisory locks. They are held across the network exchange without holding a
transaction open, and PostgreSQL releases them when the connection goes away, so a worker killed half-way
(SIGKILL, hard time limit) never leaves one behind. On other databases (SQLite: one host, the zero-setup default)
a lock inside the process: correctness across processes then rests on the SOA compare-and-swap prerequisite (and,
for the prune, on every batch being safe to repeat).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The first key of PostgreSQL's two-key advisory locks: which kind of object the second key counts.
ZONE_PUSH = 0x7A50  # "zP"
NAMESERVER_CONTROL = 0x6E43  # "nC"
JOURNAL_PRUNE = 0x6A50  # "jP": one lock, second key 0

_local_locks: dict[tuple[int, int], threading.RLock] = {}
_local_guard = threading.Lock()


@contextmanager
def zone_push_lock(zone_id: int, *, blocking: bool) -> Iterator[bool]:
    """Hold the zone's push lock for the block; yields False (without waiting) when another push holds it."""
    with _advisory(ZONE_PUSH, zone_id, blocking=blocking) as acquired:
        yield acquired


@contextmanager
def nameserver_control_lock(nameserver_id: int) -> Iterator[None]:
    with _advisory(NAMESERVER_CONTROL, nameserver_id, blocking=True):
        yield


@contextmanager
def journal_prune_lock() -> Iterator[bool]:
    """Held by a prune of the journal (zones/retention.py) for its whole run; yields False (without waiting) when
    another run holds it, so that the beat task and the command never prune side by side."""
    with _advisory(JOURNAL_PRUNE, 0, blocking=False) as acquired:
        yield acquired


@contextmanager
def _advisory(space: int, ident: int, *, blocking: bool) -> Iterator[bool]:
    key = ident % 2**31  # the second key is an int4
    if connection.vendor != "postgresql":
        with _local_guard:
            lock = _local_locks.setdefault((space, key), threading.RLock())
        acquired = lock.acquire(blocking=blocking)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    function = "pg_advisory_lock" if blocking else "pg_try_advisory_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [space, key])
        row = cursor.fetchone()
    acquired = blocking or bool(row and row[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space, key])
