"""Names and record data: parsed by dnspython, validated, and brought to one canonical text form.

Every interface hands untrusted text to these functions before anything reaches a zone. The canonical form is the
presentation format dnspython writes, with every domain name in the data absolute (trailing dot) and lower-case, so
that the same record typed with other spacing, letter case or relative names is recognised as the same record.
"""

from __future__ import annotations

import functools
import re
import socket
import sys
from collections.abc import Iterable
from typing import Any

import dns.exception
import dns.immutable
import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.nsbase
import dns.tokenizer
import dns.zonefile

# Types a customer may write. SOA belongs to the provider; the apex NS set too (enforced by the service).
SUPPORTED_TYPES = frozenset(
    {"A", "AAAA", "CNAME", "ANAME", "DNAME", "NS", "MX", "SRV", "TXT", "CAA", "SSHFP", "TLSA", "PTR", "DS"}
)
APEX_SOA = ("@", "SOA")
APEX_NS = ("@", "NS")
# The RRsets that belong to the provider, not the customer: the SOA (the zone's own fields, never a stored RRset) and
# the apex NS set (the provider's nameservers, written by zone_create and changed only by staff).
PROVIDER_RRSETS = frozenset({APEX_SOA, APEX_NS})
# A record's canonical text is unique within its RRset (a database key); PostgreSQL's btree entries cap near 2.7 kB.
MAX_CONTENT_LENGTH = 2048
MAX_TTL = 2**31 - 1  # RFC 2181 §8
TXT_STRING_BYTES = 255
# The ANAME pseudo-type is served by the provider as the target's addresses; it has no IANA code, so it takes one
# from the private-use range to be parsed and stored like any other type.
ANAME_RDTYPE = 65300

_LABEL = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$")
_IDNA = dns.name.IDNA_2008_Practical
# Checks that an "xn--" label someone typed decodes to a valid U-label, so that no unreadable name is stored.
_IDNA_STRICT = dns.name.IDNA_2008_Strict


class RecordError(ValueError):
    """The input is not a valid name or record; the message says why, for the person who typed it."""


class ANAME(dns.rdtypes.nsbase.UncompressedNS):
    """ANAME: a name whose A and AAAA records the provider resolves and serves (like a CNAME at the apex)."""


dns.rdata.register_type(sys.modules[__name__], ANAME_RDTYPE, "ANAME")


@functools.lru_cache(maxsize=4096)  # pure (a RecordError is not remembered); asked on every REST and dyndns request
def zone_name_normalize(text: str) -> str:
    """Return a zone's stored name: lower-case A-labels, no trailing dot; raise RecordError if it is not a domain."""
    name = _name_from_text(text.strip().rstrip(".") + ".", dns.name.root)
    if len(name.labels) < 3:
        raise RecordError("a zone needs at least two labels, e.g. example.com")
    _check_labels(name.labels[:-1], allow_wildcard=False)
    return name.to_text(omit_final_dot=True)


@functools.lru_cache(maxsize=4096)  # Names are immutable; a REST write asks for its zone's origin four times
def zone_origin(zone_name: str) -> dns.name.Name:
    return dns.name.from_text(zone_name + ".")


def owner_relative(name: dns.name.Name, origin: dns.name.Name) -> str:
    """The stored form of an owner name: relative to the zone apex, '@' for the apex itself."""
    if name == origin:
        return "@"
    return name.relativize(origin).to_text()


# An owner name as most are stored: labels of 1 to 63 ASCII letters, digits, '-', '_' or '*', relative. From such text
# dns.name.from_text makes exactly these labels, encoded (no escape, IDNA, '@' or final dot applies).
_PLAIN_OWNER = re.compile(r"[A-Za-z0-9_*-]{1,63}(?:\.[A-Za-z0-9_*-]{1,63})*\Z")


def owner_absolute(relative: str, origin: dns.name.Name) -> dns.name.Name:
    if relative == "@":
        return origin
    # A plain name's wire form is len(relative) + 1 bytes before the origin's: within the 255 of dns.name's check.
    if _PLAIN_OWNER.match(relative) and len(relative) + len(origin.labels) + sum(map(len, origin.labels)) < 255:
        # Made as dnspython's Name.__setstate__ (unpickling) makes one, its labels checked above: a fifth of from_text's
        # time (of which the guarded constructor is half), and a zone snapshot makes one per RRset.
        name = dns.name.Name.__new__(dns.name.Name)
        object.__setattr__(name, "labels", (*relative.encode().split(b"."), *origin.labels))
        return name
    return dns.name.from_text(relative, origin)


@functools.lru_cache(maxsize=8192)  # pure, and asked twice per change (as content_canonical)
def owner_parse(host: str, *, apex: dns.name.Name, origin: dns.name.Name) -> str:
    """Parse an owner name as a master file would: relative to `origin`, '@' for the origin, absolute with a
    trailing dot. Return it relative to the zone `apex`; raise RecordError when it is malformed or outside the zone."""
    _check_text(host, "name")
    if not host:
        raise RecordError("empty name")
    name = origin if host == "@" else _name_from_text(host, origin)
    if not name.is_subdomain(apex):
        raise RecordError(f"{name.to_text()} is not inside the zone {apex.to_text()}")
    _check_labels(name.labels[: len(name.labels) - len(apex.labels)], allow_wildcard=True)
    return owner_relative(name, apex)


def ttl_parse(text: str | int) -> int:
    if isinstance(text, str) and text.isascii() and text.isdigit():
        value = int(text)
    elif isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raise RecordError(f"TTL {text!r} is not a whole number of seconds")
    if not 0 <= value <= MAX_TTL:
        raise RecordError(f"TTL {value} is outside 0 to {MAX_TTL}")
    return value


def type_parse(text: str) -> str:
    rdtype = text.upper()
    if rdtype not in SUPPORTED_TYPES:
        if rdtype == "SOA":
            raise RecordError("the SOA record belongs to the provider and cannot be changed")
        raise RecordError(f"unsupported record type {text!r}")
    return rdtype


def type_text(rdtype: int) -> str:
    """The mnemonic of a type, ANAME included. dnspython's own to_text names the RdataType member of a type registered
    at run time "TYPE65300" (the member is made before the name is registered); a plain int looks the name up."""
    return dns.rdatatype.to_text(int(rdtype))  # type: ignore[arg-type]


def rdata_parse(rdtype: str, text: str, origin: dns.name.Name) -> dns.rdata.Rdata:
    """Parse record data with dnspython; names in it that are relative are taken relative to `origin`."""
    _check_text(text, "record data")
    try:
        if rdtype == "TXT":
            return _txt_parse(text)
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, text, origin=origin, relativize=False, idna_codec=_IDNA)
    except Exception as exc:  # dnspython raises a dozen exception types for malformed input: all mean the same here
        raise RecordError(f"invalid {rdtype} data {text!r}: {_reason(exc)}") from None
    _check_data_names(rdata)
    return _canonical(rdata)


_IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# The text dnspython's A constructor keeps (dns.ipv4.canonicalize): four decimal octets, no leading zero, no sign.
_IPV4_CANONICAL = re.compile(rf"{_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}}\Z")


def _ipv6_canonical(text: str) -> bool:
    """Whether `text` is the text dnspython's AAAA constructor keeps for it (dns.ipv6.canonicalize), decided in C.

    The C library writes an address as dnspython does (lower-case hex, no leading zeros, the first longest run of two
    or more zero groups as '::') except where to write a dotted IPv4 tail, which C libraries do not agree on (glibc
    once wrote ::0.0.0.2 for dnspython's ::2): text with a dot is left to dnspython."""
    if "." in text:
        return False
    try:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text)) == text
    except (OSError, ValueError):  # not an address; a NUL in it
        return False


class _WireFromC:
    """What an A or AAAA rdata built from stored canonical text (_address_rdata) has beyond dnspython's own class: its
    wire form written by the C library. The same rdata otherwise (equal to dnspython's, the same hash, text and wire):
    an rdata hashes its wire form, which dnspython writes by parsing the address in Python again, a third of a large
    zone's snapshot."""

    __slots__ = ()
    family: int
    address: str

    def _to_wire(self, file: Any, compress: Any = None, origin: Any = None, canonicalize: bool = False) -> None:
        file.write(socket.inet_pton(self.family, self.address))

    def to_digestable(self, origin: dns.name.Name | None = None) -> bytes:
        return socket.inet_pton(self.family, self.address)


@dns.immutable.immutable
class _StoredA(_WireFromC, dns.rdtypes.IN.A.A):
    __slots__ = ()
    family = socket.AF_INET


@dns.immutable.immutable
class _StoredAAAA(_WireFromC, dns.rdtypes.IN.AAAA.AAAA):
    __slots__ = ()
    family = socket.AF_INET6


def _address_rdata(cls: type[dns.rdata.Rdata], rdtype: dns.rdatatype.RdataType, address: str) -> dns.rdata.Rdata:
    """The A or AAAA rdata whose constructor would keep `address` as it is, made as dnspython's own __setstate__
    (unpickling) makes one: each slot set with object.__setattr__. Neither the constructor's parse and re-print of an
    address already canonical, nor the guard both wrap around it (a context variable set and reset), which cost more
    than the rest of a snapshot's record. tests/test_records.py holds these slots to the classes'."""
    rdata = cls.__new__(cls)
    object.__setattr__(rdata, "rdclass", dns.rdataclass.IN)
    object.__setattr__(rdata, "rdtype", rdtype)
    object.__setattr__(rdata, "rdcomment", None)
    object.__setattr__(rdata, "address", address)
    return rdata


def rdata_stored(rdtype: str, content: str, origin: dns.name.Name) -> dns.rdata.Rdata:
    """Record data as stored: parsed and made canonical by `rdata_parse` when it was written. Addresses, most of a
    large zone, are built directly instead of through dnspython's tokenizer, which costs about ten times more: one
    already in dnspython's canonical text (as stored ones are) without parsing it again, any other by the constructor,
    which checks it. Every other type is parsed as on write."""
    if rdtype == "A":
        if _IPV4_CANONICAL.match(content):
            return _address_rdata(_StoredA, dns.rdatatype.A, content)
        return dns.rdtypes.IN.A.A(dns.rdataclass.IN, dns.rdatatype.A, content)  # type: ignore[no-untyped-call]
    if rdtype == "AAAA":
        if _ipv6_canonical(content):
            return _address_rdata(_StoredAAAA, dns.rdatatype.AAAA, content)
        return dns.rdtypes.IN.AAAA.AAAA(dns.rdataclass.IN, dns.rdatatype.AAAA, content)  # type: ignore[no-untyped-call]
    return rdata_parse(rdtype, content, origin)


# A pure function of its arguments, asked twice for every record (the interface parses, zone_apply parses again) and
# again for every repeated request of a script: the answers are remembered, failures not (lru_cache keeps no raise).
@functools.lru_cache(maxsize=8192)
def content_canonical(rdtype: str, text: str, origin: dns.name.Name) -> str:
    """The canonical stored text of one record; raise RecordError if it does not parse or is too long."""
    content = rdata_parse(rdtype, text, origin).to_text()
    if len(content) > MAX_CONTENT_LENGTH:
        raise RecordError(f"record data longer than {MAX_CONTENT_LENGTH} characters")
    return content


class MasterFileTooLarge(RecordError):
    """The master file holds more records than a zone may."""


_RdatasetKey = tuple[dns.name.Name, int, int]


class _ReaderTransaction(dns.zonefile.RRsetsReaderTransaction):
    """dnspython's reader transaction with two changes.

    It refuses the record past `max_records` (the SOA aside) the moment the reader adds it: a file far over the limit
    is refused without reading the rest of it. And it finds a name's RRsets through an index: dnspython's scans every
    RRset read so far for each record added (its CNAME check), so 10,000 names took 80 s to parse, 1 MiB minutes.
    """

    max_records: int | None = None
    count = 0

    def __init__(self, manager: dns.zonefile.RRSetsReaderManager) -> None:
        super().__init__(manager, True, False)  # type: ignore[no-untyped-call]  # what manager.writer(True) makes
        self.names: dict[dns.name.Name, set[_RdatasetKey]] = {}

    def add(self, *args: Any) -> None:
        if self.max_records is not None and getattr(args[-1], "rdtype", None) != dns.rdatatype.SOA:
            self.count += 1
            if self.count > self.max_records:
                raise MasterFileTooLarge(f"the zone may hold at most {self.max_records} records; the file has more")
        super().add(*args)

    def _get_node(self, name: dns.name.Name) -> dns.node.Node | None:
        keys = self.names.get(name)
        if not keys:
            return None
        node = dns.node.Node()  # type: ignore[no-untyped-call]
        node.rdatasets = [self.rdatasets[key] for key in keys]
        return node

    def _put_rdataset(self, name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> None:
        super()._put_rdataset(name, rdataset)  # type: ignore[no-untyped-call]
        self.names.setdefault(name, set()).add((name, rdataset.rdtype, rdataset.covers))

    def _delete_name(self, name: dns.name.Name) -> None:
        super()._delete_name(name)  # type: ignore[no-untyped-call]
        self.names.pop(name, None)

    def _delete_rdataset(self, name: dns.name.Name, rdtype: int, covers: int) -> None:
        super()._delete_rdataset(name, rdtype, covers)  # type: ignore[no-untyped-call]
        self.names.get(name, set()).discard((name, rdtype, covers))

    def _name_exists(self, name: dns.name.Name) -> bool:
        return bool(self.names.get(name))


def master_file_rrsets(
    text: str, origin: dns.name.Name, *, max_records: int | None = None
) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """Parse a master file with dnspython: {(relative name, type): (ttl, [presentation data])}; RecordError if the
    file does not parse, MasterFileTooLarge as soon as it has passed `max_records` records (SOA aside).

    Every record comes back, including those outside the zone, for zone_apply to refuse by name: dnspython's zone
    reader would skip them silently, and an import that quietly drops lines is not all or nothing. $INCLUDE is off.
    """
    manager = dns.zonefile.RRSetsReaderManager(origin=dns.name.root, relativize=False)
    txn = _ReaderTransaction(manager)
    txn.max_records = max_records
    try:
        with txn:
            tokens = dns.tokenizer.Tokenizer(text, "<file>", idna_codec=_IDNA)
            reader = dns.zonefile.Reader(tokens, dns.rdataclass.IN, txn, allow_directives={"$ORIGIN", "$TTL"})
            # The reader skips names outside the zone origin it was made with (the root here), so it skips none;
            # relative names start at the apex, and the transaction accepts an SOA only there.
            reader.current_origin = reader.last_name = manager.origin = origin
            reader.read()
    except MasterFileTooLarge:
        raise
    except Exception as exc:  # dnspython's parser raises many types; each means the file is malformed
        raise RecordError(f"the master file does not parse: {exc}") from None
    result: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for rrset in manager.rrsets:
        key = (owner_relative(rrset.name, origin), type_text(rrset.rdtype))
        ttl, contents = result.get(key, (rrset.ttl, []))
        result[key] = (min(ttl, rrset.ttl), contents + [rdata.to_text() for rdata in rrset])
    return result


def txt_from_plain(text: str) -> str:
    """Quote unquoted TXT data as one string (split into 255-byte strings as RFC 1035 requires)."""
    raw = text.encode()
    chunks = [raw[i : i + TXT_STRING_BYTES] for i in range(0, len(raw), TXT_STRING_BYTES)] or [b""]
    return " ".join(_quote(chunk) for chunk in chunks)


def txt_strings(content: str) -> list[bytes]:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, "TXT", content)
    return list(rdata.strings)  # type: ignore[attr-defined]


def rdatas_to_text(rdatas: Iterable[dns.rdata.Rdata]) -> list[str]:
    return sorted(rdata.to_text() for rdata in rdatas)


def _txt_parse(text: str) -> dns.rdata.Rdata:
    """TXT data as master-file strings; one longer than 255 bytes is split into 255-byte strings.

    RFC 1035 §3.3.14 caps one string at 255 bytes and SPF and DKIM readers concatenate the strings, so a long quoted
    DKIM key is accepted as people paste it instead of being refused."""
    strings: list[bytes] = []
    for token in dns.tokenizer.Tokenizer(text).get_remaining():
        value: bytes = token.unescape_to_bytes().value  # dnspython types Token.value as Any
        strings.extend(value[i : i + TXT_STRING_BYTES] for i in range(0, len(value), TXT_STRING_BYTES))
        if not value:
            strings.append(b"")
    if not strings:
        raise RecordError('TXT data needs at least one string ("" for an empty one)')
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings)


def _quote(chunk: bytes) -> str:
    out = []
    for byte in chunk:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _canonical(rdata: dns.rdata.Rdata) -> dns.rdata.Rdata:
    """Lower-case the domain names in the data and the CAA tag: they compare case-insensitively."""
    changes: dict[str, object] = {}
    for field in ("target", "exchange"):
        value = getattr(rdata, field, None)
        if isinstance(value, dns.name.Name):
            changes[field] = value.canonicalize()
    if rdata.rdtype == dns.rdatatype.CAA:
        changes["tag"] = rdata.tag.lower()  # type: ignore[attr-defined]
    return rdata.replace(**changes) if changes else rdata


def _name_from_text(text: str, origin: dns.name.Name) -> dns.name.Name:
    try:
        name = dns.name.from_text(text, origin, idna_codec=_IDNA)
    except Exception as exc:  # label too long, name too long, empty label, bad IDNA, bad escape, ...
        raise RecordError(f"invalid name {text!r}: {_reason(exc)}") from None
    return name.canonicalize()


def _check_labels(labels: Iterable[bytes], *, allow_wildcard: bool) -> None:
    for index, label in enumerate(labels):
        if label == b"*" and allow_wildcard and index == 0:
            continue
        text = label.decode("ascii", "replace")
        if not _LABEL.match(text):
            raise RecordError(
                f"label {text!r} may hold only letters, digits, '-' and '_' ('*' only as the first label)"
            )
        if text.startswith("xn--"):
            _check_a_label(label)


def _check_data_names(rdata: dns.rdata.Rdata) -> None:
    """The names in record data (NS, CNAME, MX, SRV targets...) get the owner names' A-label check: `NS xn--zz`
    would otherwise be stored and served, a name no resolver can show or look up as typed."""
    for slot in rdata._get_all_slots():  # type: ignore[no-untyped-call]  # dnspython's list of an rdata's fields
        value = getattr(rdata, slot, None)
        if isinstance(value, dns.name.Name):
            for label in value.labels:
                if label[:4].lower() == b"xn--":
                    _check_a_label(label)


def _check_a_label(label: bytes) -> None:
    try:
        _IDNA_STRICT.decode(label)
    except dns.name.IDNAException as exc:
        raise RecordError(f"label {label.decode()!r} is not a valid IDNA A-label: {_reason(exc)}") from None


def _check_text(text: str, what: str) -> None:
    # A newline would start a new master-file line; NUL and other controls never belong in presentation text.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise RecordError(f"{what} contains a control character")


def _reason(exc: Exception) -> str:
    message = str(exc).strip()
    if not message or message == "None":
        return type(exc).__name__
    return message.rstrip(".")
