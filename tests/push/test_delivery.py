"""Changes reach the nameservers in-process (no broker): the zero-setup default."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rdatatype
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


def test_a_dname_added_through_the_rest_api_is_served_and_synthesises_names_below_it(
    server, nameserver, zone, client, make_key
):
    key = make_key()
    body = {"records": [{"host": "old", "type": "DNAME", "data": "new.example.net."}]}
    reply = client.post(
        "/dns/v2/zones/example.com/records", body, content_type="application/json", HTTP_AUTHORIZATION=key.basic
    )
    assert reply.status_code == 200, reply.content
    assert server.answer("old.example.com.", "DNAME") == ["new.example.net."]
    # RFC 6672: the server answers for any name below the owner with the DNAME and a CNAME it synthesises.
    query = dns.message.make_query("www.old.example.com.", "A")
    answer = dns.query.tcp(query, "127.0.0.1", port=server.port, timeout=2).answer
    assert ("www.old.example.com.", "CNAME", "www.new.example.net.") in {
        (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), rdata.to_text())
        for rrset in answer
        for rdata in rrset
    }
    # Nothing may be below a DNAME (RFC 6672 §2.3); Knot would refuse the UPDATE, so the API refuses the record first.
    below = {"records": [{"host": "www.old", "type": "A", "data": "192.0.2.1"}]}
    refused = client.post(
        "/dns/v2/zones/example.com/records", below, content_type="application/json", HTTP_AUTHORIZATION=key.basic
    )
    assert refused.status_code == 400
    assert "below the DNAME at old" in refused.json()["errors"][0]
    zone.refresh_from_db()
    assert ZoneSync.objects.get(zone=zone, nameserver=nameserver).version == zone.version
    call_command("zones_verify", "example.com")  # the verifier reads it back from the server as it is in the database
