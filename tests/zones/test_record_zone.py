"""Record.zone, the RRset's zone beside each record (the index the readers of one zone go through): every writer
fills it, PostgreSQL refuses any other value, the migration fills it in for the rows that were there before, and the
readers show a zone's records and nothing of another zone's."""

from __future__ import annotations

import importlib
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.test import Client

from accounts.actors import Actor
from accounts.models import Account
from tests.apikeys import MakeKey
from zones.models import Record, RRset, Zone
from zones.push.services import zone_snapshot
from zones.selectors import rrsets_matching, zone_master_file, zone_records
from zones.services import Add, Replace, zone_apply, zone_create, zone_import, zone_restore

pytestmark = pytest.mark.django_db


def _misfiled() -> list[tuple[int, int, int]]:
    """(record, its zone, its RRset's zone) of every record filed under another zone than its RRset's."""
    rows = Record.objects.exclude(zone=F("rrset__zone")).values_list("id", "zone_id", "rrset__zone_id")
    return list(rows)


def test_every_interface_files_new_records_under_their_rrsets_zone(
    zone: Zone, cli_actor: Actor, legacy, make_key: MakeKey, tmp_path
) -> None:
    account = zone.account
    other = zone_create(name="example.net", account=account, actor=cli_actor)
    assert zone_apply(zone=other, changes=[Add("www", "A", "192.0.2.99")], actor=cli_actor).ok
    # the Primary DNS API v1
    assert legacy("ADD legacy 300 A 192.0.2.1")[0] == 200
    key = make_key()
    api = Client()
    # the REST API
    body = json.dumps({"records": [{"host": "rest", "ttl": 300, "type": "A", "data": "192.0.2.2"}]})
    reply = api.post(
        "/dns/v2/zones/example.com/records", body, content_type="application/json", HTTP_AUTHORIZATION=key.basic
    )
    assert reply.status_code == 200, reply.content
    # dyndns2
    reply = api.get("/nic/update?hostname=dyn.example.com&myip=192.0.2.3", HTTP_AUTHORIZATION=key.basic)
    assert reply.content.startswith(b"good")
    # the panel
    alice = User.objects.create_user("alice", password="a long test password")
    account.members.add(alice)
    panel = Client()
    panel.force_login(alice)
    reply = panel.post("/zones/example.com/add", {"name": "panel", "type": "A", "ttl": "300", "content": "192.0.2.4"})
    assert reply.status_code == 302
    # the command line, an import and a restore
    master = tmp_path / "example.com.zone"
    master.write_text(zone_master_file(zone=zone) + "imported 300 IN A 192.0.2.5\n")
    call_command("zone_import", "example.com", str(master))
    zone.refresh_from_db()
    before = zone.version
    assert zone_apply(zone=zone, changes=[Replace("imported", "A", ("192.0.2.6",))], actor=cli_actor).ok
    assert zone_restore(zone=zone, version=before, actor=cli_actor).ok

    names = {r.name for r in zone_records(zone=zone)}
    assert {"legacy", "rest", "dyn", "panel", "imported"} <= names
    assert Record.objects.filter(zone=zone).count() == Record.objects.filter(rrset__zone=zone).count() > 5
    assert _misfiled() == []
    assert {r.name for r in zone_records(zone=other)} == {"@", "www"}  # nothing of example.com


def test_an_import_that_replaces_the_zone_fills_the_zone_of_every_record(zone: Zone, cli_actor: Actor) -> None:
    text = "".join(f"host{n} 300 IN A 192.0.2.{n}\n" for n in range(1, 200))
    assert zone_import(zone=zone, text=text, actor=cli_actor).ok
    assert Record.objects.filter(zone=zone).count() == 199 + 2  # and the apex NS set
    assert _misfiled() == []


@pytest.mark.postgres
def test_postgresql_refuses_a_record_filed_under_another_zone_than_its_rrsets(
    zone: Zone, account: Account, cli_actor: Actor
) -> None:
    other = zone_create(name="example.net", account=account, actor=cli_actor)
    rrset = RRset.objects.get(zone=zone, name="@", type="NS")
    with connection.cursor() as cursor:
        # The key is checked at commit, as Django's own are; the test's transaction never commits, so ask now.
        cursor.execute("SET CONSTRAINTS record_zone_is_rrset_zone IMMEDIATE")
    with pytest.raises(IntegrityError, match="record_zone_is_rrset_zone"), transaction.atomic():
        Record.objects.create(zone=other, rrset=rrset, content="ns.elsewhere.example.")
    assert _misfiled() == []


def test_the_readers_of_a_zone_show_its_records_only(zone: Zone, account: Account, cli_actor: Actor) -> None:
    other = zone_create(name="example.net", account=account, actor=cli_actor)
    assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor).ok
    changes = [Add("www", "A", "192.0.2.2"), Add("mx", "A", "192.0.2.3")]
    assert zone_apply(zone=other, changes=changes, actor=cli_actor).ok
    assert rrsets_matching(zone=zone, host="www", rdtype="A")[("www", "A")].contents == ["192.0.2.1"]
    assert set(rrsets_matching(zone=zone)) == {("@", "NS"), ("www", "A")}
    snapshot = zone_snapshot(zone_id=zone.pk)
    assert snapshot is not None
    assert sorted(str(name) for name, _ in snapshot.rrsets) == ["example.com.", "www.example.com."]
    assert "192.0.2.2" not in zone_master_file(zone=zone)


# --- the migration: add nullable (0011), backfill in batches (0012), make required (0013) ------------------------

BEFORE = [("zones", "0011_zone_account_name_index")]
REQUIRED = [("zones", "0014_record_zone_required")]
BACKFILL = importlib.import_module("zones.migrations.0013_record_zone_backfill")


@pytest.mark.django_db(transaction=True)
def test_the_backfill_files_every_existing_record_under_its_rrsets_zone_and_migrating_back_and_forth_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(BACKFILL, "BATCH", 3)  # seven records: three batches, the last one short
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    account = old.get_model("accounts", "Account").objects.create(name="acme")
    zones, rrsets = old.get_model("zones", "Zone").objects, old.get_model("zones", "RRset").objects
    records = old.get_model("zones", "Record").objects
    expected = []
    for name in ("example.com", "example.net"):
        zone = zones.create(name=name, account=account, soa_mname="ns.", soa_rname="dns.")
        for host, count in (("www", 2), ("mail", 1)) if name == "example.com" else (("www", 4),):
            rrset = rrsets.create(zone=zone, name=host, type="A", ttl=300)
            for n in range(count):
                expected.append((records.create(rrset=rrset, content=f"192.0.2.{n}").pk, zone.pk))
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(REQUIRED)
        new = executor.loader.project_state(REQUIRED).apps.get_model("zones", "Record").objects
        assert sorted(new.values_list("id", "zone_id")) == sorted(expected)
        assert not new.exclude(zone=F("rrset__zone")).exists()

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)  # the column goes, the records stay
        assert sorted(records.values_list("id", flat=True)) == sorted(pk for pk, _ in expected)
        executor = MigrationExecutor(connection)
        executor.migrate(REQUIRED)
        again = executor.loader.project_state(REQUIRED).apps.get_model("zones", "Record").objects
        assert sorted(again.values_list("id", "zone_id")) == sorted(expected)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
