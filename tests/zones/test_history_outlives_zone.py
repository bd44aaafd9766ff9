"""A zone's journal outlives the zone: deleting it keeps its Change rows (by name, without the zone), and a zone created
again under the same name starts with a journal of its own in every reader (push, history, restore)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.actors import Actor
from accounts.models import Account, SecurityEvent
from tests.zones.conftest import zone_state
from zones.models import Change, Record, RRset, Zone
from zones.push.services import journal_changes
from zones.selectors import changes_of_deleted_zone
from zones.services import Add, Replace, zone_apply, zone_create, zone_delete, zone_restore


@pytest.fixture
def recreated(zone: Zone, account: Account, cli_actor: Actor) -> Zone:
    """example.com with www changed twice (versions 2 and 3), deleted, and created again with versions 2 and 3 of its
    own: the same versions and names, other records."""
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor)
    zone_apply(zone=zone, changes=[Replace("www", "A", ("192.0.2.2",))], actor=cli_actor)
    zone_delete(zone=zone, actor=cli_actor)
    again = zone_create(name="example.com", account=account, actor=cli_actor)
    zone_apply(zone=again, changes=[Add("www", "A", "192.0.2.9")], actor=cli_actor)
    zone_apply(zone=again, changes=[Add("mail", "A", "192.0.2.25")], actor=cli_actor)
    return again


def test_the_deleted_zones_journal_stays_under_its_name(recreated: Zone) -> None:
    kept = Change.objects.filter(zone__isnull=True).order_by("version")
    assert [(c.zone_name, c.version) for c in kept] == [("example.com", 1), ("example.com", 2), ("example.com", 3)]
    assert list(recreated.changes.order_by("version").values_list("version", flat=True)) == [1, 2, 3]


def test_the_rrsets_and_records_of_a_deleted_zone_go_with_it(recreated: Zone) -> None:
    assert set(RRset.objects.values_list("zone_id", flat=True)) == {recreated.pk}
    assert set(Record.objects.values_list("rrset__zone_id", flat=True)) == {recreated.pk}


def test_a_push_reads_only_the_journal_of_the_zone_as_it_is_now(recreated: Zone) -> None:
    delta = journal_changes(zone=recreated, since=2, until=3)
    assert delta is not None
    changes, serial = delta
    assert [(change.name.to_text(), change.rdataset is not None) for change in changes] == [("mail.example.com.", True)]
    assert serial == recreated.serial


def test_restoring_a_recreated_zone_ignores_the_old_zones_journal(recreated: Zone, cli_actor: Actor) -> None:
    # The old zone's version 3 changed www from 192.0.2.1: read by mistake, the restore would bring that back.
    zone_restore(zone=recreated, version=2, actor=cli_actor)
    state = zone_state(recreated)
    assert state[("www", "A")][1] == ["192.0.2.9"]
    assert ("mail", "A") not in state


def test_the_history_page_of_a_recreated_zone_shows_only_its_own_changes(recreated: Zone, account: Account) -> None:
    client = Client()
    client.force_login(_member(account))
    page = client.get("/zones/example.com/history").content.decode()
    assert page.count("data-version=") == 3
    assert ">192.0.2.9<" in page
    assert ">192.0.2.2<" not in page


def test_the_deletion_row_finds_exactly_the_deleted_zones_journal(recreated: Zone, account: Account, cli_actor):
    zone_delete(zone=recreated, actor=cli_actor)  # a second deleted example.com, with its own versions 1 to 3
    first, second = SecurityEvent.objects.filter(action=SecurityEvent.Action.ZONE_DELETED).order_by("id")
    old = [(c.version, c.after) for c in changes_of_deleted_zone(event=first)]
    assert [version for version, _ in old] == [3, 2, 1]
    assert old[0][1] == [{"name": "www", "type": "A", "ttl": 3600, "records": ["192.0.2.2"]}]
    newer = list(changes_of_deleted_zone(event=second).values_list("version", flat=True))
    assert newer == [3, 2, 1]
    assert not set(changes_of_deleted_zone(event=first)) & set(changes_of_deleted_zone(event=second))


def _member(account: Account) -> User:
    user = User.objects.create_user("alice", "alice@example.net", "a long test password")
    account.members.add(user)
    return user


# --- the migration: add nullable, backfill, make required --------------------------------------------------------

BEFORE_BACKFILL = [("zones", "0006_change_outlives_zone_zone_name_nullable")]
BACKFILLED = [("zones", "0007_change_zone_name_backfill")]


@pytest.mark.django_db(transaction=True)
def test_the_backfill_names_the_zone_of_every_existing_change() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_BACKFILL)
    old = executor.loader.project_state(BEFORE_BACKFILL).apps
    account = old.get_model("accounts", "Account").objects.create(name="acme")
    zones = old.get_model("zones", "Zone")
    change = old.get_model("zones", "Change")
    for name in ("example.com", "example.net"):
        zone = zones.objects.create(name=name, account=account, soa_mname="ns.", soa_rname="dns.")
        change.objects.create(zone=zone, version=1, serial=1, actor="test", interface="cli")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BACKFILLED)
        names = executor.loader.project_state(BACKFILLED).apps.get_model("zones", "Change").objects
        assert sorted(names.values_list("zone__name", "zone_name")) == [
            ("example.com", "example.com"),
            ("example.net", "example.net"),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
