"""Reverse DNS of allocations: PTR records and delegations, written into the provider's reverse zones by zone_apply."""

from __future__ import annotations

import random

import dns.name
import dns.reversename
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor, Interface
from accounts.models import Account
from accounts.services import account_create
from ipam.models import Allocation, Event, Pool
from ipam.prefixes import address_parse, address_text, prefix_parse
from ipam.reverse import address_name, block_name, ptr_records, zone_for, zones_for
from ipam.services import IpamError, pool_create, prefix_allocate, prefix_release, ptr_set, reverse_delegate
from zones.models import Change, Zone
from zones.selectors import zone_records
from zones.services import zone_create

V6_ZONE = "8.b.d.0.1.0.0.2.ip6.arpa"
V4_ZONE = "100.51.198.in-addr.arpa"


@pytest.fixture
def reverse_zones(db, cli_actor: Actor) -> dict[int, Zone]:
    provider = account_create(name="provider", actor=cli_actor)
    return {
        6: zone_create(name=V6_ZONE, account=provider, actor=cli_actor, allow_reserved=True),
        4: zone_create(name=V4_ZONE, account=provider, actor=cli_actor, allow_reserved=True),
    }


@pytest.fixture
def block6(pool6: Pool, account: Account, cli_actor: Actor, reverse_zones: dict[int, Zone]) -> Allocation:
    return prefix_allocate(pool=pool6, account=account, prefix="2001:db8:abcd::/48", actor=cli_actor)


@pytest.fixture
def block4(pool4: Pool, account: Account, cli_actor: Actor, reverse_zones: dict[int, Zone]) -> Allocation:
    return prefix_allocate(pool=pool4, account=account, prefix="198.51.100.64/26", actor=cli_actor)


def _records(zone: Zone, rdtype: str) -> list[tuple[str, str]]:
    return [(r.name, r.content) for r in zone_records(zone=zone) if r.type == rdtype]


def test_a_customer_sets_the_ptr_of_an_address_in_their_block(
    block6: Allocation, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    zone = reverse_zones[6]
    ptr_set(allocation=block6, address="2001:db8:abcd::1", hostname="www.example.com", actor=customer_actor)
    owner = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a"
    assert _records(zone, "PTR") == [(owner, "www.example.com.")]
    assert Change.objects.filter(zone=zone).latest("version").actor == "customer"
    assert ptr_records(zone=zone, block=block6.block) == [("2001:db8:abcd::1", "www.example.com.")]
    ptr_set(allocation=block6, address="2001:db8:abcd::1", hostname=None, actor=customer_actor)
    assert _records(zone, "PTR") == []
    assert Event.objects.filter(action="ptr_set").count() == 2


def test_a_ptr_outside_the_block_is_refused_and_nothing_changes(
    block6: Allocation, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    version = reverse_zones[6].version
    for address in ["2001:db8:abce::1", "198.51.100.1", "not-an-address"]:
        with pytest.raises(IpamError):
            ptr_set(allocation=block6, address=address, hostname="x.example.com", actor=customer_actor)
    reverse_zones[6].refresh_from_db()
    assert reverse_zones[6].version == version
    assert not Event.objects.filter(action="ptr_set").exists()


def test_a_bad_hostname_is_refused_with_the_zone_services_reason(
    block4: Allocation, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    with pytest.raises(IpamError):
        ptr_set(allocation=block4, address="198.51.100.70", hostname="bad host!", actor=customer_actor)
    assert _records(reverse_zones[4], "PTR") == []


def test_a_ptr_needs_a_reverse_zone(pool6: Pool, account: Account, cli_actor: Actor, customer_actor: Actor) -> None:
    block = prefix_allocate(pool=pool6, account=account, actor=cli_actor)
    with pytest.raises(IpamError, match="no reverse zone"):
        ptr_set(allocation=block, address="2001:db8::1", hostname="a.example.com", actor=customer_actor)


def test_an_ipv6_block_is_delegated_at_its_nibble_boundary(
    block6: Allocation, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    reverse_delegate(allocation=block6, nameservers=["ns1.example.net", "ns2.example.net"], actor=customer_actor)
    assert _records(reverse_zones[6], "NS") == [
        ("@", "ns1.ctrlpanel.test."),
        ("@", "ns2.ctrlpanel.test."),
        ("d.c.b.a", "ns1.example.net."),
        ("d.c.b.a", "ns2.example.net."),
    ]
    with pytest.raises(IpamError, match="delegated"):
        ptr_set(allocation=block6, address="2001:db8:abcd::1", hostname="a.example.com", actor=customer_actor)
    reverse_delegate(allocation=block6, nameservers=[], actor=customer_actor)
    assert [name for name, _ in _records(reverse_zones[6], "NS")] == ["@", "@"]


def test_a_block_between_nibbles_is_delegated_at_each_nibble_below_it(
    account: Account, cli_actor: Actor, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    pool = pool_create(prefix="2001:db8::/32", default_length=46, actor=cli_actor)
    block = prefix_allocate(pool=pool, account=account, actor=cli_actor)
    reverse_delegate(allocation=block, nameservers=["ns.example.net"], actor=customer_actor)
    delegated = [name for name, _ in _records(reverse_zones[6], "NS") if name != "@"]
    assert delegated == [f"{nibble}.0.0.0" for nibble in range(4)]  # the four /48s of the /46


def test_an_ipv4_block_below_a_24_gets_rfc_2317_delegation(
    block4: Allocation, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    zone = reverse_zones[4]
    ptr_set(allocation=block4, address="198.51.100.70", hostname="old.example.com", actor=customer_actor)
    reverse_delegate(allocation=block4, nameservers=["ns.example.net"], actor=customer_actor)
    assert ("64-127", "ns.example.net.") in _records(zone, "NS")
    cnames = _records(zone, "CNAME")
    assert len(cnames) == 64
    assert ("70", "70.64-127.100.51.198.in-addr.arpa.") in cnames
    assert _records(zone, "PTR") == []  # the PTR made way for the CNAME
    with pytest.raises(IpamError, match="delegated"):
        ptr_set(allocation=block4, address="198.51.100.70", hostname="a.example.com", actor=customer_actor)
    reverse_delegate(allocation=block4, nameservers=[], actor=customer_actor)
    assert _records(zone, "CNAME") == []
    assert [name for name, _ in _records(zone, "NS")] == ["@", "@"]


def test_a_delegation_that_the_zone_refuses_leaves_nothing_behind(
    block4: Allocation, reverse_zones: dict[int, Zone], customer_actor: Actor
) -> None:
    version = reverse_zones[4].version
    with pytest.raises(IpamError):
        reverse_delegate(allocation=block4, nameservers=["not a name!"], actor=customer_actor)
    reverse_zones[4].refresh_from_db()
    assert reverse_zones[4].version == version
    assert not Event.objects.filter(action="reverse_delegate").exists()


def test_releasing_a_block_removes_its_ptrs_and_delegation_but_nothing_else(
    block6: Allocation, block4: Allocation, reverse_zones: dict[int, Zone], account: Account, cli_actor: Actor
) -> None:
    customer_actor = Actor(interface=Interface.PANEL, label="customer")
    ptr_set(allocation=block6, address="2001:db8:abcd::1", hostname="a.example.com", actor=customer_actor)
    reverse_delegate(allocation=block4, nameservers=["ns.example.net"], actor=customer_actor)
    neighbour = prefix_allocate(pool=block4.pool, account=account, prefix="198.51.100.0/26", actor=cli_actor)
    ptr_set(allocation=neighbour, address="198.51.100.1", hostname="keep.example.com", actor=customer_actor)
    prefix_release(allocation=block6, actor=cli_actor)
    prefix_release(allocation=block4, actor=cli_actor)
    assert _records(reverse_zones[6], "PTR") == []
    assert _records(reverse_zones[4], "CNAME") == []
    assert [name for name, _ in _records(reverse_zones[4], "NS")] == ["@", "@"]
    assert _records(reverse_zones[4], "PTR") == [("1", "keep.example.com.")]


def test_only_a_block_on_a_label_boundary_has_a_reverse_name_of_its_own() -> None:
    assert block_name(prefix_parse("2001:db8:1::/48")).to_text() == "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    assert block_name(prefix_parse("192.0.2.0/24")).to_text() == "2.0.192.in-addr.arpa."
    with pytest.raises(ValueError, match="/50 is not on a label boundary"):
        block_name(prefix_parse("2001:db8:1::/50"))


def test_an_address_has_the_reverse_name_dnspython_gives_its_text() -> None:
    chance = random.Random(15)
    addresses = [(4, chance.getrandbits(32)) for _ in range(300)] + [(6, chance.getrandbits(128)) for _ in range(300)]
    mapped = [(6, 0xFFFF << 32 | chance.getrandbits(32)) for _ in range(20)]  # ::ffff:a.b.c.d: under in-addr.arpa
    edges = [(4, 0), (4, 2**32 - 1), (6, 0), (6, 1), (6, 2**128 - 1), (6, 0xFFFF << 32), (6, 0xFFFE << 32)]
    for family, value in addresses + mapped + edges:
        expected = dns.reversename.from_address(address_text(family, value))
        name = address_name(family, value)
        assert (name, name.to_text()) == (expected, expected.to_text()), address_text(family, value)


def test_zones_for_finds_the_longest_zone_holding_each_name_as_zone_for_does(
    reverse_zones: dict[int, Zone], account: Account, cli_actor: Actor
) -> None:
    provider = reverse_zones[6].account
    inner = zone_create(name=f"d.c.b.a.{V6_ZONE}", account=provider, actor=cli_actor, allow_reserved=True)
    forward = zone_create(name="example.org", account=account, actor=cli_actor)
    owners = [
        address_name(*address_parse(text)) for text in ("2001:db8:abcd::", "2001:db8:abcd::1", "198.51.100.7")
    ] + [address_name(*address_parse("203.0.113.7"))]  # no zone holds it
    found = zones_for(owners)
    assert found == {owner: zone_for(owner) for owner in owners}
    assert [zone.name if zone else None for zone in found.values()] == [inner.name, inner.name, V4_ZONE, None]
    name = dns.name.from_text("www.example.org")  # not a reverse name: looked up among every zone
    assert zones_for([name]) == {name: forward} == {name: zone_for(name)}


@pytest.mark.postgres
def test_the_reverse_zones_are_read_through_their_partial_index(reverse_zones: dict[int, Zone]) -> None:
    owners = [address_name(*address_parse(f"2001:db8:abcd::{n}")) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        zones_for(owners)
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # two zones: without it the planner would rightly scan them
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "zone_reverse" in plan
