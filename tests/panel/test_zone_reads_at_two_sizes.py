"""The readers of one zone's records (through Record.zone's index) answer right and take the same number of queries
for a zone of 20 records as for one of 3,000: the zone editor's search, the export on every interface, the REST
listing and the push's snapshot. A second zone of another account holds the same data: none of it may show."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import Account
from tests.apikeys import MakeKey
from zones.models import Record, RRset, Zone
from zones.push.services import zone_snapshot
from zones.services import Add, zone_apply, zone_create

SMALL, LARGE = 20, 3000
_MARKS = itertools.count()


def _fill(zone: Zone, actor: Actor, upto: int) -> None:
    """hostN A 10.x.y.z records up to `upto` of them, in bulk (zone_apply's speed is the service tests' to pin), then
    one change through zone_apply so that the zone has a journal."""
    have = RRset.objects.filter(zone=zone, name__startswith="host").count()
    rrsets = RRset.objects.bulk_create(RRset(zone=zone, name=f"host{n}", type="A", ttl=300) for n in range(have, upto))
    Record.objects.bulk_create(
        Record(zone=zone, rrset=rrset, content=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
        for n, rrset in enumerate(rrsets, have)
    )
    Zone.objects.filter(pk=zone.pk).update(record_count=F("record_count") + len(rrsets))
    assert zone_apply(zone=zone, changes=[Add(f"mark{next(_MARKS)}", "TXT", '"size"')], actor=actor).ok


@pytest.fixture
def twin(other_account: Account, cli_actor: Actor) -> Zone:
    """Another account's zone with the same records as example.com will have."""
    zone = zone_create(name="example.org", account=other_account, actor=cli_actor)
    _fill(zone, cli_actor, LARGE)
    assert zone_apply(zone=zone, changes=[Add("secret", "TXT", '"only-in-the-twin"')], actor=cli_actor).ok
    return zone


def _queries_at_two_sizes(zone: Zone, actor: Actor, read: Callable[[], Any]) -> list[int]:
    taken = []
    for size in (SMALL, LARGE):
        _fill(zone, actor, size)
        read()  # warm: templates compiled, the zone's settings read
        with CaptureQueriesContext(connection) as queries:
            read()
        taken.append(len(queries))
    return taken


def test_the_zone_editor_search_takes_the_same_queries_at_either_size_and_finds_only_this_zone(
    customer_client: Client, zone: Zone, twin: Zone, customer_actor: Actor
) -> None:
    def search(text: str = "10.0.0.1") -> str:
        response = customer_client.get("/zones/example.com", {"q": text})
        assert response.status_code == 200
        return response.content.decode()

    assert _queries_at_two_sizes(zone, customer_actor, search) == [10, 10]
    # 10.0.11.18 and 10.0.11.180 to .189 (host2834, host2996 to host2999): the twin's identical records are not counted
    assert "1\N{EN DASH}5 of 5" in search("10.0.11.18")
    assert "1\N{EN DASH}1 of 1" in search("host2999")  # a name matches too
    assert "No records match." in search("only-in-the-twin")


def test_the_export_takes_the_same_queries_at_either_size_on_every_interface(
    customer_client: Client, zone: Zone, twin: Zone, customer_actor: Actor, make_key: MakeKey
) -> None:
    key = make_key()
    api = Client()

    def panel() -> str:
        return customer_client.get("/zones/example.com/export").content.decode()

    def command() -> str:
        out = io.StringIO()
        call_command("zone_export", "example.com", stdout=out)
        return out.getvalue()

    def rest() -> str:
        response = api.get("/dns/v2/zones/example.com/records", HTTP_ACCEPT="text/dns", HTTP_AUTHORIZATION=key.basic)
        assert response.status_code == 200, response.content
        return response.content.decode()

    for export, queries in ((panel, 7), (command, 2), (rest, None)):
        taken = _queries_at_two_sizes(zone, customer_actor, export)
        assert taken[0] == taken[1], export.__name__
        assert queries is None or taken[0] == queries, (export.__name__, taken)
        text = export()
        assert text.count(" IN A 10.") == LARGE, export.__name__
        assert "only-in-the-twin" not in text


def test_the_rest_listing_takes_the_same_queries_at_either_size(
    zone: Zone, twin: Zone, customer_actor: Actor, make_key: MakeKey
) -> None:
    key = make_key()
    api = Client()

    def listing() -> list[dict[str, Any]]:
        response = api.get("/dns/v2/zones/example.com/records", HTTP_AUTHORIZATION=key.basic)
        assert response.status_code == 200
        records: list[dict[str, Any]] = response.json()["records"]
        return records

    taken = _queries_at_two_sizes(zone, customer_actor, listing)
    assert taken[0] == taken[1]
    assert len([r for r in listing() if r["type"] == "A"]) == LARGE


def test_the_push_snapshot_takes_three_queries_at_either_size(zone: Zone, twin: Zone, customer_actor: Actor) -> None:
    def snapshot() -> int:
        made = zone_snapshot(zone_id=zone.pk)
        assert made is not None
        return sum(len(rdataset) for rdataset in made.rrsets.values())

    assert _queries_at_two_sizes(zone, customer_actor, snapshot) == [3, 3]  # the zone, its records, version unchanged
    assert snapshot() == LARGE + 2 + 2  # the apex NS set and the marks of the two sizes
