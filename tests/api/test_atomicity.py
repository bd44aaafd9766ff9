"""One request is one transaction: a request that fails half-way applies nothing."""

from __future__ import annotations

import pytest

from zones.models import Change, Zone
from zones.selectors import zone_records
from zones.services import Add, zone_apply

R = "/dns/v2/zones/example.com/records"


@pytest.fixture
def populated(zone, cli_actor):
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1"), Add("mail", "A", "192.0.2.2")], actor=cli_actor)
    return zone


def snapshot(zone):
    return sorted((r.name, r.type, r.content) for r in zone_records(zone=zone)), Zone.objects.get(pk=zone.pk).version


def test_a_put_whose_later_record_is_invalid_applies_nothing(api, populated):
    before = snapshot(populated)
    reply = api.put(
        R,
        {
            "records": [
                {"host": "www", "type": "A", "data": "192.0.2.10"},
                {"host": "new", "type": "A", "data": "192.0.2.11"},
                {"host": "bad", "type": "A", "data": "999.0.0.1"},
            ]
        },
    )
    assert reply.status == 400
    assert snapshot(populated) == before


def test_a_put_that_breaks_a_dns_rule_half_way_applies_nothing(api, populated):
    before = snapshot(populated)
    changes = Change.objects.count()
    reply = api.put(
        R,
        {
            "records": [
                {"host": "new", "type": "A", "data": "192.0.2.11"},
                {"host": "mail", "type": "A", "data": "192.0.2.2"},
                {"host": "mail", "type": "CNAME", "data": "www"},
            ]
        },
    )  # CNAME beside mail's A, which the PUT keeps
    assert reply.status == 400
    assert "CNAME" in " ".join(reply.body["errors"])
    assert snapshot(populated) == before
    assert Change.objects.count() == changes


def test_a_master_file_that_breaks_a_rule_applies_nothing(api, populated):
    before = snapshot(populated)
    text = '$ORIGIN example.com.\nnew 60 IN A 192.0.2.11\nx 60 IN CNAME www\nx 60 IN TXT "clash"\n'
    assert api.put(R, text, content_type="text/dns").status == 400
    assert snapshot(populated) == before


def test_a_successful_put_is_one_change_in_the_journal(api, populated):
    changes = Change.objects.count()
    assert (
        api.put(
            R,
            {
                "records": [
                    {"host": "a", "type": "A", "data": "192.0.2.1"},
                    {"host": "b", "type": "A", "data": "192.0.2.2"},
                ]
            },
        ).status
        == 200
    )
    assert Change.objects.count() == changes + 1
