"""Accounts and zones: creation with the provider's SOA and NS, the overlap rule, deletion, the API password."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.hashers import check_password

from accounts.actors import Actor
from accounts.models import Account
from tests.zones.conftest import records_at, zone_state
from zones.journal import serial_next
from zones.models import Change, Record, RRset, Zone
from zones.services import Add, ZoneError, zone_apply, zone_create, zone_delete, zone_set_api_password


def test_a_new_zone_has_the_providers_soa_and_apex_ns_set(account: Account, cli_actor: Actor, settings) -> None:
    settings.ZONE_NAMESERVERS = ["ns-a.provider.test.", "NS-B.provider.test."]
    settings.ZONE_SOA_MNAME = "ns-a.provider.test."
    settings.ZONE_SOA_RNAME = "dns.provider.test."
    zone = zone_create(name="Example.NET.", account=account, actor=cli_actor, default_ttl=600)
    zone.refresh_from_db()
    assert (zone.name, zone.account, zone.default_ttl) == ("example.net", account, 600)
    assert (zone.soa_mname, zone.soa_rname, zone.version, zone.record_count) == (
        "ns-a.provider.test.",
        "dns.provider.test.",
        1,
        2,
    )
    assert zone_state(zone) == {("@", "NS"): (600, ["ns-a.provider.test.", "ns-b.provider.test."])}
    change = Change.objects.get(zone=zone)
    assert (change.version, change.serial, change.interface) == (1, zone.serial, "cli")


def test_a_new_zone_takes_a_date_serial(account: Account, cli_actor: Actor) -> None:
    zone = zone_create(name="example.net", account=account, actor=cli_actor)
    today = int(datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%d"))
    assert zone.serial // 100 == today


def test_the_serial_counts_up_within_a_day_and_jumps_to_a_new_day() -> None:
    day = datetime.date(2026, 11, 27)
    assert serial_next(2026112705, day) == 2026112706
    assert serial_next(2026112699, day) == 2026112700  # past nn=99: plus one, still increasing
    assert serial_next(2026112600, day) == 2026112700
    assert serial_next(5, day) == 2026112700
    assert serial_next(2**32 - 1, day) == 1  # RFC 1982 wraps, never 0


def test_a_zone_name_is_created_only_once(zone: Zone, account: Account, other_account: Account, cli_actor: Actor):
    for name, owner in (("example.com", account), ("EXAMPLE.com.", account), ("example.com", other_account)):
        with pytest.raises(ZoneError, match="exists already"):
            zone_create(name=name, account=owner, actor=cli_actor)
    assert Zone.objects.count() == 1


@pytest.mark.parametrize("name", ["sub.example.com", "a.b.example.com", "com.example.com"])
def test_a_zone_inside_another_accounts_zone_is_refused(zone: Zone, other_account: Account, cli_actor: Actor, name):
    with pytest.raises(ZoneError, match=r"overlaps the zone example\.com of another account"):
        zone_create(name=name, account=other_account, actor=cli_actor)


def test_a_zone_covering_another_accounts_zone_is_refused(account: Account, other_account: Account, cli_actor):
    zone_create(name="shop.example.com", account=account, actor=cli_actor)
    with pytest.raises(ZoneError, match=r"overlaps the zone shop\.example\.com"):
        zone_create(name="example.com", account=other_account, actor=cli_actor)


def test_a_lookalike_name_is_not_an_overlap(zone: Zone, other_account: Account, cli_actor: Actor) -> None:
    assert zone_create(name="notexample.com", account=other_account, actor=cli_actor).name == "notexample.com"
    assert zone_create(name="example.co", account=other_account, actor=cli_actor).name == "example.co"


def test_an_account_may_split_off_a_sub_zone_of_its_own_zone(zone: Zone, account: Account, cli_actor: Actor):
    sub = zone_create(name="lab.example.com", account=account, actor=cli_actor)
    assert sub.account == account
    assert zone_create(name="com.example.com", account=account, actor=cli_actor)


@pytest.mark.parametrize("name", ["com", "*.example.com", "exa mple.com", "", "xn--zz.com"])
def test_a_malformed_zone_name_is_refused(account: Account, cli_actor: Actor, name: str) -> None:
    with pytest.raises(ZoneError):
        zone_create(name=name, account=account, actor=cli_actor)
    assert not Zone.objects.exists()


@pytest.mark.parametrize("ttl", [-1, 2**31])
def test_a_zone_default_ttl_out_of_bounds_is_refused(account: Account, cli_actor: Actor, ttl: int) -> None:
    with pytest.raises(ZoneError, match="TTL"):
        zone_create(name="example.net", account=account, actor=cli_actor, default_ttl=ttl)


def test_deleting_a_zone_removes_its_rrsets_and_records_but_keeps_its_journal(zone: Zone, cli_actor: Actor) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor)
    zone_delete(zone=zone, actor=cli_actor)
    assert (Zone.objects.count(), RRset.objects.count(), Record.objects.count()) == (0, 0, 0)
    kept = Change.objects.filter(zone__isnull=True).order_by("version").values_list("zone_name", "version")
    assert list(kept) == [("example.com", 1), ("example.com", 2)]
    assert Change.objects.count() == 2


def test_deleting_a_zone_leaves_other_zones_alone(zone: Zone, other_account: Account, cli_actor: Actor) -> None:
    other = zone_create(name="example.org", account=other_account, actor=cli_actor)
    zone_delete(zone=zone, actor=cli_actor)
    assert records_at(other, "@", "NS") == ["ns1.ctrlpanel.test.", "ns2.ctrlpanel.test."]


def test_the_api_password_is_stored_hashed(zone: Zone, cli_actor: Actor) -> None:
    zone_set_api_password(zone=zone, password="a new secret phrase", actor=cli_actor)
    zone.refresh_from_db()
    assert "a new secret phrase" not in zone.api_password
    assert check_password("a new secret phrase", zone.api_password)
    assert not check_password("a new secret phrasE", zone.api_password)


def test_an_empty_api_password_turns_the_api_off(zone: Zone, cli_actor: Actor) -> None:
    zone_set_api_password(zone=zone, password="", actor=cli_actor)
    zone.refresh_from_db()
    assert zone.api_password == ""


@pytest.mark.parametrize(("password", "reason"), [("short", "at least 8"), ("tab\there ok", "control")])
def test_a_weak_or_malformed_api_password_is_refused(zone: Zone, cli_actor: Actor, password: str, reason: str):
    stored = zone.api_password
    with pytest.raises(ZoneError, match=reason):
        zone_set_api_password(zone=zone, password=password, actor=cli_actor)
    zone.refresh_from_db()
    assert zone.api_password == stored
