"""The catalog zone's content (RFC 9432 version 2) as the database keeps it: members come and go with the zones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from accounts.actors import Actor
from accounts.models import Account, SecurityEvent
from tests.zones.conftest import records_at, zone_state
from zones import catalog
from zones.models import Zone
from zones.push.services import zone_deprovision
from zones.services import zone_create, zone_delete

CATALOG = "catalog.ctrlpanel.test"

pytestmark = pytest.mark.usefixtures("_catalog")


@pytest.fixture
def _catalog() -> Iterator[None]:
    with override_settings(CATALOG_ZONE=CATALOG, CATALOG_ACCOUNT="provider"):
        yield


def member_records(catalog_zone: Zone) -> dict[str, list[str]]:
    return {name: records for (name, rdtype), (_, records) in zone_state(catalog_zone).items() if rdtype == "PTR"}


def test_the_catalog_is_created_in_the_provider_account_with_version_2_and_an_invalid_ns(db: None) -> None:
    zone = catalog.catalog_zone()
    assert zone is not None
    assert zone.name == CATALOG
    assert zone.account.name == "provider"
    assert records_at(zone, "version", "TXT") == ['"2"']
    assert records_at(zone, "@", "NS") == ["invalid."]
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.ZONE_CREATED, subject=CATALOG).count() == 1


def test_a_member_record_names_the_zone_under_zones_with_an_id_of_its_own(zone: Zone) -> None:
    catalog.catalog_member_add(zone_id=zone.pk)
    catalog.catalog_member_add(zone_id=zone.pk)  # a second delivery changes nothing

    catalog_zone = Zone.objects.get(name=CATALOG)
    owner = catalog.member_owner(zone.pk, zone.name)
    assert owner.endswith(".zones")
    assert member_records(catalog_zone) == {owner: ["example.com."]}
    assert catalog_zone.version == 3  # created, NS + version, one member


def test_the_catalog_is_never_a_member_of_itself(db: None) -> None:
    catalog_zone = catalog.catalog_zone()
    assert catalog_zone is not None
    catalog.catalog_member_add(zone_id=catalog_zone.pk)
    catalog.catalog_sync()
    assert member_records(catalog_zone) == {}


def test_deprovisioning_a_deleted_zone_removes_its_member(zone: Zone, cli_actor: Actor) -> None:
    catalog.catalog_member_add(zone_id=zone.pk)
    zone_delete(zone=zone, actor=cli_actor)
    zone_deprovision(zone_name="example.com")
    assert member_records(Zone.objects.get(name=CATALOG)) == {}


def test_a_zone_created_again_under_the_same_name_gets_a_new_member_id(
    zone: Zone, account: Account, cli_actor: Actor
) -> None:
    catalog.catalog_member_add(zone_id=zone.pk)
    old_owner = catalog.member_owner(zone.pk, zone.name)
    zone_delete(zone=zone, actor=cli_actor)
    again = zone_create(name="example.com", account=account, actor=cli_actor)
    # The new zone's first delivery comes before the old one's deprovisioning, which must then keep the new member.
    catalog.catalog_member_add(zone_id=again.pk)
    zone_deprovision(zone_name="example.com")

    new_owner = catalog.member_owner(again.pk, again.name)
    assert new_owner != old_owner
    assert member_records(Zone.objects.get(name=CATALOG)) == {new_owner: ["example.com."]}


def test_the_sweeper_adds_missing_members_and_removes_stale_ones(
    zone: Zone, account: Account, cli_actor: Actor
) -> None:
    second = zone_create(name="example.net", account=account, actor=cli_actor)
    catalog.catalog_member_add(zone_id=zone.pk)
    Zone.objects.filter(pk=zone.pk).delete()  # gone without its deprovisioning (a lost task)

    assert catalog.catalog_sync() == 2
    assert catalog.catalog_sync() == 0
    catalog_zone = Zone.objects.get(name=CATALOG)
    assert member_records(catalog_zone) == {catalog.member_owner(second.pk, second.name): ["example.net."]}


def test_without_a_catalog_name_nothing_is_created(zone: Zone) -> None:
    with override_settings(CATALOG_ZONE=""):
        catalog.catalog_member_add(zone_id=zone.pk)
        assert catalog.catalog_sync() == 0
    assert not Zone.objects.filter(name=CATALOG).exists()
