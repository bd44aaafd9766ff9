"""Request rates per API key, per zone and per client address (DRF answers 429 with Retry-After)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiKey
from accounts.net import client_address
from zones.models import Zone


class KeyThrottle(SimpleRateThrottle):
    scope = "apikey"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return f"throttle:apikey:{request.auth.key_id}"


class AddressThrottle(SimpleRateThrottle):
    scope = "address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"throttle:address:{client_address(request)}"


class ZoneThrottle(SimpleRateThrottle):
    """Per zone, shared by every key and address that may reach it: one customer's tools cannot flood a zone's journal
    and pushes. Not a view throttle: `zone_throttle` runs it once the key has been allowed to see the zone, so the
    requests of others (another account's key, a 404 for them) never use up a zone's budget."""

    scope = "zone"

    def __init__(self, zone: Zone) -> None:
        super().__init__()
        self.zone = zone

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"throttle:zone:{self.zone.pk}"


def zone_throttle(view: APIView, request: Request, zone: Zone) -> None:
    """Count a request that touches `zone`, or refuse it (429 with Retry-After) over the zone's rate."""
    throttle = ZoneThrottle(zone)
    if not throttle.allow_request(request, view):
        view.throttled(request, throttle.wait() or 1.0)  # None only without a history, which a refusal has
