"""Failed logins of the Primary DNS API v1: counted so that nobody else's failures can lock a zone's owner out.

Three counters (accounts.counters: shared by every worker), keyed on the client (an IPv4 address, or the /64 of an
IPv6 one: a single customer line has a /64 or more, so a per-address count would be no limit at all) and on the
zone's normalised name (escapes, letter case, trailing dot and UTS-46 mapping undone, so that `vict\\105m.test`,
`VICTIM.test.` and one with a fullwidth v are one zone, as they are to the password check):

- per client, any zone: LEGACY_API_FAILURES_PER_CLIENT per LEGACY_API_FAILURE_WINDOW;
- per zone and client: LEGACY_API_FAILURES_PER_ZONE_CLIENT per LEGACY_API_ZONE_CLIENT_WINDOW (an hour);
- per zone: past LEGACY_API_FAILURES_PER_ZONE within LEGACY_API_FAILURE_WINDOW the zone is under attack, and until
  that window ends only clients with no failure against it in their zone-client window may try. The owner's script,
  from its clean address, always gets through; an attacker gets the first guess of each of its clients, no more.

A domain that is not a valid name has no zone counters (it names no zone); its failures count against the client.
"""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings

from accounts.counters import count_event, counts_read
from accounts.net import IPAddress
from accounts.sql import Read
from zones import records
from zones.records import RecordError


def zone_key(domain: str) -> str | None:
    """The zone name the throttle counts under, or None if `domain` is not a domain name."""
    try:
        return records.zone_name_normalize(domain)
    except RecordError:
        return None


def client_key(client: IPAddress | None) -> str:
    if isinstance(client, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((client, 64), strict=False))
    return str(client)


def _key(kind: str, *values: str) -> str:
    # Hashed: whatever the client sent, the cache key stays short and safe.
    digest = hashlib.sha256("\0".join(values).encode("utf-8", "replace")).hexdigest()[:32]
    return f"legacy-fail:{kind}:{digest}"


def _keys(client: str, zone: str | None) -> dict[str, str]:
    keys = {"client": _key("ip", client)}
    if zone is not None:
        keys["zone"] = _key("zone", zone)
        keys["zone-client"] = _key("zone-ip", zone, client)
    return keys


def blocked(*, client: IPAddress | None, zone: str | None) -> bool:
    """True if this client may not try a password for this zone now."""
    return blocked_read(client=client, zone=zone).run()


def blocked_read(*, client: IPAddress | None, zone: str | None) -> Read[bool]:
    """blocked() as a read that can travel with the zone's lock (zone_apply's gate)."""
    keys = _keys(client_key(client), zone)

    def decision(found: dict[str, int]) -> bool:
        count = {kind: found[key] for kind, key in keys.items()}
        if count["client"] >= settings.LEGACY_API_FAILURES_PER_CLIENT:
            return True
        if zone is None:
            return False
        mine = count["zone-client"]
        under_attack = count["zone"] >= settings.LEGACY_API_FAILURES_PER_ZONE
        return mine >= settings.LEGACY_API_FAILURES_PER_ZONE_CLIENT or (under_attack and mine > 0)

    return counts_read(keys.values()).then(decision)


def record_failure(*, client: IPAddress | None, zone: str | None) -> None:
    windows = {
        "client": settings.LEGACY_API_FAILURE_WINDOW,
        "zone": settings.LEGACY_API_FAILURE_WINDOW,
        "zone-client": settings.LEGACY_API_ZONE_CLIENT_WINDOW,
    }
    for kind, key in _keys(client_key(client), zone).items():
        count_event(key, windows[kind])
