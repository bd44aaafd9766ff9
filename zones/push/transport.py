"""DNS on the wire: RFC 2136 UPDATE messages signed with TSIG over TCP, AXFR, SOA and DNSKEY queries, and DS lookups
through a resolver (dnspython)."""

from __future__ import annotations

import secrets
import select
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.update
import dns.xfr
import dns.zone

# A DNS message over TCP holds at most 65,535 bytes. Leave room for the header, the zone section, the SOA
# prerequisite and replacement, and the TSIG record.
MESSAGE_BUDGET = 60_000
TIMEOUT = 10.0
AXFR_LIFETIME = 120.0
# What a signing server adds to a zone itself, never compared or pushed: signatures and denial-of-existence records at
# any name, BIND's private signing-state records (TYPE65534), and the keys and their CDS/CDNSKEY at the apex only
# (a DNSKEY elsewhere is no signer's and is drift like any record). The SOA is compared on its own.
SIGNER_TYPES = frozenset(dns.rdatatype.from_text(t) for t in ("RRSIG", "NSEC", "NSEC3", "NSEC3PARAM")) | {
    dns.rdatatype.RdataType.make(65534)
}
APEX_SIGNER_TYPES = frozenset(dns.rdatatype.from_text(t) for t in ("DNSKEY", "CDS", "CDNSKEY"))

Key = tuple[dns.name.Name, dns.rdatatype.RdataType]


class TransportError(Exception):
    """The server could not be reached, did not answer in time, or answered with an error."""


class PrerequisiteFailed(TransportError):
    """The server's SOA is not the one we last confirmed (NXRRSET): somebody else changed the zone."""


class ZoneMissing(TransportError):
    """The server is not authoritative for the zone (NOTAUTH, NOTZONE, REFUSED on transfer)."""


class UpdateRefused(TransportError):
    """The server refused the UPDATE (REFUSED, SERVFAIL, ...) and applied nothing of it; `rcode` is its answer."""

    def __init__(self, rcode: str) -> None:
        super().__init__(f"UPDATE answered {rcode}")
        self.rcode = rcode


@dataclass(frozen=True)
class Server:
    address: str
    port: int
    key: dns.tsig.Key


@dataclass(frozen=True)
class RRsetChange:
    """The state an RRset must have on the server: `rdataset` None means the RRset must not exist.

    `previous` is what the server has of it, where that matters: the apex NS set, which servers never delete as a
    whole (RFC 2136 §3.4.2.4), so its old records are deleted one by one after the new ones are added.
    """

    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    rdataset: dns.rdataset.Rdataset | None
    previous: dns.rdataset.Rdataset | None = None

    def wire_size(self) -> int:
        # A deletion costs one RR without data; a replacement adds each record (uncompressed: an upper bound).
        owner = len(self.name.to_wire() or b"") + 10
        size = owner
        if self.rdataset is not None:
            size += sum(owner + len(rdata.to_wire() or b"") for rdata in self.rdataset)
        return size


def tsig_key(name: str, secret: str, algorithm: str) -> dns.tsig.Key:
    return dns.tsig.Key(name, secret, algorithm)


def server_managed(key: Key, origin: dns.name.Name) -> bool:
    """True for the RRsets a server keeps itself (the SOA, and a signer's records): not data to compare or push."""
    name, rdtype = key
    if name == origin:
        return rdtype == dns.rdatatype.SOA or rdtype in APEX_SIGNER_TYPES or rdtype in SIGNER_TYPES
    return rdtype in SIGNER_TYPES


def chunks(changes: Iterable[RRsetChange], budget: int = MESSAGE_BUDGET) -> Iterator[list[RRsetChange]]:
    """Group RRset changes into messages below the 64 KB limit, never splitting one RRset across messages."""
    chunk: list[RRsetChange] = []
    size = 0
    for change in changes:
        cost = change.wire_size()
        if chunk and size + cost > budget:
            yield chunk
            chunk, size = [], 0
        chunk.append(change)
        size += cost
    yield chunk


def update_send(
    server: Server,
    origin: dns.name.Name,
    changes: list[RRsetChange],
    *,
    soa: dns.rdata.Rdata | None,
    soa_ttl: int,
    expected_soa: dns.rdata.Rdata | None,
) -> None:
    """Send one UPDATE: each RRset as delete-RRset + add (replaying it is harmless), the SOA replaced last (unless
    `soa` is None: then the server counts its serial on itself).

    With `expected_soa` the message carries the prerequisite that the server's SOA is exactly that: a compare-and-swap
    that fails (PrerequisiteFailed) instead of applying a change set on top of a state we did not expect.
    """
    message = dns.update.UpdateMessage(origin, keyring=server.key)
    if expected_soa is not None:
        message.present(origin, expected_soa)
    for change in changes:
        if change.name == origin and change.rdtype == dns.rdatatype.NS:
            _apex_ns(message, change)
        elif change.rdataset is None:
            message.delete(change.name, change.rdtype)
        else:
            message.replace(change.name, change.rdataset)
    if soa is not None:
        message.replace(origin, soa_ttl, soa)
    try:
        response = _exchange(server, message)
    except TransportError:
        # A server without the zone may refuse without signing its answer (Knot's NOTAUTH), which reads as a bad
        # signature: ask it plainly whether it serves the zone before blaming the key.
        if _reachable(server) and soa_query(server, origin) is None:
            raise ZoneMissing(f"the server is not authoritative for {origin}") from None
        raise
    rcode = response.rcode()
    if rcode == dns.rcode.NXRRSET:
        raise PrerequisiteFailed("the server's SOA is not the one last confirmed")
    if rcode in (dns.rcode.NOTAUTH, dns.rcode.NOTZONE):
        raise ZoneMissing(f"the server is not authoritative for {origin} ({dns.rcode.to_text(rcode)})")
    if rcode != dns.rcode.NOERROR:
        raise UpdateRefused(dns.rcode.to_text(rcode))


def _apex_ns(message: dns.update.UpdateMessage, change: RRsetChange) -> None:
    # A server ignores the deletion of the whole apex NS set (and of its last record), so a delete-and-add would leave
    # the old set beside the new one; BIND then refuses the UPDATE when an old NS inside the zone loses its address.
    # The new records go first, then each old one alone, so the zone is never left without NS.
    wanted = list(change.rdataset) if change.rdataset is not None else []
    if change.rdataset is not None:
        message.add(change.name, change.rdataset)
    if change.previous is None:
        message.delete(change.name, change.rdtype)
        return
    for rdata in change.previous:
        if rdata not in wanted:
            message.delete(change.name, rdata)


def soa_query(server: Server, origin: dns.name.Name) -> dns.rdata.Rdata | None:
    """The server's SOA of the zone over TCP, or None when it does not serve the zone."""
    query = dns.message.make_query(origin, dns.rdatatype.SOA)
    response = _exchange(server, query)
    if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
        return None
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == origin:
            soa: dns.rdata.Rdata = rrset[0]
            return soa
    return None


# The verifier's SOA sweep over UDP: seconds before a query is sent again, how often, and after how many unanswered
# queries in a row a server is given up for the rest of the sweep (a dead server must not cost a timeout per zone).
SOA_SWEEP_TIMEOUT = 1.0
SOA_SWEEP_TRIES = 3
SOA_SWEEP_GIVE_UP = 64


@dataclass(frozen=True)
class SoaAnswer:
    """One zone's SOA serial as the server answered it: `serial` None when it does not serve the zone, `error` when
    it did not answer at all."""

    serial: int | None = None
    error: str = ""


def soa_sweep(server: Server, origins: Sequence[dns.name.Name], *, window: int) -> list[SoaAnswer]:
    """Every origin's SOA serial from the server, over UDP, `window` queries in flight on one socket.

    Unanswered queries are sent again (SOA_SWEEP_TRIES in all); after SOA_SWEEP_GIVE_UP queries in a row without an
    answer the server is given up, every zone not yet answered taking its error at once. A truncated answer is asked
    again over TCP.
    """
    sweep = _SoaSweep(server, origins, window)
    try:
        sweep.run()
    finally:
        sweep.sock.close()
    return [answer or SoaAnswer(error="not asked") for answer in sweep.answers]


class _SoaSweep:
    def __init__(self, server: Server, origins: Sequence[dns.name.Name], window: int) -> None:
        self.server, self.origins, self.window = server, origins, window
        self.answers: list[SoaAnswer | None] = [None] * len(origins)
        self.in_flight: dict[int, tuple[int, float]] = {}  # message id: (index, deadline)
        self.tries = [0] * len(origins)
        self.waiting = deque(range(len(origins)))
        self.silent = 0  # queries given up since the last answer
        family = socket.AF_INET6 if ":" in server.address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        # Connected: only the server's datagrams arrive, and a closed port fails at once (ICMP) instead of timing out.
        self.sock.connect((server.address, server.port))

    def run(self) -> None:
        try:
            while self.waiting or self.in_flight:
                self._send()
                earliest = min(deadline for _, deadline in self.in_flight.values())
                readable, _, _ = select.select([self.sock], [], [], max(0.0, earliest - time.monotonic()))
                if readable:
                    self._receive()
                self._expire()
                if self.silent >= min(SOA_SWEEP_GIVE_UP, len(self.origins)):
                    self._give_up(f"no answer to {self.silent} SOA queries in a row")
        except OSError as exc:
            self._give_up(_describe(exc))

    def _send(self) -> None:
        while self.waiting and len(self.in_flight) < self.window:
            index = self.waiting.popleft()
            query = dns.message.make_query(self.origins[index], dns.rdatatype.SOA)
            query.id = self._free_id()
            self.sock.send(query.to_wire())
            self.tries[index] += 1
            self.in_flight[query.id] = (index, time.monotonic() + SOA_SWEEP_TIMEOUT)

    def _free_id(self) -> int:
        while True:
            ident = secrets.randbits(16)  # unpredictable, like any resolver's: a forged answer must guess it
            if ident not in self.in_flight:
                return ident

    def _receive(self) -> None:
        while True:
            try:
                wire = self.sock.recv(65535)
            except BlockingIOError:
                return
            try:
                response = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue  # garbage: the query is sent again when its time is up
            found = self.in_flight.get(response.id)
            if found is None or not response.question or response.question[0].name != self.origins[found[0]]:
                continue  # a late answer to a query given up, or not an answer to ours
            del self.in_flight[response.id]
            self.silent = 0
            self.answers[found[0]] = self._answer(response, self.origins[found[0]])

    def _answer(self, response: dns.message.Message, origin: dns.name.Name) -> SoaAnswer:
        if response.flags & dns.flags.TC:
            try:
                soa = soa_query(self.server, origin)
            except TransportError as exc:
                return SoaAnswer(error=str(exc))
            return SoaAnswer(serial=None if soa is None else int(soa.serial))  # type: ignore[attr-defined]
        if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
            return SoaAnswer()
        found = response.get_rrset(response.answer, origin, dns.rdataclass.IN, dns.rdatatype.SOA)
        return SoaAnswer(serial=None if found is None else int(found[0].serial))

    def _expire(self) -> None:
        now = time.monotonic()
        for ident, (index, deadline) in list(self.in_flight.items()):
            if deadline > now:
                continue
            del self.in_flight[ident]
            if self.tries[index] < SOA_SWEEP_TRIES:
                self.waiting.appendleft(index)
            else:
                self.silent += 1
                self.answers[index] = SoaAnswer(error=f"no answer after {SOA_SWEEP_TRIES} SOA queries")

    def _give_up(self, reason: str) -> None:
        error = f"{self.server.address}#{self.server.port}: {reason}"
        for index, answer in enumerate(self.answers):
            if answer is None:
                self.answers[index] = SoaAnswer(error=error)
        self.waiting.clear()
        self.in_flight.clear()


def rrset_query(server: Server, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.rdataset.Rdataset | None:
    """The RRset the server answers for `name` and `rdtype` (over TCP, signed with TSIG), or None when it has none."""
    query = dns.message.make_query(name, rdtype)
    query.use_tsig(server.key)
    response = _exchange(server, query)
    found = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
    return None if found is None else dns.rdataset.from_rdata_list(found.ttl, list(found))


def dnskey_query(server: Server, origin: dns.name.Name) -> tuple[dns.rrset.RRset, dns.rrset.RRset | None] | None:
    """The zone's DNSKEY RRset and the RRSIGs over it, asked over TCP signed with TSIG (the answer's TSIG is checked
    by dnspython); None when the server serves the zone without keys. ZoneMissing when it does not serve the zone."""
    query = dns.message.make_query(origin, dns.rdatatype.DNSKEY, want_dnssec=True)
    query.use_tsig(server.key)
    response = _exchange(server, query)
    if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
        raise ZoneMissing(f"the server does not serve {origin} ({dns.rcode.to_text(response.rcode())})")
    keys = response.get_rrset(response.answer, origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    if keys is None:
        return None
    signatures = response.get_rrset(
        response.answer, origin, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY
    )
    return keys, signatures


@dataclass(frozen=True)
class DSAnswer:
    records: list[dns.rdata.Rdata]  # empty: the parent has no DS for the name
    ttl: int | None
    authenticated: bool  # the resolver validated the answer (AD)


def ds_lookup(address: str, port: int, name: dns.name.Name) -> DSAnswer:
    """Ask a (validating) resolver for the DS RRset of `name` (UDP, TCP when truncated). TransportError when it
    cannot say (no answer, SERVFAIL: a parent that does not validate, say)."""
    query = dns.message.make_query(name, dns.rdatatype.DS, want_dnssec=True)
    query.flags |= dns.flags.AD
    try:
        response, _ = dns.query.udp_with_fallback(query, address, port=port, timeout=TIMEOUT)
    except (OSError, EOFError, dns.exception.DNSException) as exc:
        raise TransportError(f"{address}#{port}: {_describe(exc)}") from None
    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise TransportError(f"the resolver {address}#{port} answered {dns.rcode.to_text(rcode)} for {name} DS")
    found = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.DS)
    records = list(found) if found is not None else []
    ttl = found.ttl if found is not None else None
    return DSAnswer(records=records, ttl=ttl, authenticated=bool(response.flags & dns.flags.AD))


def _reachable(server: Server) -> bool:
    try:
        _exchange(server, dns.message.make_query("version.bind.", dns.rdatatype.TXT, rdclass=dns.rdataclass.CH))
    except TransportError:
        return False
    return True


def zone_transfer(server: Server, origin: dns.name.Name) -> dict[Key, dns.rdataset.Rdataset]:
    """AXFR the zone (TSIG-signed): every RRset including the SOA, names absolute. ZoneMissing if not served."""
    zone = dns.zone.Zone(origin, relativize=False)
    query, _ = dns.xfr.make_query(zone, keyring=server.key)
    try:
        dns.query.inbound_xfr(
            server.address, zone, query=query, port=server.port, timeout=TIMEOUT, lifetime=AXFR_LIFETIME
        )
    except dns.xfr.TransferError as exc:
        if exc.rcode in (dns.rcode.NOTAUTH, dns.rcode.NOTZONE, dns.rcode.REFUSED, dns.rcode.SERVFAIL):
            raise ZoneMissing(f"AXFR of {origin} answered {dns.rcode.to_text(exc.rcode)}") from None
        raise TransportError(f"AXFR of {origin} failed: {exc}") from None
    except (OSError, EOFError, dns.exception.DNSException) as exc:
        raise TransportError(f"AXFR of {origin} failed: {_describe(exc)}") from None
    return {(name, rdataset.rdtype): rdataset for name, rdataset in zone.iterate_rdatasets()}


def _exchange(server: Server, message: dns.message.Message) -> dns.message.Message:
    try:
        return dns.query.tcp(message, server.address, port=server.port, timeout=TIMEOUT)
    except (OSError, EOFError, dns.exception.DNSException) as exc:
        # PeerBadSignature / PeerBadKey mean a wrong TSIG secret or key name; the message says which.
        raise TransportError(f"{server.address}#{server.port}: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
