"""Request rates per API key, per zone and per client address (DRF answers 429 with Retry-After).

Each scope is a fixed window opened by its first request and not extended by later ones (accounts/counters.py): at
most the configured number of requests per window, and Retry-After says exactly when the window ends. A request's
scopes are counted together, in one round trip (`throttles_count`); a request refused by one scope is still counted by
the others, as DRF's own throttles count it in every throttle that lets it through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts import sql
from accounts.counters import count_events_read
from accounts.models import ApiKey
from accounts.net import client_address


class CountedThrottle(SimpleRateThrottle):
    """A DRF throttle counted by accounts.counters (shared by every worker); `throttles_count` counts several."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.seconds_left = throttles_count(request, view, [self])
        return self.seconds_left is None

    def wait(self) -> float | None:
        return getattr(self, "seconds_left", None)


class KeyThrottle(CountedThrottle):
    scope = "apikey"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return f"throttle:apikey:{request.auth.key_id}"


class AddressThrottle(CountedThrottle):
    scope = "address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"throttle:address:{client_address(request)}"


class ZoneThrottle(CountedThrottle):
    """Per zone, shared by every key and address that may reach it: one customer's tools cannot flood a zone's journal
    and pushes. Not a view throttle: the REST views add it to a request's scopes once the key has been allowed to see
    the zone, so the requests of others (another account's key, a 404 for them) never use up a zone's budget."""

    scope = "zone"

    def __init__(self, zone_id: int) -> None:
        super().__init__()
        self.zone_id = zone_id

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"throttle:zone:{self.zone_id}"


def throttles_count(request: Request, view: Any, throttles: Sequence[Any]) -> float | None:
    """Count the request in every throttle's scope at once; None if all allow it, else the seconds until the last
    refusing window ends (at least 1: Retry-After is whole seconds)."""
    return throttles_read(request, view, throttles).run()


def throttles_read(request: Request, view: Any, throttles: Sequence[Any]) -> sql.Read[float | None]:
    """throttles_count as a statement that can travel in the round trip of others (accounts.counters)."""
    scopes: dict[str, Any] = {}  # DRF's stubs do not know SimpleRateThrottle's rate attributes
    for throttle in throttles:
        key = throttle.get_cache_key(request, view) if throttle.rate is not None else None
        if key is not None:
            scopes[key] = throttle

    def wait(counted: dict[str, tuple[int, float]]) -> float | None:
        refusals = [left for key, (count, left) in counted.items() if count > int(scopes[key].num_requests or 0)]
        return max(1.0, math.ceil(max(refusals))) if refusals else None

    return count_events_read({key: int(throttle.duration or 1) for key, throttle in scopes.items()}).then(wait)


def zone_throttle(view: APIView, request: Request, zone_id: int) -> None:
    """Count a request that touches the zone, or refuse it (429 with Retry-After) over the zone's rate: for views
    that count their other scopes before they know the zone."""
    wait = throttles_count(request, view, [ZoneThrottle(zone_id)])
    if wait is not None:
        view.throttled(request, wait)
