"""GET/PUT /dns/v2/zones/{zone}/dnssec: the switch over REST, scoped like the record writes, strict about its input.
(The signing itself is tested against real servers in tests/push/test_dnssec.py.)"""

from __future__ import annotations

import pytest

from accounts.models import SecurityEvent
from tests.api.conftest import Api
from zones.models import Nameserver, ZoneDnssec
from zones.services import Replace, zone_apply

pytestmark = pytest.mark.django_db

URL = "/dns/v2/zones/example.com/dnssec"


@pytest.fixture
def signer(db) -> Nameserver:
    """A BIND hidden primary registered (unreachable here: the switch is recorded, the step's failure noted)."""
    return Nameserver.objects.create(
        name="hidden-primary", address="127.0.0.1", port=9, kind=Nameserver.Kind.BIND, tsig_name="k",
        tsig_secret="c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", zone_directory="/nonexistent", control="/nonexistent/rndc.conf",
    )  # fmt: skip


def test_get_shows_an_unsigned_zone(api: Api, zone):
    reply = api.request("GET", URL)
    assert reply.status == 200
    assert (reply.body["state"], reply.body["enabled"], reply.body["ds"], reply.body["keys"]) == (
        "unsigned",
        False,
        [],
        [],
    )


def test_put_turns_signing_on_and_the_security_log_says_who(api: Api, zone, signer):
    reply = api.request("PUT", URL, {"enabled": True})
    assert reply.status == 200, reply.body
    assert (reply.body["state"], reply.body["enabled"]) == ("signing", True)
    assert ZoneDnssec.objects.get(zone=zone).state == ZoneDnssec.State.SIGNING
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.DNSSEC_ENABLED)
    assert api.key is not None
    assert (event.subject, event.interface, event.actor) == ("example.com", "api", f"API key {api.key.key.key_id}")
    assert api.request("PUT", URL, {"enabled": False}).body["state"] == "removing"


def test_an_unknown_field_or_parameter_is_refused_and_changes_nothing(api: Api, zone, signer):
    assert api.request("PUT", URL, {"enabled": True, "algorithm": 8}).status == 400
    assert api.request("PUT", URL + "?force=1", {"enabled": True}).status == 400
    assert api.request("PUT", URL, {"enabled": "perhaps"}).status == 400
    assert api.request("GET", URL + "?format=json").status == 400
    assert not ZoneDnssec.objects.filter(state=ZoneDnssec.State.SIGNING).exists()


def test_a_read_only_or_host_restricted_key_may_read_but_not_switch(client, make_key, zone, signer):
    for scope in ({"read_only": True}, {"hosts": ["www"]}):
        api = Api(client, make_key(**scope))
        assert api.request("GET", URL).status == 200
        assert api.request("PUT", URL, {"enabled": True}).status == 403
    assert not ZoneDnssec.objects.filter(state=ZoneDnssec.State.SIGNING).exists()


def test_another_accounts_zone_is_not_found(client, make_key, other_account, zone, signer):
    api = Api(client, make_key(owner=other_account))
    assert api.request("GET", URL).status == 404
    assert api.request("PUT", URL, {"enabled": True}).status == 404


def test_without_a_signing_nameserver_the_switch_is_refused_with_the_reason(api: Api, zone):
    reply = api.request("PUT", URL, {"enabled": True})
    assert reply.status == 400
    assert "BIND or Knot" in reply.body["errors"][0]


def test_a_zone_with_a_ttl_above_the_signers_limit_is_refused(api: Api, zone, signer, cli_actor):
    zone_apply(zone=zone, changes=[Replace(name="www", type="A", contents=("192.0.2.1",), ttl=172800)], actor=cli_actor)
    reply = api.request("PUT", URL, {"enabled": True})
    assert reply.status == 400
    assert "www A (TTL 172800)" in reply.body["errors"][0]


def test_the_endpoint_is_in_the_openapi_schema(api: Api):
    schema = api.request("GET", "/api/schema/?format=json", HTTP_ACCEPT="application/json")
    assert "/dns/v2/zones/{zone}/dnssec" in str(schema.body)


def test_a_signed_zone_refuses_a_ttl_above_the_signers_limit(api: Api, zone, signer, cli_actor):
    assert api.request("PUT", URL, {"enabled": True}).status == 200
    long = Replace(name="www", type="A", contents=("192.0.2.1",), ttl=172800)
    assert zone_apply(zone=zone, changes=[long], actor=cli_actor).errors == [
        "a signed zone's TTLs may be at most 86400 seconds (the signer's max-zone-ttl)"
    ]
    assert zone_apply(
        zone=zone, changes=[Replace(name="www", type="A", contents=("192.0.2.1",), ttl=86400)], actor=cli_actor
    ).ok
