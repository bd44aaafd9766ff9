"""Zone names no customer may create (finding 2 of issue 11): public suffixes, the provider's domains, reverse zones
outside the customer's own space, single labels; staff create them from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.actors import Actor, Interface
from accounts.models import Account
from ipam.prefixes import prefix_parse
from ipam.reverse import block_of_name
from ipam.services import pool_create, prefix_allocate
from zones.models import Zone
from zones.services import ZoneError, zone_create

CUSTOMER = Actor(interface=Interface.PANEL, label="customer", address="192.0.2.1")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("co.uk", "public suffix"),
        ("CO.UK.", "public suffix"),
        ("github.io", "public suffix"),
        ("in-addr.arpa", "reverse zone"),
        ("ip6.arpa", "reverse zone"),
        ("2.0.192.in-addr.arpa", "reverse zone"),
        ("home.arpa", "infrastructure"),
        ("ctrlpanel.test", "reserved for the provider"),
        ("ns1.ctrlpanel.test", "reserved for the provider"),
        ("com", "at least two labels"),
    ],
)
def test_a_customer_cannot_create_a_reserved_zone_name(account: Account, name: str, reason: str) -> None:
    with pytest.raises(ZoneError, match=reason):
        zone_create(name=name, account=account, actor=CUSTOMER)
    assert not Zone.objects.exists()


def test_a_refused_public_suffix_leaves_room_for_every_customer_below_it(account, other_account) -> None:
    with pytest.raises(ZoneError):
        zone_create(name="co.uk", account=account, actor=CUSTOMER)
    zone_create(name="victim-shop.co.uk", account=other_account, actor=CUSTOMER)
    zone_create(name="acme.co.uk", account=account, actor=CUSTOMER)
    assert set(Zone.objects.values_list("name", flat=True)) == {"victim-shop.co.uk", "acme.co.uk"}


def test_the_domains_of_the_soa_contact_and_reserved_zones_setting_are_the_providers(account, settings) -> None:
    settings.ZONE_NAMESERVERS = ["ns1.example.net.", "ns2.example.org."]
    settings.ZONE_SOA_MNAME = "ns1.example.net."
    settings.ZONE_SOA_RNAME = "hostmaster.provider-mail.example."
    settings.RESERVED_ZONES = ["customers.hosting.example", "brand.example"]
    for name in ["example.net", "shop.example.org", "provider-mail.example", "hosting.example", "x.brand.example"]:
        with pytest.raises(ZoneError, match="reserved for the provider"):
            zone_create(name=name, account=account, actor=CUSTOMER)
    zone_create(name="ctrlpanel.test", account=account, actor=CUSTOMER)  # no longer the provider's
    assert list(Zone.objects.values_list("name", flat=True)) == ["ctrlpanel.test"]


def test_the_panel_and_legacy_api_hosts_are_the_providers(account, settings) -> None:
    settings.PANEL_PUBLIC_URL = "https://panel.hoster.example:8443/"
    settings.LEGACY_API_HOSTS = ["dnsapi.legacy.example"]
    for name in ["hoster.example", "legacy.example"]:
        with pytest.raises(ZoneError, match="reserved for the provider"):
            zone_create(name=name, account=account, actor=CUSTOMER)


@pytest.fixture
def allocations(account: Account, cli_actor: Actor) -> None:
    pool6 = pool_create(prefix="2001:db8::/32", default_length=48, allowed_lengths=[48], actor=cli_actor)
    pool4 = pool_create(prefix="198.51.100.0/24", default_length=26, allowed_lengths=[26], actor=cli_actor)
    prefix_allocate(pool=pool6, account=account, prefix="2001:db8:1::/48", actor=cli_actor)
    prefix_allocate(pool=pool4, account=account, prefix="198.51.100.64/26", actor=cli_actor)


@pytest.mark.usefixtures("allocations")
@pytest.mark.parametrize(
    "name",
    [
        "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",  # the /48 itself
        "a.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",  # a /56 inside it
        "64-127.100.51.198.in-addr.arpa",  # RFC 2317 zone of the /26
        "80-95.100.51.198.in-addr.arpa",  # a /28 inside it
        "70.100.51.198.in-addr.arpa",  # one address of it
    ],
)
def test_a_customer_may_create_reverse_zones_inside_their_own_allocations(account, name) -> None:
    zone_create(name=name, account=account, actor=CUSTOMER)
    assert Zone.objects.filter(name=name, account=account).exists()


@pytest.mark.usefixtures("allocations")
@pytest.mark.parametrize(
    "name",
    [
        "8.b.d.0.1.0.0.2.ip6.arpa",  # the pool: a parent of the allocation
        "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",  # someone else's /48
        "100.51.198.in-addr.arpa",  # the /24 around the /26
        "0-63.100.51.198.in-addr.arpa",  # the /26 next door
        "64-100.100.51.198.in-addr.arpa",  # not a block
        "x.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",  # not a nibble
    ],
)
def test_a_customer_may_not_create_reverse_zones_outside_their_allocations(account, other_account, name) -> None:
    with pytest.raises(ZoneError, match="reverse zone outside your address space"):
        zone_create(name=name, account=account, actor=CUSTOMER)
    with pytest.raises(ZoneError, match="reverse zone outside your address space"):
        zone_create(name="1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", account=other_account, actor=CUSTOMER)


def test_reverse_names_stand_for_the_blocks_of_their_labels() -> None:
    assert block_of_name("1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa") == prefix_parse("2001:db8:1::/48")
    assert block_of_name("2.0.192.in-addr.arpa") == prefix_parse("192.0.2.0/24")
    assert block_of_name("128-255.2.0.192.in-addr.arpa") == prefix_parse("192.0.2.128/25")
    assert block_of_name("01.2.0.192.in-addr.arpa") is None
    assert block_of_name("256.0.192.in-addr.arpa") is None
    assert block_of_name("example.com") is None


def test_staff_create_reserved_names_from_the_command_line_and_customers_never(account) -> None:
    with pytest.raises(CommandError, match="reverse zone"):
        call_command("zone_create", "2.0.192.in-addr.arpa", account="acme", stdout=io.StringIO())
    call_command("zone_create", "2.0.192.in-addr.arpa", "--allow-reserved", account="acme", stdout=io.StringIO())
    assert Zone.objects.filter(name="2.0.192.in-addr.arpa").exists()
    with pytest.raises(ZoneError, match="only staff"):
        zone_create(name="co.uk", account=account, actor=CUSTOMER, allow_reserved=True)


def test_the_check_command_reports_existing_reserved_zones_and_deletes_nothing(account, cli_actor) -> None:
    zone_create(name="co.uk", account=account, actor=cli_actor, allow_reserved=True)
    zone_create(name="example.com", account=account, actor=cli_actor)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("zones_check_names", stdout=out)
    assert exited.value.code == 1
    assert out.getvalue().splitlines() == [
        "co.uk\tacme\tco.uk is a public suffix (a registry's name, under which others register theirs)",
        "1 zones break the zone name rules",
    ]
    assert Zone.objects.count() == 2
