"""/space at provider size: the PTR count of every allocation from one query for all the reverse zones and one for
their PTR records, so 60 allocations take the queries 3 do."""

from __future__ import annotations

import ipaddress
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import Account
from ipam import selectors
from ipam.models import Allocation, Pool
from ipam.services import pool_create, prefix_allocate, ptr_set


def _allocate(pool: Pool, account: Account, actor: Actor, count: int, length: int = 48) -> list[Allocation]:
    return [prefix_allocate(pool=pool, account=account, length=length, actor=actor) for _ in range(count)]


def _ptrs(allocation: Allocation, actor: Actor, count: int) -> None:
    network = ipaddress.ip_network(allocation.prefix)
    for n in range(1, count + 1):
        address = str(network.network_address + n)
        assert ptr_set(allocation=allocation, address=address, hostname=f"h{n}.example.com", actor=actor).ok


def _counts(html: str) -> dict[str, int]:
    rows = re.findall(r"<code>([^<]+)</code></a>.*?data-label=\"PTR records\" class=\"num\">(\d+)<", html, re.S)
    return {prefix: int(count) for prefix, count in rows}


# Session and user (2), the person's accounts (1), the allocations (1), the reverse zones of them all (1), their PTR
# records (1), the utilisation (1: the accounts are those already read), the requests (1), the session's renewal (3).
SPACE_QUERIES = 11


@pytest.mark.parametrize("count", [3, 60])
@pytest.mark.usefixtures("reverse_zone")
def test_the_space_page_takes_the_same_queries_for_3_allocations_as_for_60(
    customer_client: Client, account: Account, pool6: Pool, cli_actor: Actor, count: int
) -> None:
    allocations = _allocate(pool6, account, cli_actor, count)
    for allocation in allocations[:3]:
        _ptrs(allocation, cli_actor, 2)
    customer_client.get("/space")
    with CaptureQueriesContext(connection) as captured:
        response = customer_client.get("/space")
    assert response.status_code == 200
    assert len(captured) == SPACE_QUERIES, [q["sql"][:100] for q in captured.captured_queries]
    counts = _counts(response.content.decode())
    assert len(counts) == count
    assert sum(counts.values()) == 6


@pytest.mark.usefixtures("reverse_zone")
def test_each_allocation_counts_the_ptr_records_inside_it_only(
    customer_client: Client, account: Account, other_account: Account, pool6: Pool, cli_actor: Actor
) -> None:
    small = _allocate(pool6, account, cli_actor, 2, length=56)  # two /56s side by side in one /48's nibble range
    theirs = _allocate(pool6, other_account, cli_actor, 1)[0]
    wide = _allocate(pool6, account, cli_actor, 1)[0]
    pool4 = pool_create(prefix="198.51.100.0/24", default_length=29, allowed_lengths=[29], actor=cli_actor)
    unreversed = _allocate(pool4, account, cli_actor, 1, length=29)[0]  # no reverse zone holds it
    _ptrs(small[0], cli_actor, 3)
    _ptrs(small[1], cli_actor, 1)
    _ptrs(theirs, cli_actor, 5)
    _ptrs(wide, cli_actor, 2)
    expected = {small[0].prefix: 3, small[1].prefix: 1, wide.prefix: 2, unreversed.prefix: 0}
    assert _counts(customer_client.get("/space").content.decode()) == expected
    mine = list(selectors.allocations_of(accounts=[account]))
    counts = selectors.allocations_ptr_counts(allocations=mine)
    assert {a.prefix: counts[a.pk] for a in mine} == expected
    assert {a.prefix: len(selectors.allocation_ptrs(allocation=a)) for a in mine} == expected  # the one-by-one answer
