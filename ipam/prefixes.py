"""Aligned address blocks (CIDR prefixes) as integers: parsing, keys, and the buddy arithmetic of the allocator.

An address is an int (up to 128 bits); a block is (family, start, length). Nothing here ever enumerates addresses:
every operation is a handful of shifts and masks, so a /32 of IPv6 costs the same as a /24 of IPv4.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

BITS = {4: 32, 6: 128}
KEY_DIGITS = 32  # 128 bits in hex


class PrefixError(ValueError):
    """The text is not a valid prefix or address; the message says why."""


def key(value: int) -> str:
    """The stored form of an address: fixed-width hex, so that string order is numeric order on every database.

    A DecimalField would be the obvious type, but SQLite turns integers beyond 64 bits into floats; 39-digit IPv6
    addresses would then collide. Fixed-width hex sorts and compares exactly everywhere.
    """
    return f"{value:0{KEY_DIGITS}x}"


def from_key(text: str) -> int:
    return int(text, 16)


@dataclass(frozen=True, order=True)
class Block:
    family: int
    start: int
    length: int

    @property
    def bits(self) -> int:
        return BITS[self.family]

    @property
    def size(self) -> int:
        return 1 << (self.bits - self.length)

    @property
    def last(self) -> int:
        return self.start + self.size - 1

    @property
    def key(self) -> str:
        return key(self.start)

    def __str__(self) -> str:
        network: ipaddress.IPv4Network | ipaddress.IPv6Network
        if self.family == 4:
            network = ipaddress.IPv4Network((self.start, self.length))
        else:
            network = ipaddress.IPv6Network((self.start, self.length))
        return str(network)

    def contains(self, other: Block) -> bool:
        return self.family == other.family and self.start <= other.start and other.last <= self.last

    def overlaps(self, other: Block) -> bool:
        return self.family == other.family and self.start <= other.last and other.start <= self.last

    def contains_address(self, address: int) -> bool:
        return self.start <= address <= self.last

    def buddy(self) -> Block:
        """The other half of this block's parent."""
        return Block(self.family, self.start ^ self.size, self.length)

    def parent(self) -> Block:
        length = self.length - 1
        return Block(self.family, self.start & ~((1 << (self.bits - length)) - 1), length)

    def ancestor(self, length: int) -> Block:
        return Block(self.family, self.start & ~((1 << (self.bits - length)) - 1), length)

    def first(self, length: int) -> Block:
        """The lowest block of `length` inside this one."""
        return Block(self.family, self.start, length)


def prefix_parse(text: str) -> Block:
    """Parse 'address/length'; refuse host bits set (a typo that would otherwise hand out the wrong block)."""
    text = text.strip()
    if "/" not in text:
        raise PrefixError(f"{text!r} is not a prefix: it needs a length, e.g. 2001:db8::/48")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        message = str(exc)
        if "has host bits set" in message:
            raise PrefixError(
                f"{text} has host bits set; did you mean {ipaddress.ip_network(text, strict=False)}?"
            ) from None
        raise PrefixError(f"{text!r} is not a valid prefix") from None
    return Block(network.version, int(network.network_address), network.prefixlen)


def address_parse(text: str) -> tuple[int, int]:
    """Parse an address; return (family, integer)."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise PrefixError(f"{text!r} is not an IP address") from None
    return address.version, int(address)


def address_text(family: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value))


def carve(outer: Block, inner: Block) -> list[Block]:
    """The blocks left free when `inner` is taken out of the free block `outer`: one sibling per level between them.

    Taking a /64 out of a free /32 leaves 32 blocks (/33 ... /64), each the buddy of one of the /64's ancestors.
    """
    return [inner.ancestor(length).buddy() for length in range(outer.length + 1, inner.length + 1)]


def buddy_candidates(block: Block, floor: int) -> list[Block]:
    """The buddies of `block` and of its ancestors down to length `floor` + 1: the blocks a release may merge."""
    return [block.ancestor(length).buddy() for length in range(block.length, floor, -1)]


def decompose(family: int, first: int, last: int) -> Iterator[Block]:
    """The range [first, last] as the fewest aligned blocks, lowest first (used to build a free table in bulk)."""
    bits = BITS[family]
    while first <= last:
        # The largest aligned block starting at `first` that ends within the range.
        size = first & -first if first else 1 << bits
        while first + size - 1 > last:
            size >>= 1
        yield Block(family, first, bits - size.bit_length() + 1)
        first += size
