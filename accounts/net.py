"""The client's address, as far as it can be trusted."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=1)
def _trusted(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: IPAddress) -> bool:
    return any(address in network for network in _trusted(tuple(settings.TRUSTED_PROXIES)))


def _parse(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    # A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d; it is the IPv4 address that the client has.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: HttpRequest) -> IPAddress | None:
    """The socket peer, or, when the peer is a trusted proxy, the nearest untrusted hop of X-Forwarded-For.

    Walking X-Forwarded-For from the right and stopping at the first untrusted hop means a client cannot choose the
    address we see by sending its own header: only the hops our proxies appended are believed.
    """
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None or not _is_trusted(peer):
        return peer
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    address = peer
    for hop in reversed(hops):
        parsed = _parse(hop)
        if parsed is None:
            break
        address = parsed
        if not _is_trusted(parsed):
            break
    return address
