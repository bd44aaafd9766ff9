"""A change set on its way to one server: the order of its RRsets, and what to do when the server refuses part of it.

A server applies an UPDATE whole or not at all, so one RRset it refuses would hold back every change after it, forever:
each retry sends the same message again. When a message is refused, the RRsets are sent again in halves, down to
single RRsets, each message a compare-and-swap of its own; everything the server takes is delivered, and the error
names exactly the RRsets it refused and its answer. Nothing is confirmed while anything is refused, so the sweeper keeps
retrying (and the verifier keeps reporting) until the cause is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import dns.name
import dns.rdata
import dns.rdatatype

from zones import journal, records
from zones.push import transport
from zones.push.transport import RRsetChange, Server, TransportError, UpdateRefused

ADDRESS_TYPES = frozenset({dns.rdatatype.A, dns.rdatatype.AAAA})
SoaFor = Callable[[int], dns.rdata.Rdata]


class ChangesRefused(TransportError):
    """The server refused some RRsets of a change set (every other one was delivered), or every UPDATE."""


def delivery_order(changes: list[RRsetChange], origin: dns.name.Name) -> list[RRsetChange]:
    """The apex NS set first (new records before the old ones go), then the addresses of in-zone nameservers that
    arrive, then deletions, then additions.

    BIND checks after each UPDATE that every apex NS inside the zone has an address: the NS change and the glue it
    needs travel together at the front, and glue that goes is deleted after the NS that used it. Deletions come before
    additions because a server silently drops data added beside a CNAME, so a name that turns from CNAME into A must
    lose the CNAME first (RFC 2136 §3.4.2.2).
    """
    apex_ns = [c for c in changes if c.name == origin and c.rdtype == dns.rdatatype.NS]
    targets = {rdata.target for c in apex_ns for rdata in [*(c.rdataset or []), *(c.previous or [])]}
    rest = [c for c in changes if c not in apex_ns]
    glue = [c for c in rest if c.rdataset is not None and c.rdtype in ADDRESS_TYPES and c.name in targets]
    rest = [c for c in rest if c not in glue]
    deletions = [c for c in rest if c.rdataset is None]
    additions = [c for c in rest if c.rdataset is not None]
    return apex_ns + glue + deletions + additions


def with_previous(server: Server, origin: dns.name.Name, changes: list[RRsetChange]) -> list[RRsetChange]:
    """Fill in what the server has of the apex NS set, where the change does not say (a push from the journal)."""
    return [_with_previous(server, origin, change) for change in changes]


def _with_previous(server: Server, origin: dns.name.Name, change: RRsetChange) -> RRsetChange:
    if change.name != origin or change.rdtype != dns.rdatatype.NS or change.previous is not None:
        return change
    previous = transport.rrset_query(server, origin, change.rdtype)
    return RRsetChange(change.name, change.rdtype, change.rdataset, previous)


def deliver_around_refusal(
    server: Server,
    origin: dns.name.Name,
    changes: list[RRsetChange],
    *,
    expected: dns.rdata.Rdata,
    soa_for: SoaFor,
    soa_ttl: int,
    nameserver_name: str,
    refusal: UpdateRefused,
) -> NoReturn:
    """Deliver what the server takes of `changes` (the server's SOA is `expected`) and raise ChangesRefused naming
    the rest. A server that refuses even an UPDATE that changes nothing refuses the key or the zone, not the data."""
    try:
        transport.update_send(server, origin, [], soa=None, soa_ttl=soa_ttl, expected_soa=expected)
    except UpdateRefused as exc:
        raise ChangesRefused(f"{nameserver_name} refuses every UPDATE of {origin} ({exc})") from None
    sender = _Isolating(server, origin, expected, soa_for, soa_ttl)
    for chunk in transport.chunks(changes):
        sender.send(chunk)
    refused = ", ".join(_describe(change, rcode, origin) for change, rcode in sender.refused)
    delivered = len(changes) - len(sender.refused)
    raise ChangesRefused(
        f"{nameserver_name} refused {refused} ({refusal}); delivered the {delivered} other RRsets of the change set"
    )


class _Isolating:
    """Sends RRsets in ever smaller messages until each one the server refuses stands alone."""

    def __init__(self, server: Server, origin: dns.name.Name, expected: dns.rdata.Rdata, soa_for: SoaFor, ttl: int):
        self.server, self.origin, self.expected, self.soa_for, self.soa_ttl = server, origin, expected, soa_for, ttl
        self.refused: list[tuple[RRsetChange, str]] = []

    def send(self, changes: list[RRsetChange]) -> None:
        serial = journal.serial_add(int(self.expected.serial), 1) or 1  # type: ignore[attr-defined]  # never 0
        soa = self.soa_for(serial)
        try:
            transport.update_send(
                self.server, self.origin, changes, soa=soa, soa_ttl=self.soa_ttl, expected_soa=self.expected
            )
        except UpdateRefused as exc:
            if len(changes) == 1:
                self.refused.append((changes[0], exc.rcode))
                return
            middle = len(changes) // 2
            self.send(changes[:middle])
            self.send(changes[middle:])
            return
        self.expected = soa


def _describe(change: RRsetChange, rcode: str, origin: dns.name.Name) -> str:
    name = records.owner_relative(change.name, origin)
    text = f"{name} {dns.rdatatype.to_text(change.rdtype)} ({rcode})"
    if rcode == "REFUSED" and (change.rdtype == dns.rdatatype.NS or change.rdtype in ADDRESS_TYPES):
        # BIND gives its reason only in its log; this is the one it gives for such RRsets ("post update name server
        # sanity check failed"): after the UPDATE, an apex NS inside the zone would have no address.
        text += " [BIND refuses this when an apex NS inside the zone would be left without an address]"
    return text
