"""A zone transfer the verifier can afford 200,000 times an hour: the AXFR read as wire, each record rendered as the
text the database stores.

dnspython's reader (transport.zone_transfer) builds a Name, an Rdata, an RRset and a zone node for every record and
hashes each Rdata through its canonical wire form: about 4 ms for a message of 30 records on the 2-core bench machine,
most of a full verifier pass. Here the messages are walked with struct and slices: owner names and the names inside
NS, CNAME, PTR, MX and SRV data are decoded to text (one regex decides that a name needs no escapes), A and AAAA by
socket.inet_ntop, TXT strings by hand when printable; any other type, and any name or string that would need escapes,
goes through dnspython for that one record. The TSIG of every message is still checked, by dns.tsig.validate as
dnspython's own reader calls it.

What comes out (Transfer.rrsets) compares with the database's stored strings: equal text proves equal data (the text
of a record parses back to that record), so a copy found equal here is identical. A copy found different, or that
could not be rendered, is compared again record by record from the same messages (Transfer.rdatasets, dnspython's
objects, as transport.zone_transfer returns them): text can differ where the data does not (a name's case).
"""

from __future__ import annotations

import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tsig

from zones.push.transport import (
    APEX_SIGNER_TYPES,
    AXFR_LIFETIME,
    SIGNER_TYPES,
    TIMEOUT,
    Key,
    Server,
    TransportError,
    ZoneMissing,
)

# A name's labels joined without dots: text as is when this matches (dnspython escapes nothing in it).
_PLAIN_LABELS = re.compile(rb"[A-Za-z0-9_*-]*")
# TXT character strings printed as is between quotes (no quote, backslash or control character to escape).
_PLAIN_STRING = re.compile(rb"[ !#-\[\]-~]*")
_TSIG = int(dns.rdatatype.TSIG)
_SOA = int(dns.rdatatype.SOA)
_DNSKEY = int(dns.rdatatype.DNSKEY)
_ANY_SIGNER = frozenset(int(t) for t in SIGNER_TYPES)
_APEX_SIGNER = frozenset(int(t) for t in APEX_SIGNER_TYPES) | {_SOA}
_MISSING = (dns.rcode.NOTAUTH, dns.rcode.NOTZONE, dns.rcode.REFUSED, dns.rcode.SERVFAIL)
_RR = struct.Struct("!HHIH")
_HEADER = struct.Struct("!HHHHHH")


class _Malformed(TransportError):
    """The answer is not a well-formed zone transfer."""


# (owner relative to the origin as stored, type as stored): (TTL, or -1 when the records' TTLs differ; data, sorted)
Texts = dict[tuple[str, str], tuple[int, list[str]]]


@dataclass
class Transfer:
    """One server's copy of a zone. `rrsets` is None when a record could not be placed (an owner outside the zone, a
    second SOA): compare it with `rdatasets()` then."""

    origin: dns.name.Name
    messages: list[bytes]
    soa_text: str = ""
    soa_serial: int = 0
    signed: bool = False  # keys at the apex: a signer's copy (dnssec.zone_is_signed)
    rrsets: Texts | None = field(default_factory=dict)

    def soa(self) -> dns.rdata.Rdata:
        return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, self.soa_text)

    def rdatasets(self) -> dict[Key, dns.rdataset.Rdataset]:
        """Every RRset including the SOA as dnspython objects, names absolute: transport.zone_transfer's answer."""
        found: dict[tuple[dns.name.Name, int, int], dns.rdataset.Rdataset] = {}
        for wire in self.messages:  # each message's TSIG was checked as it arrived
            message = dns.message.from_wire(wire, keyring=False, xfr=True)
            for rrset in message.answer:
                key = (rrset.name, rrset.rdtype, rrset.covers)
                rdataset = found.get(key)
                if rdataset is None:
                    rdataset = found[key] = dns.rdataset.Rdataset(rrset.rdclass, rrset.rdtype, rrset.covers)
                for rdata in rrset:
                    rdataset.add(rdata, rrset.ttl)
        # One RRSIG set per name as dns.zone's iterate_rdatasets gives it (the last covered type's): signer records
        # are not compared.
        return {(name, rdataset.rdtype): rdataset for (name, _, _), rdataset in found.items()}


def zone_transfer(server: Server, origin: dns.name.Name) -> Transfer:
    """AXFR the zone (TSIG-signed, every signed message checked). ZoneMissing when the server does not serve it."""
    query = dns.message.make_query(origin, dns.rdatatype.AXFR)
    query.use_tsig(server.key)
    wire = query.to_wire()
    deadline = time.monotonic() + AXFR_LIFETIME
    try:
        with socket.create_connection((server.address, server.port), timeout=TIMEOUT) as sock:
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            return _Reader(server, origin, query, sock, deadline).read()
    except (ZoneMissing, TransportError):
        raise
    except (OSError, EOFError, struct.error, IndexError, UnicodeError, dns.exception.DNSException) as exc:
        raise TransportError(f"AXFR of {origin} failed: {type(exc).__name__}: {exc}") from None


class _Reader:
    def __init__(
        self, server: Server, origin: dns.name.Name, query: dns.message.Message, sock: socket.socket, deadline: float
    ) -> None:
        self.server, self.origin, self.query, self.sock, self.deadline = server, origin, query, sock, deadline
        self.origin_text = origin.to_text()
        self.suffix = "." + self.origin_text
        self.transfer = Transfer(origin=origin, messages=[])
        self.records = 0  # answer records so far
        self.done = False
        self.tsig_context: object = None
        self.texts: dict[tuple[str, str], tuple[int, list[str]]] = {}

    def read(self) -> Transfer:
        last_signed = False
        while not self.done:
            wire = self._message()
            self.transfer.messages.append(wire)
            last_signed = self._walk(wire)
        if not last_signed:
            raise TransportError(f"AXFR of {self.origin}: the last message is not signed")
        if self.transfer.rrsets is not None:
            self.transfer.rrsets = {key: (ttl, sorted(data)) for key, (ttl, data) in self.texts.items()}
        return self.transfer

    def _message(self) -> bytes:
        (length,) = struct.unpack("!H", self._read(2))
        return self._read(length)

    def _read(self, count: int) -> bytes:
        chunks = []
        while count:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TransportError(f"AXFR of {self.origin} took longer than {AXFR_LIFETIME:.0f} s")
            self.sock.settimeout(min(TIMEOUT, remaining))
            chunk = self.sock.recv(count)
            if not chunk:
                raise EOFError("the server closed the connection")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _walk(self, wire: bytes) -> bool:
        """Read one message's records; True when it carried a TSIG (checked)."""
        ident, flags, questions, answers, authority, additional = _HEADER.unpack_from(wire)
        if ident != self.query.id or not flags & 0x8000:
            raise TransportError(f"AXFR of {self.origin}: an answer to another query")
        rcode = dns.rcode.from_flags(flags, 0)
        if rcode != dns.rcode.NOERROR:
            text = f"AXFR of {self.origin} answered {dns.rcode.to_text(rcode)}"
            raise ZoneMissing(text) if rcode in _MISSING else TransportError(text)
        names = _Names(wire)
        offset = 12
        for _ in range(questions):
            offset = names.skip(offset) + 4
        for _ in range(answers):
            offset = self._record(wire, names, offset)
        for _ in range(authority):
            offset = names.skip(offset)
            offset += 10 + int(_RR.unpack_from(wire, offset)[3])
        for index in range(additional):
            start = offset
            offset = names.skip(offset)
            rdtype, _, _, length = _RR.unpack_from(wire, offset)
            offset += 10
            if rdtype == _TSIG:
                if index != additional - 1:
                    raise _Malformed("TSIG is not the last record")
                owner, _ = dns.name.from_wire(wire, start)
                rdata = dns.rdata.from_wire(dns.rdataclass.ANY, dns.rdatatype.TSIG, wire, offset, length)
                self.tsig_context = dns.tsig.validate(  # type: ignore[no-untyped-call]
                    wire, self.server.key, owner, rdata, int(time.time()), self.query.mac, start,
                    self.tsig_context, True,
                )  # fmt: skip
                return True
            offset += length
        if self.tsig_context is None:
            raise TransportError(f"AXFR of {self.origin}: the answer is not signed")
        self.tsig_context.update(wire)  # type: ignore[attr-defined]  # an unsigned message between signed ones
        return False

    def _record(self, wire: bytes, names: _Names, offset: int) -> int:
        if self.done:
            raise _Malformed("records after the closing SOA")
        owner = names.text(offset)
        offset = names.skip(offset)
        rdtype, _, ttl, length = _RR.unpack_from(wire, offset)
        offset += 10
        end: int = offset + length
        self.records += 1
        name = self._relative(owner)
        if rdtype == _SOA and name == "@":
            if self.records == 1:
                self._soa(names, offset)
            else:
                self.done = True
            return end
        if self.records == 1:
            raise _Malformed("the transfer does not start with the zone's SOA")
        if rdtype in _ANY_SIGNER or (name == "@" and rdtype in _APEX_SIGNER):
            self.transfer.signed |= rdtype == _DNSKEY
            return end
        if not name:
            self.transfer.rrsets = None  # outside the zone, or not spelled as the origin is: compare record by record
            return end
        render = _RENDER.get(rdtype)
        text = render(wire, names, offset, end) if render is not None else None
        if text is None:
            text = dns.rdata.from_wire(
                dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype), wire, offset, length
            ).to_text()
        key = (name, _type_text(rdtype))
        entry = self.texts.get(key)
        if entry is None:
            self.texts[key] = (ttl, [text])
        else:
            if entry[0] != ttl:
                self.texts[key] = entry = (-1, entry[1])
            entry[1].append(text)
        return end

    def _relative(self, owner: str) -> str:
        """The owner as stored ('@', 'www'); empty when outside the zone or spelled otherwise than the origin."""
        if owner == self.origin_text:
            return "@"
        return owner[: -len(self.suffix)] if owner.endswith(self.suffix) else ""

    def _soa(self, names: _Names, offset: int) -> None:
        mname = names.text(offset)
        offset = names.skip(offset)
        rname = names.text(offset)
        offset = names.skip(offset)
        serial, refresh, retry, expire, minimum = struct.unpack_from("!IIIII", names.wire, offset)
        self.transfer.soa_serial = serial
        self.transfer.soa_text = f"{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"


class _Names:
    """Names of one message, decoded to dnspython's text (absolute), each offset once."""

    def __init__(self, wire: bytes) -> None:
        self.wire = wire
        self.known: dict[int, str] = {}

    def skip(self, offset: int) -> int:
        """The offset after the name at `offset` (a pointer ends it)."""
        wire = self.wire
        while True:
            length: int = wire[offset]
            if length == 0:
                return offset + 1
            if length >= 0xC0:
                return offset + 2
            offset += length + 1

    def text(self, offset: int) -> str:
        found = self.known.get(offset)
        if found is not None:
            return found
        wire = self.wire
        labels: list[bytes] = []
        position, hops = offset, 0
        while True:
            length = wire[position]
            if length == 0:
                break
            if length >= 0xC0:
                target = ((length & 0x3F) << 8) | wire[position + 1]
                if target >= position or hops > 127:
                    raise _Malformed("bad compression pointer")
                position, hops = target, hops + 1
                continue
            if length > 63:
                raise _Malformed("bad label")
            labels.append(wire[position + 1 : position + 1 + length])
            position += length + 1
        if _PLAIN_LABELS.fullmatch(b"".join(labels)):
            text = b".".join(labels).decode("ascii") + "." if labels else "."
        else:
            text = dns.name.Name([*labels, b""]).to_text()
        self.known[offset] = text
        return text


def _a(wire: bytes, names: _Names, offset: int, end: int) -> str | None:
    return socket.inet_ntop(socket.AF_INET, wire[offset:end]) if end - offset == 4 else None


def _aaaa(wire: bytes, names: _Names, offset: int, end: int) -> str | None:
    return socket.inet_ntop(socket.AF_INET6, wire[offset:end]) if end - offset == 16 else None


def _target(wire: bytes, names: _Names, offset: int, end: int) -> str | None:
    return names.text(offset) if names.skip(offset) == end else None


def _mx(wire: bytes, names: _Names, offset: int, end: int) -> str | None:
    if names.skip(offset + 2) != end:
        return None
    return f"{wire[offset] << 8 | wire[offset + 1]} {names.text(offset + 2)}"


def _srv(wire: bytes, names: _Names, offset: int, end: int) -> str | None:
    if names.skip(offset + 6) != end:
        return None
    priority, weight, port = struct.unpack_from("!HHH", wire, offset)
    return f"{priority} {weight} {port} {names.text(offset + 6)}"


def _txt(wire: bytes, names: _Names, offset: int, end: int) -> str | None:
    strings = []
    while offset < end:
        length = wire[offset]
        value = wire[offset + 1 : offset + 1 + length]
        if len(value) != length or not _PLAIN_STRING.fullmatch(value):
            return None  # escapes: dnspython renders it
        strings.append('"' + value.decode("ascii") + '"')
        offset += length + 1
    return " ".join(strings) if strings and offset == end else None


_RENDER: dict[int, Callable[[bytes, _Names, int, int], str | None]] = {
    int(dns.rdatatype.A): _a,
    int(dns.rdatatype.AAAA): _aaaa,
    int(dns.rdatatype.NS): _target,
    int(dns.rdatatype.CNAME): _target,
    int(dns.rdatatype.PTR): _target,
    int(dns.rdatatype.MX): _mx,
    int(dns.rdatatype.SRV): _srv,
    int(dns.rdatatype.TXT): _txt,
}
_TYPES: dict[int, str] = {}


def _type_text(rdtype: int) -> str:
    text = _TYPES.get(rdtype)
    if text is None:
        text = _TYPES[rdtype] = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
    return text
