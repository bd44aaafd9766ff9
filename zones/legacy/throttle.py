"""Counting failed logins per client address and per zone in Django's cache (Redis in production)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    # The domain is whatever the client sent: hashed, it cannot make a long or malformed cache key.
    return f"legacy-fail:{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()[:32]}"


def _keys(client: str, zone: str) -> list[tuple[str, int]]:
    return [
        (_key("ip", client), settings.LEGACY_API_FAILURES_PER_CLIENT),
        (_key("zone", zone), settings.LEGACY_API_FAILURES_PER_ZONE),
    ]


def blocked(*, client: str, zone: str) -> bool:
    counts = cache.get_many([key for key, _ in _keys(client, zone)])
    return any(counts.get(key, 0) >= limit for key, limit in _keys(client, zone))


def record_failure(*, client: str, zone: str) -> None:
    for key, _ in _keys(client, zone):
        # add() starts the window; incr() keeps its expiry, so a steady trickle of failures cannot extend it forever.
        if not cache.add(key, 1, timeout=settings.LEGACY_API_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=settings.LEGACY_API_FAILURE_WINDOW)
