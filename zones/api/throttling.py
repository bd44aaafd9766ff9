"""Request rates per API key, per zone and per client address (DRF answers 429 with Retry-After)."""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiKey
from accounts.net import client_address


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
    """Shared by every key and address: one customer's tools cannot flood a zone's journal and pushes."""

    scope = "zone"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        zone = getattr(view, "kwargs", {}).get("zone")
        if not zone:
            return None
        # The zone comes from the URL, unchecked: hash it so that any text makes a short, safe cache key.
        digest = hashlib.sha256(str(zone).lower().rstrip(".").encode()).hexdigest()[:32]
        return f"throttle:zone:{digest}"
