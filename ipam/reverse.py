"""Reverse DNS names of addresses and blocks (RFC 3596 nibbles, RFC 1035 octets, RFC 2317 classless delegation).

Pure name arithmetic plus two reads of the zones; the writes go through `ipam.services` and `zones.services`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import dns.name
import dns.reversename
from django.core.exceptions import EmptyResultSet
from django.db.models import F, Lookup, Q
from django.db.models.functions import Length

from ipam.prefixes import Block, address_text, decompose
from zones import records
from zones.models import REVERSE_SUFFIX, RRset, Zone

# The unit of a reverse name: 4 bits per label in ip6.arpa, 8 in in-addr.arpa.
STEP = {4: 8, 6: 4}


# The labels under which the reverse names of each family lie (in-addr.arpa., ip6.arpa.).
_ORIGIN_LABELS = {4: dns.reversename.ipv4_reverse_domain.labels, 6: dns.reversename.ipv6_reverse_domain.labels}


def address_name(family: int, value: int) -> dns.name.Name:
    """dns.reversename.from_address of the address's text (an IPv4-mapped IPv6 address under in-addr.arpa too), built
    from its nibbles or octets instead of parsing the text twice: a quarter of the time, for the hundred of /space."""
    if family == 6 and value >> 32 == 0xFFFF:
        family, value = 4, value & 0xFFFFFFFF
    if family == 6:
        labels = [nibble.encode() for nibble in reversed(f"{value:032x}")]
    else:
        labels = [str(octet).encode() for octet in reversed(value.to_bytes(4, "big"))]
    return dns.name.Name([*labels, *_ORIGIN_LABELS[family]])


def block_name(block: Block) -> dns.name.Name:
    """The reverse name of a block whose length is a multiple of the label step (a /48, a /24)."""
    step = STEP[block.family]
    if block.length % step:
        raise ValueError(f"/{block.length} is not on a label boundary: only nibble or octet boundaries have a name")
    full = address_name(block.family, block.start)
    drop = (block.bits - block.length) // step
    return full.split(len(full) - drop)[1] if drop else full


def boundary_blocks(block: Block) -> list[Block]:
    """The blocks at the next label boundary at or below `block` that together cover it: a /62 is four /64s."""
    step = STEP[block.family]
    length = -(-block.length // step) * step
    count = 1 << (length - block.length)
    size = 1 << (block.bits - length)
    return [Block(block.family, block.start + i * size, length) for i in range(count)]


def delegation_plan(block: Block, nameservers: tuple[str, ...]) -> list[tuple[dns.name.Name, str, tuple[str, ...]]]:
    """The RRsets (owner, type, contents) that delegate `block`'s reverse DNS; with no nameservers, that remove it."""
    if block.family == 4 and block.length > 24:
        return _classless_plan(block, nameservers)
    return [(block_name(b), "NS", nameservers) for b in boundary_blocks(block)]


def _classless_plan(block: Block, nameservers: tuple[str, ...]) -> list[tuple[dns.name.Name, str, tuple[str, ...]]]:
    """RFC 2317: NS at '<first>-<last>.c.b.a.in-addr.arpa', and a CNAME from each address's name into it."""
    parent = block_name(block.ancestor(24))
    first, last = block.start & 0xFF, block.last & 0xFF
    delegated = dns.name.Name((f"{first}-{last}".encode(), *parent.labels))
    plan: list[tuple[dns.name.Name, str, tuple[str, ...]]] = [(delegated, "NS", nameservers)]
    for octet in range(first, last + 1):
        owner = dns.name.Name((str(octet).encode(), *parent.labels))
        target = dns.name.Name((str(octet).encode(), *delegated.labels)).to_text()
        # The PTR at the address (if any) makes way for the CNAME, and comes back empty when the delegation goes.
        plan.append((owner, "PTR", ()))
        plan.append((owner, "CNAME", (target,) if nameservers else ()))
    return plan


def zone_for(owner: dns.name.Name) -> Zone | None:
    """The zone holding `owner`: the longest zone name that is a suffix of it, in one query."""
    return Zone.objects.filter(name__in=_suffixes(owner)).order_by(Length("name").desc()).first()


def zones_for(owners: list[dns.name.Name]) -> dict[dns.name.Name, Zone | None]:
    """`zone_for` of many names in one query (an RFC 2317 plan has a name per address)."""
    suffixes = [_suffixes(owner) for owner in owners]  # a list: hashing a dns.name.Name is a loop over its text
    wanted = {suffix for names in suffixes for suffix in names}
    zones = Zone.objects.filter(_NameIn(F("name"), sorted(wanted))).order_by()
    if all(name.endswith(REVERSE_SUFFIX) for name in wanted):
        zones = zones.filter(name__endswith=REVERSE_SUFFIX)  # the same rows, from the partial index zone_reverse
    by_name = {zone.name: zone for zone in zones}
    found = (next((by_name[n] for n in names if n in by_name), None) for names in suffixes)
    return dict(zip(owners, found, strict=True))


class _NameIn(Lookup[str]):
    """`name__in` for thousands of names: on PostgreSQL one array parameter (= ANY) rather than a placeholder each,
    which the driver and Django prepare one by one (most of zones_for's time at 2,000 names); a list elsewhere."""

    lookup_name = "name_in"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*params, *self.rhs]


def _suffixes(owner: dns.name.Name) -> list[str]:
    """The names a zone holding `owner` could have, longest first (at least two labels: no zone is a TLD here)."""
    labels = owner.to_text(omit_final_dot=True).split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def relative(zone: Zone, owner: dns.name.Name) -> str:
    return records.owner_relative(owner, records.zone_origin(zone.name))


def delegation_above(zone: Zone, owner: dns.name.Name) -> bool:
    """True if an NS RRset below the apex of `zone` sits at or above `owner` (the name is delegated away), or an
    RFC 2317 CNAME is at it."""
    origin = records.zone_origin(zone.name)
    names = []
    name = owner
    while name != origin and name.is_subdomain(origin):
        names.append(records.owner_relative(name, origin))
        name = name.parent()
    at_owner = records.owner_relative(owner, origin)
    return (
        RRset.objects.filter(zone=zone, name__in=names, type="NS").exists()
        or RRset.objects.filter(zone=zone, name=at_owner, type="CNAME").exists()
    )


def absolute(hostname: str) -> str:
    """A hostname as PTR or NS data: absolute, so that it is not taken relative to the reverse zone."""
    text = hostname.strip()
    return text if text.endswith(".") else text + "."


def ptr_records(*, zone: Zone, block: Block) -> list[tuple[str, str]]:
    """(address, hostname) of every PTR record of `zone` inside `block`, ordered by address."""
    origin = records.zone_origin(zone.name)
    rows = RRset.objects.filter(ptr_names(zone=zone, block=block), zone=zone, type="PTR")
    found: list[tuple[int, str]] = []
    for name, content in rows.values_list("name", "records__content"):
        value = ptr_address(name, origin)
        if block.contains_address(value):
            found.append((value, content))
    return [(address_text(block.family, value), content) for value, content in sorted(found)]


def ptr_names(*, zone: Zone, block: Block) -> Q:
    """A condition on RRset.name: the owners in `zone` under which the PTR records of `block` lie (a superset: the
    caller checks each address against the block)."""
    origin = records.zone_origin(zone.name)
    match = Q()
    for suffix in (records.owner_relative(name, origin) for name in _covering_names(block)):
        match |= Q() if suffix == "@" else Q(name=suffix) | Q(name__endswith="." + suffix)
    return match


def ptr_address(name: str, origin: dns.name.Name) -> int:
    """The address whose PTR owner is `name` (relative to `origin`), as an integer."""
    return int(ipaddress.ip_address(dns.reversename.to_address(records.owner_absolute(name, origin))))


def _covering_names(block: Block) -> list[dns.name.Name]:
    if block.family == 4 and block.length > 24:
        return [block_name(block.ancestor(24))]
    return [block_name(b) for b in boundary_blocks(block)]


_OCTET = re.compile(r"^(?:0|[1-9][0-9]{0,2})$")
_CLASSLESS = re.compile(r"^(0|[1-9][0-9]{0,2})-(0|[1-9][0-9]{0,2})$")


def block_of_name(name: str) -> Block | None:
    """The address block a reverse zone name stands for: nibbles under ip6.arpa (RFC 3596), octets under in-addr.arpa
    (RFC 1035), or an RFC 2317 'first-last' label above three octets. None for a name that stands for no block."""
    labels = name.lower().rstrip(".").split(".")
    if labels[-2:] == ["ip6", "arpa"] and len(labels) <= 34:
        nibbles = labels[:-2]
        if not all(len(n) == 1 and n in "0123456789abcdef" for n in nibbles):
            return None
        value = int("".join(reversed(nibbles)) or "0", 16)
        return Block(6, value << (128 - 4 * len(nibbles)), 4 * len(nibbles))
    if labels[-2:] != ["in-addr", "arpa"] or len(labels) > 6:
        return None
    octets = labels[:-2]
    classless = _CLASSLESS.match(octets[0]) if len(octets) == 4 else None
    if classless is not None:
        return _classless_block(octets[1:], int(classless[1]), int(classless[2]))
    if not all(_OCTET.match(o) and int(o) < 256 for o in octets):
        return None
    value = 0
    for octet in reversed(octets):
        value = value * 256 + int(octet)
    return Block(4, value << (32 - 8 * len(octets)), 8 * len(octets))


def _classless_block(parent: list[str], first: int, last: int) -> Block | None:
    above = block_of_name(".".join([*parent, "in-addr", "arpa"]))
    if above is None or not first <= last <= 255:
        return None
    blocks = list(decompose(4, above.start + first, above.start + last))
    return blocks[0] if len(blocks) == 1 else None
