"""Fixtures for the address-space tests: pools, and the invariants every state of a pool must satisfy."""

from __future__ import annotations

import datetime
import ipaddress

import pytest

from accounts.actors import Actor
from ipam.models import Allocation, FreeBlock, Pool
from ipam.prefixes import Block, from_key
from ipam.services import pool_create


@pytest.fixture
def pool6(db, cli_actor: Actor) -> Pool:
    return pool_create(
        prefix="2001:db8::/32", default_length=48, allowed_lengths=[48, 56, 64], description="v6", actor=cli_actor
    )


@pytest.fixture
def pool4(db, cli_actor: Actor) -> Pool:
    return pool_create(
        prefix="198.51.100.0/24",
        default_length=29,
        allowed_lengths=range(24, 33),
        quarantine=datetime.timedelta(days=7),
        actor=cli_actor,
    )


def recount(pool: Pool) -> dict[str, dict[str, int]]:
    """The pool's prefix counts as the tables say, to compare with the counts the services keep."""
    counts: dict[str, dict[str, int]] = {}
    for status, length in Allocation.objects.filter(pool=pool).values_list("status", "length"):
        per_length = counts.setdefault(status, {})
        per_length[str(length)] = per_length.get(str(length), 0) + 1
    for length in FreeBlock.objects.filter(pool=pool).values_list("length", flat=True):
        per_length = counts.setdefault("free", {})
        per_length[str(length)] = per_length.get(str(length), 0) + 1
    return counts


def assert_pool_consistent(pool: Pool) -> None:
    """Allocations are aligned, inside the pool and disjoint; with the free blocks they tile the pool exactly; no two
    free blocks are buddies (the free table is canonical); the kept counts match the tables."""
    pool.refresh_from_db()
    outer = pool.block
    taken = []
    for prefix, start, length in Allocation.objects.filter(pool=pool).values_list("prefix", "start", "length"):
        network = ipaddress.ip_network(prefix, strict=True)  # aligned: no host bits
        block = Block(pool.family, from_key(start), length)
        assert int(network.network_address) == block.start
        assert network.prefixlen == length
        assert outer.contains(block), f"{prefix} is outside {pool.prefix}"
        taken.append((block, "allocation"))
    free = [
        Block(pool.family, from_key(s), n)
        for s, n in FreeBlock.objects.filter(pool=pool).values_list("start", "length")
    ]
    pieces = sorted(taken + [(block, "free") for block in free])
    cursor = outer.start
    for block, kind in pieces:
        assert block.start == cursor, f"{kind} {block} does not follow on at {cursor:x}: overlap or gap"
        cursor = block.last + 1
    assert cursor == outer.last + 1, "the pool is not covered to its end"
    free_set = set(free)
    assert not [b for b in free if b.length > outer.length and b.buddy() in free_set], "two free buddies not merged"
    assert recount(pool) == {state: per for state, per in pool.counts.items() if per}
