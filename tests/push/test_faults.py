"""Faults provoked against real nameservers, pushes in-process: nothing is marked delivered that was not."""

from __future__ import annotations

import dns.query
import dns.rcode
import dns.tsig
import dns.update
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.push.conftest import forget_zones, register
from tests.push.servers import TSIG_NAME, new_secret
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.push import control
from zones.push.selectors import SyncState, sync_statuses
from zones.services import Add, Replace, zone_apply, zone_delete

pytestmark = pytest.mark.django_db(transaction=True)


def current(zone: Zone) -> Zone:
    return Zone.objects.get(pk=zone.pk)


def test_changes_made_while_the_server_is_down_all_arrive_when_it_is_back(nameserver, server, zone, cli_actor):
    server.stop()
    try:
        for i in range(200):
            zone_apply(zone=zone, changes=[Add(name=f"h{i % 20}", type="A", content=f"192.0.2.{i}")], actor=cli_actor)
        [status] = sync_statuses(zone_names=["example.com"])
        assert status.state == SyncState.FAILING
        assert status.pending_since is not None
    finally:
        server.start()
    call_command("zones_push", "example.com")
    call_command("zones_verify", "example.com")  # raises CommandError when the server differs
    assert server.soa_serial("example.com") == current(zone).serial
    assert len(server.answer("h7.example.com.", "A")) == 10


def test_a_push_signed_with_a_wrong_secret_is_reported_retried_and_never_marked_delivered(
    nameserver, server, zone, cli_actor
):
    delivered = ZoneSync.objects.get(nameserver=nameserver, zone=zone).version
    Nameserver.objects.filter(pk=nameserver.pk).update(tsig_secret=new_secret())
    zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.1")], actor=cli_actor)

    sync = ZoneSync.objects.get(nameserver=nameserver, zone=zone)
    assert sync.version == delivered
    assert sync.attempts == 1
    assert "BadSignature" in sync.last_error or "BADSIG" in sync.last_error
    assert server.answer("www.example.com.", "A") == []

    Nameserver.objects.filter(pk=nameserver.pk).update(tsig_secret=server.secret)
    call_command("zones_push", "example.com")
    assert server.answer("www.example.com.", "A") == ["192.0.2.1"]
    assert ZoneSync.objects.get(nameserver=nameserver, zone=zone).attempts == 0


def test_a_zone_missing_on_an_rfc2136_server_is_reported_as_failing(server, transactional_db, zone, cli_actor):
    row = register(server, kind=Nameserver.Kind.RFC2136, zone_directory="")
    zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.1")], actor=cli_actor)
    [status] = sync_statuses(zone_names=["example.com"])
    assert (status.state, status.version) == (SyncState.FAILING, 0)
    assert "example.com" in status.last_error
    with pytest.raises(CommandError):
        call_command("zones_push", "example.com")
    forget_zones(row)


def test_an_edit_behind_our_back_is_reported_and_repaired_by_the_verifier(nameserver, server, zone, cli_actor, capsys):
    zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.1")], actor=cli_actor)
    update = dns.update.UpdateMessage("example.com.", keyring=dns.tsig.Key(TSIG_NAME, server.secret))
    update.add("rogue", 60, "A", "198.51.100.66")
    update.replace("www", 300, "A", "198.51.100.1")
    assert dns.query.tcp(update, "127.0.0.1", port=server.port, timeout=5).rcode() == dns.rcode.NOERROR

    with pytest.raises(CommandError):
        call_command("zones_verify", "example.com")
    out = capsys.readouterr().out
    assert "DIFFERS" in out
    assert "rogue A" in out
    assert "www A" in out

    call_command("zones_verify", "example.com", "--repair")
    call_command("zones_verify", "example.com")
    assert server.answer("rogue.example.com.", "A") == []
    assert server.answer("www.example.com.", "A") == ["192.0.2.1"]
    assert server.soa_serial("example.com") == current(zone).serial


def test_a_change_set_larger_than_one_message_arrives_whole(nameserver, server, zone, cli_actor):
    changes = [Replace(name=f"bulk{i}", type="TXT", contents=(f'"{"x" * 40} {i}"',)) for i in range(3000)]
    assert zone_apply(zone=zone, changes=changes, actor=cli_actor).ok
    assert server.soa_serial("example.com") == current(zone).serial
    # Several messages, one serial step each: the pipeline raised the serial to make room (a journaled version).
    assert Change.objects.filter(zone=zone, actor__startswith="push pipeline").exists()
    assert server.answer("bulk2999.example.com.", "TXT") == [f'"{"x" * 40} 2999"']
    call_command("zones_verify", "example.com")


def test_a_deleted_zone_is_removed_from_the_server(nameserver, server, zone, cli_actor):
    assert server.soa_serial("example.com") == current(zone).serial
    zone_delete(zone=zone, actor=cli_actor)
    assert server.soa_serial("example.com") is None


def test_a_server_that_has_the_zone_already_is_reconciled_and_its_zone_file_left_alone(
    nameserver, server, zone, cli_actor
):
    path = control.zone_file_path(nameserver, "example.com")
    before = path.read_text()
    ZoneSync.objects.filter(zone=zone).delete()  # we forgot what the server has (a restored database, say)
    zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.9")], actor=cli_actor)
    assert server.answer("www.example.com.", "A") == ["192.0.2.9"]
    assert ZoneSync.objects.get(zone=zone).version == current(zone).version
    assert path.read_text() == before  # the server's file (with its journal) was not replaced under it
