"""DNSSEC on the signing nameservers: which policy a zone gets, its public keys read back and checked, the DS records
they make, and what a DS at the parent says about them.

The signer is the hidden primary (BIND or Knot, kinds that ctrlpanel controls): it generates and keeps the private
keys and signs every change it receives. What ctrlpanel keeps is public: the DNSKEY records with the SEP flag, read over
TCP with TSIG and accepted only when their own RRSIG validates (dns.dnssec.validate), so that the DS a customer hands to
a registrar is one the zone's answers really chain to.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rdtypes.dsbase
import dns.resolver
from django.conf import settings

from zones.journal import serial_at_least
from zones.models import Nameserver, ZoneDnssec
from zones.push import control, transport
from zones.push.transport import Server, TransportError

SIGNING_KINDS = frozenset({Nameserver.Kind.BIND, Nameserver.Kind.KNOT})
SEP = 0x0001  # the DNSKEY flag of a key the parent's DS points at (a KSK or CSK)
DS_DIGESTS = ("SHA256", "SHA384")
CDS_DELETE = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.CDS, "0 0 0 00")
SIGNED_STATES = frozenset(
    {ZoneDnssec.State.SIGNING, ZoneDnssec.State.WAITING_DS, ZoneDnssec.State.SECURE, ZoneDnssec.State.BOGUS}
)


class KeysInvalid(TransportError):
    """The server's DNSKEY RRset is missing its signature, or the signature does not validate."""


def signers() -> list[Nameserver]:
    """The enabled nameservers that sign zones (the kinds ctrlpanel controls); rfc2136 servers are left alone."""
    return list(Nameserver.objects.filter(enabled=True, kind__in=SIGNING_KINDS))


def server_policy(state: str) -> str | None:
    """The dnssec-policy a server applies to a zone in `state` when it creates the zone (None: unsigned)."""
    if state in SIGNED_STATES:
        return str(settings.DNSSEC_POLICY)
    if state == ZoneDnssec.State.REMOVING:
        return str(settings.DNSSEC_INSECURE_POLICY)
    return None


def zone_is_signed(rrsets: Mapping[transport.Key, object], origin: dns.name.Name) -> bool:
    """True when a transferred zone carries keys at its apex: a signer's copy, with the signer's serial."""
    return (origin, dns.rdatatype.DNSKEY) in rrsets


def soa_matches(ours: dns.rdata.Rdata, theirs: dns.rdata.Rdata, *, signed: bool) -> bool:
    """The server's SOA is ours; a signer counts its own serial on (re-signing bumps it), so for a signed copy a
    serial at or after ours is no drift."""
    if not signed:
        return bool(ours == theirs)
    if ours.replace(serial=0) != theirs.replace(serial=0):
        return False
    return serial_at_least(int(theirs.serial), int(ours.serial))  # type: ignore[attr-defined]


# --- the keys ---------------------------------------------------------------------------------------------------


def keys_read(server: Server, origin: dns.name.Name) -> list[dns.rdata.Rdata] | None:
    """The zone's SEP keys as the server serves them, checked against the RRSIG over the DNSKEY RRset.

    None while the server publishes no keys yet; KeysInvalid when the RRset is unsigned or does not validate (a DS made
    from such keys could leave the zone bogus).
    """
    found = transport.dnskey_query(server, origin)
    if found is None:
        return None
    keys, signatures = found
    if signatures is None:
        raise KeysInvalid(f"the DNSKEY RRset of {origin} carries no RRSIG")
    try:
        dns.dnssec.validate(keys, signatures, {origin: keys})
    except dns.exception.ValidationFailure as exc:
        raise KeysInvalid(f"the DNSKEY RRset of {origin} does not validate: {exc}") from None
    return [key for key in keys if key.flags & SEP]


def keys_await(server: Server, origin: dns.name.Name, *, timeout: float) -> list[dns.rdata.Rdata] | None:
    """keys_read, polled until the server publishes keys or `timeout` seconds pass (a new policy signs in the
    background: BIND and Knot take well under a second for a small zone)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            keys = keys_read(server, origin)
        except KeysInvalid:
            # A signer publishes new keys a moment before their signature: only the last look counts.
            if time.monotonic() >= deadline:
                raise
            keys = None
        if keys or time.monotonic() >= deadline:
            return keys
        time.sleep(0.05)


def cds_delete_published(server: Server, origin: dns.name.Name) -> bool:
    """True when the server publishes the CDS DELETE record (RFC 8078): it has taken the insecure policy."""
    records = transport.rrset_query(server, origin, dns.rdatatype.CDS)
    return records is not None and CDS_DELETE in records


@dataclass(frozen=True)
class KeyView:
    """What a customer needs of one key: for the registrar (DS, or DNSKEY where it asks for that) and to check."""

    key_tag: int
    algorithm: int
    algorithm_name: str
    flags: int
    dnskey: str  # presentation data
    ds: list[str]  # presentation data of the DS records: SHA-256, then SHA-384

    def ds_records(self, zone_name: str) -> list[str]:
        return [f"{zone_name}. IN DS {ds}" for ds in self.ds]


def key_view(origin: dns.name.Name, dnskey_text: str) -> KeyView:
    key = _dnskey(dnskey_text)
    return KeyView(
        key_tag=dns.dnssec.key_id(key),
        algorithm=int(key.algorithm),
        algorithm_name=dns.dnssec.algorithm_to_text(key.algorithm),
        flags=key.flags,
        dnskey=key.to_text(),
        ds=[dns.dnssec.make_ds(origin, key, digest).to_text() for digest in DS_DIGESTS],
    )


def ds_matches(origin: dns.name.Name, ds_texts: list[str], dnskey_texts: list[str]) -> bool:
    """True when some DS at the parent points at one of the zone's keys (any digest type the DS names)."""
    keys = [_dnskey(text) for text in dnskey_texts]
    for text in ds_texts:
        ds = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, text)
        if not isinstance(ds, dns.rdtypes.dsbase.DSBase):  # from_text of type DS yields one; anything else is no DS
            continue
        for key in keys:
            try:
                if dns.dnssec.make_ds(origin, key, ds.digest_type) == ds:
                    return True
            except dns.exception.DNSException:  # UnsupportedAlgorithm among them
                continue  # a digest type we cannot compute matches nothing we can vouch for
    return False


def _dnskey(text: str) -> dns.rdtypes.ANY.DNSKEY.DNSKEY:
    key = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, text)
    if not isinstance(key, dns.rdtypes.ANY.DNSKEY.DNSKEY):  # from_text of type DNSKEY yields one
        raise ValueError(f"not a DNSKEY record: {text}")
    return key


# --- the parent -------------------------------------------------------------------------------------------------


def parent_ds(origin: dns.name.Name) -> transport.DSAnswer:
    """The DS RRset of the zone at its parent, from the first configured resolver that answers (DNSSEC_RESOLVERS;
    the system's resolvers when none is set). TransportError when none can say."""
    errors = []
    for address, port in resolvers():
        try:
            return transport.ds_lookup(address, port, origin)
        except TransportError as exc:
            errors.append(str(exc))
    raise TransportError("; ".join(errors) or "no resolver configured")


def resolvers() -> list[tuple[str, int]]:
    """DNSSEC_RESOLVERS as (address, port): "192.0.2.53", "192.0.2.53#5353" or "[2001:db8::53]#53"."""
    configured = list(settings.DNSSEC_RESOLVERS) or _system_resolvers()
    result = []
    for entry in configured:
        address, _, port = entry.partition("#")
        result.append((address.strip("[]"), int(port or 53)))
    return result


def _system_resolvers() -> list[str]:
    try:
        return [str(address) for address in dns.resolver.Resolver().nameservers]
    except dns.resolver.NoResolverConfiguration:
        return []


def zone_policy(zone_id: int) -> str | None:
    """The policy a server gets for the zone when it creates the zone (None: unsigned; one query)."""
    state = ZoneDnssec.objects.filter(zone_id=zone_id).values_list("state", flat=True).first()
    return None if state is None else server_policy(state)


def update_soa(
    nameserver: Nameserver, origin: dns.name.Name, soa: dns.rdata.Rdata, rrsets: Mapping[transport.Key, object]
) -> dns.rdata.Rdata:
    """The SOA an UPDATE's prerequisite is checked against, given the SOA and RRsets a transfer returned: with BIND's
    inline signing that of the unsigned copy (the transfer shows the signed copy, whose serial runs ahead)."""
    if not zone_is_signed(rrsets, origin):
        return soa
    serial = control.zone_unsigned_serial(nameserver, origin.to_text(omit_final_dot=True))
    return soa if serial is None else soa.replace(serial=serial)
