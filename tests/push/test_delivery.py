"""Changes reach the nameservers in-process (no broker): the zero-setup default."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from zones.models import Zone, ZoneSync
from zones.push.selectors import SyncState, sync_statuses
from zones.services import Add, Operation, Replace, zone_apply

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_change_through_the_legacy_api_is_answered_by_the_nameserver_with_the_new_serial(
    nameserver, server, zone, legacy
):
    status, body = legacy("REPLACE www 300 A 192.0.2.10")
    assert (status, body) == (200, "REPLACE www 300 A 192.0.2.10\n")

    zone.refresh_from_db()
    assert server.answer("www.example.com.", "A") == ["192.0.2.10"]
    assert server.soa_serial("example.com") == zone.serial
    assert ZoneSync.objects.get(zone=zone, nameserver=nameserver).version == zone.version


def test_every_server_is_reported_in_sync_after_a_push(nameserver, zone, legacy):
    legacy("ADD txt 60 TXT hello")
    [status] = sync_statuses(zone_names=["example.com"])
    assert (status.state, status.nameserver, status.version) == (SyncState.IN_SYNC, nameserver.name, zone.version + 1)
    assert Zone.objects.get(pk=zone.pk).version == status.version


def test_a_name_that_turns_from_cname_into_addresses_is_served_as_addresses(server, nameserver, zone, cli_actor):
    zone_apply(zone=zone, changes=[Replace(name="app", type="CNAME", contents=("www.example.net.",))], actor=cli_actor)
    changes: list[Operation] = [
        Replace(name="app", type="CNAME", contents=()),
        Add(name="app", type="A", content="192.0.2.5"),
    ]
    assert zone_apply(zone=zone, changes=changes, actor=cli_actor).ok
    assert server.answer("app.example.com.", "A") == ["192.0.2.5"]
    assert server.answer("app.example.com.", "CNAME") == []


def test_aname_records_are_not_sent_to_the_nameserver(server, nameserver, zone, cli_actor):
    changes: list[Operation] = [
        Add(name="www", type="ANAME", content="lb.example.net."),
        Add(name="x", type="A", content="192.0.2.6"),
    ]
    assert zone_apply(zone=zone, changes=changes, actor=cli_actor).ok
    assert server.answer("x.example.com.", "A") == ["192.0.2.6"]
    assert server.answer("www.example.com.", "TYPE65300") == []
    call_command("zones_verify", "example.com")  # and their absence on the server is not drift
