"""A key sees and changes only what its scope names, through every endpoint; other accounts' zones do not exist."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zones.selectors import zone_records
from zones.services import Add, zone_apply, zone_create

R = "/dns/v2/zones/example.com/records"
TXT = {"records": [{"host": "_acme-challenge.www", "type": "TXT", "data": "token"}]}


@pytest.fixture
def populated(zone, cli_actor):
    zone_apply(
        zone=zone, changes=[Add("www", "A", "192.0.2.1"), Add("_acme-challenge.www", "TXT", '"old"')], actor=cli_actor
    )
    return zone


@pytest.fixture
def acme(api_as, make_key):
    return api_as(make_key(hosts=["_acme-challenge.www"], record_types=["TXT"]))


def contents(zone):
    return sorted((r.name, r.type, r.content) for r in zone_records(zone=zone))


def test_a_host_and_type_key_writes_its_own_record(acme, populated):
    assert acme.post(R + "/_acme-challenge.www/TXT", TXT).status == 200
    assert acme.delete(R + "/_acme-challenge.www/TXT?data=token").body["records_removed"] == 1


def test_a_host_and_type_key_reads_only_its_records(acme, populated):
    assert [(r["host"], r["type"]) for r in acme.get(R).body["records"]] == [("_acme-challenge.www", "TXT")]
    assert acme.get(R + "/www/A").body == {"records": []}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", R, {"records": [{"host": "www", "type": "A", "data": "192.0.2.9"}]}),
        ("POST", R, {"records": [{"host": "_acme-challenge.www", "type": "A", "data": "192.0.2.9"}]}),
        ("POST", R, {"records": [{"host": "_acme-challenge.api", "type": "TXT", "data": "x"}]}),
        ("PUT", R + "/www/A", {"records": [{"data": "192.0.2.9"}]}),
        ("PUT", R + "/www", {"records": [{"type": "TXT", "data": "x"}]}),
        ("PUT", R, {"records": [{"host": "www", "type": "A", "data": "192.0.2.9"}]}),
        ("PUT", R, "$ORIGIN example.com.\nwww 60 IN A 192.0.2.9\n"),
        ("PUT", "/dns/v2/dynamic/www.example.com", None),
        ("DELETE", R + "/www/A", None),
        ("DELETE", R + "/_acme-challenge.mail/TXT", None),
    ],
)
def test_a_host_and_type_key_cannot_touch_anything_else(acme, populated, method, path, body):
    before = contents(populated)
    content_type = "text/dns" if isinstance(body, str) else "application/json"
    reply = acme.request(method, path, body, content_type=content_type)
    assert reply.status == 403, reply.body
    assert "error" in reply.body
    assert contents(populated) == before


def test_deleting_with_a_scoped_key_removes_only_what_it_sees(acme, populated):
    assert acme.delete(R).body["records_removed"] == 1
    assert acme.delete(R + "/www").body["records_removed"] == 0
    assert ("www", "A", "192.0.2.1") in contents(populated)


def test_a_whole_zone_put_with_a_scoped_key_replaces_only_what_it_sees(acme, populated):
    assert acme.put(R, TXT).status == 200
    assert ("www", "A", "192.0.2.1") in contents(populated)
    assert ("_acme-challenge.www", "TXT", '"token"') in contents(populated)
    assert ("_acme-challenge.www", "TXT", '"old"') not in contents(populated)


def test_a_scoped_key_cannot_read_the_zone_as_a_master_file(acme, populated):
    assert acme.get(R, HTTP_ACCEPT="text/dns").status == 403


def test_a_wildcard_host_pattern_matches_every_challenge_name(api_as, make_key, zone):
    wildcard = api_as(make_key(hosts=["_acme-challenge.*"], record_types=["TXT"]))
    for host in ("_acme-challenge.www", "_acme-challenge.api.v2"):
        assert wildcard.post(R, {"records": [{"host": host, "type": "TXT", "data": "t"}]}).status == 200
    assert wildcard.post(R, {"records": [{"host": "_acme-challenge", "type": "TXT", "data": "t"}]}).status == 403


@pytest.fixture
def foreign(other_account, cli_actor):
    zone = zone_create(name="example.net", account=other_account, actor=cli_actor)
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor)
    return zone


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dns/v2/zones/example.net/records"),
        ("GET", "/dns/v2/zones/example.net/records/www/A"),
        ("POST", "/dns/v2/zones/example.net/records"),
        ("PUT", "/dns/v2/zones/example.net/records/www/A"),
        ("DELETE", "/dns/v2/zones/example.net/records"),
        ("PUT", "/dns/v2/dynamic/www.example.net"),
    ],
)
def test_a_key_never_sees_another_accounts_zone(api, zone, foreign, method, path):
    body = {"records": [{"host": "www", "type": "A", "data": "192.0.2.9"}]} if method in {"POST", "PUT"} else None
    reply = api.request(method, path, None if "dynamic" in path else body)
    assert reply.status == 404
    assert api.get("/dns/v2/zones").body == {"zones": ["example.com"]}
    assert contents(foreign)[-1] == ("www", "A", "192.0.2.1")


def test_a_zone_restricted_key_sees_only_its_zones(api_as, make_key, zone, account, cli_actor):
    zone_create(name="example.org", account=account, actor=cli_actor)
    only = api_as(make_key(zones=["example.org"]))
    assert only.get("/dns/v2/zones").body == {"zones": ["example.org"]}
    assert only.get(R).status == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", R), ("PUT", R), ("PUT", R + "/www/A"), ("DELETE", R), ("PUT", "/dns/v2/dynamic/www.example.com")],
)
def test_a_read_only_key_cannot_write(api_as, make_key, populated, method, path):
    reader = api_as(make_key(read_only=True))
    before = contents(populated)
    body = (
        None
        if "dynamic" in path or method == "DELETE"
        else {"records": [{"host": "www", "type": "A", "data": "192.0.2.9"}]}
    )
    assert reader.request(method, path, body).status == 403
    assert reader.get(R).status == 200
    assert contents(populated) == before


def test_a_key_limited_to_networks_refuses_other_clients(api_as, make_key, zone):
    key = make_key(networks=["198.51.100.0/24", "2001:db8::/32"])
    assert api_as(key, "198.51.100.9").get("/dns/v2/zones").status == 200
    assert api_as(key, "2001:db8::9").get("/dns/v2/zones").status == 200
    assert api_as(key, "203.0.113.9").get("/dns/v2/zones").status == 403


def test_an_expired_key_is_refused(api_as, make_key, zone):
    key = make_key(expires=timezone.now() - datetime.timedelta(minutes=1))
    assert api_as(key).get("/dns/v2/zones").status == 401
