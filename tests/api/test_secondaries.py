"""The REST extension for a zone's own secondaries: the same scopes as every write, unknown input refused, the secret
in the creation answer only."""

from __future__ import annotations

import pytest

from accounts.models import SecurityEvent
from tests.api.conftest import Api
from tests.apikeys import MakeKey
from zones.models import Secondary, Zone

URL = "/dns/v2/zones/example.com/secondaries"


def test_adding_a_secondary_answers_201_with_the_secret_and_snippets_once(api: Api, zone: Zone) -> None:
    reply = api.post(URL, {"address": "8.8.8.8", "port": 5353, "label": "office"})
    assert reply.status == 201, reply.body
    row = Secondary.objects.get(zone=zone)
    assert reply.body["tsig_secret"] == row.tsig_secret
    assert reply.body["tsig_name"] == row.tsig_name
    assert (reply.body["address"], reply.body["port"], reply.body["label"]) == ("8.8.8.8", 5353, "office")
    assert set(reply.body["snippets"]) == {"bind", "knot", "nsd", "powerdns"}
    assert row.tsig_secret in reply.body["snippets"]["bind"]
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.SECONDARY_ADDED)
    assert event.actor.startswith("API key ")
    assert event.interface == "api"

    listed = api.get(URL)
    assert listed.status == 200
    [item] = listed.body["secondaries"]
    assert item["id"] == row.pk
    assert "tsig_secret" not in item
    assert row.tsig_secret not in str(listed.body)
    assert item["current"] is False  # never asked yet
    assert item["serial"] is None


def test_removing_a_secondary_answers_204_and_then_404(api: Api, zone: Zone) -> None:
    created = api.post(URL, {"address": "8.8.8.8"}).body
    assert api.delete(f"{URL}/{created['id']}").status == 204
    assert not Secondary.objects.exists()
    assert api.delete(f"{URL}/{created['id']}").status == 404
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.SECONDARY_REMOVED).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"address": "10.0.0.1"}, "10.0.0.1 is a private address"),
        ({"address": "8.8.8.8", "key": "mine"}, "unknown body field 'key'"),
        ({"address": "8.8.8.8", "port": 0}, "port"),
        ({"port": 53}, "address"),
        (["8.8.8.8"], "the body must be a JSON object"),
    ],
)
def test_a_refused_or_unknown_field_is_a_400_and_adds_nothing(api: Api, zone: Zone, body: object, message: str) -> None:
    reply = api.post(URL, body)
    assert reply.status == 400
    assert any(message in error for error in reply.body["errors"]), reply.body
    assert not Secondary.objects.exists()


def test_a_query_parameter_is_a_400(api: Api, zone: Zone) -> None:
    assert api.get(f"{URL}?check=1").status == 400
    assert api.post(f"{URL}?verify", {"address": "8.8.8.8"}).status == 400
    assert not Secondary.objects.exists()


def test_a_read_only_key_may_list_but_not_add_or_remove(api_as, make_key: MakeKey, zone: Zone, api: Api) -> None:
    created = api.post(URL, {"address": "8.8.8.8"}).body
    reader = api_as(make_key(read_only=True))
    assert reader.get(URL).status == 200
    assert reader.post(URL, {"address": "8.8.4.4"}).status == 403
    assert reader.delete(f"{URL}/{created['id']}").status == 403
    assert Secondary.objects.count() == 1


def test_a_key_that_sees_part_of_the_zone_may_not_add_a_secondary(api_as, make_key: MakeKey, zone: Zone) -> None:
    for scope in ({"hosts": ["_acme-challenge"]}, {"record_types": ["TXT"]}):
        reply = api_as(make_key(**scope)).post(URL, {"address": "8.8.8.8"})
        assert reply.status == 403
        assert "whole zone" in reply.body["error"]
    assert not Secondary.objects.exists()


def test_a_key_for_another_zone_sees_no_secondaries(api_as, make_key: MakeKey, zone: Zone) -> None:
    other = api_as(make_key(zones=["example.org"]))
    assert other.get(URL).status == 404
    assert other.post(URL, {"address": "8.8.8.8"}).status == 404


def test_an_id_that_is_no_number_is_a_json_404(api: Api, zone: Zone) -> None:
    reply = api.delete(f"{URL}/null")
    assert reply.status == 404
    assert reply.body == {"error": "no secondary null of example.com"}
