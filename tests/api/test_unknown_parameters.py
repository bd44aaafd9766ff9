"""The safety rule: a query parameter or body field an endpoint does not implement is a 400 naming it, on every
method, and the zone stays exactly as it was. Each base request below would change the zone without the stray part."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zones.api.params import RECORD_FIELDS
from zones.api.throttling import AddressThrottle, KeyThrottle, ZoneThrottle
from zones.models import Zone
from zones.selectors import zone_records
from zones.services import Add, zone_apply

R = "/dns/v2/zones/example.com/records"
DYNAMIC = "/dns/v2/dynamic/www.example.com"
RECORD = {"data": "192.0.2.77"}
# Every name any v2 endpoint reads; a stray name is anything else.
KNOWN = {
    "host", "type", "data", "select", "verify", "exclude-generated", "exclude-template", "records", "username",
    "password", "grant_type", "scope", *RECORD_FIELDS,
}  # fmt: skip


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: Any = None  # JSON unless `form`
    form: bool = False


WRITE_ROUTES = [
    Route("POST", R + "/www/A", {"records": [RECORD]}),
    Route("POST", R + "/www", {"records": [{**RECORD, "type": "A"}]}),
    Route("POST", R, {"records": [{**RECORD, "host": "www", "type": "A"}]}),
    Route("POST", R + "/www/A", RECORD, form=True),
    Route("PUT", R + "/www/A", {"records": [RECORD]}),
    Route("PUT", R + "/www", {"records": [{**RECORD, "type": "A"}]}),
    Route("PUT", R, {"records": [{**RECORD, "host": "www", "type": "A"}]}),
    Route("PUT", R + "/www/A", RECORD, form=True),
    Route("DELETE", R + "/www/A"),
    Route("DELETE", R + "/www"),
    Route("DELETE", R),
    Route("DELETE", R + "/www/A", {"data": "192.0.2.1"}, form=True),
    Route("GET", DYNAMIC),
    Route("POST", DYNAMIC),
    Route("PUT", DYNAMIC),
]
NAMES = st.text(min_size=1, max_size=20).filter(lambda name: name not in KNOWN)
VALUES = st.text(max_size=20)


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    for throttle, scope in ((KeyThrottle, "apikey"), (AddressThrottle, "address"), (ZoneThrottle, "zone")):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {scope: "100000/min"})


@pytest.fixture
def populated(zone, cli_actor):
    changes = [Add("www", "A", "192.0.2.1"), Add("mail", "MX", "10 mx.example.net."), Add("@", "TXT", '"v=spf1"')]
    zone_apply(zone=zone, changes=changes, actor=cli_actor)
    return zone


def snapshot(zone: Zone) -> tuple[int, list[tuple[str, str, int, str]]]:
    rows = sorted((r.name, r.type, r.ttl, r.content) for r in zone_records(zone=zone))
    return Zone.objects.get(pk=zone.pk).version, rows


def send(api, route: Route, query: str = "", body: Any = None, form: bool | None = None) -> Any:
    body = route.body if body is None else body
    form = route.form if form is None else form
    path = route.path + (f"?{query}" if query else "")
    if form:
        encoded = urllib.parse.urlencode(body, doseq=True) if isinstance(body, dict) else body
        return api.request(route.method, path, encoded, content_type="application/x-www-form-urlencoded")
    return api.request(route.method, path, body)


def assert_refused(reply: Any, name: str) -> None:
    assert reply.status == 400, (reply.status, reply.body)
    assert any(repr(name) in error for error in reply.body["errors"]), reply.body


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_each_base_request_changes_the_zone_without_the_stray_part(api_as, key, populated, route):
    # Otherwise "the zone stays as it was" below would prove nothing. The dynamic routes point www at the caller.
    before = snapshot(populated)
    reply = send(api_as(key, "198.51.100.7"), route)
    assert reply.status == 200, reply.body
    assert snapshot(populated) != before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(WRITE_ROUTES), name=NAMES, value=VALUES, place=st.sampled_from(["query", "body"]))
def test_a_stray_parameter_or_field_on_a_write_route_is_a_400_naming_it_and_changes_nothing(
    *, api, populated, unthrottled, route, name, value, place
):
    before = snapshot(populated)
    if place == "query":
        reply = send(api, route, urllib.parse.urlencode({name: value}))
    elif route.form or route.path.startswith(DYNAMIC) or route.method == "DELETE":
        fields = dict(route.body or {})
        reply = send(api, route, body={**fields, name: value}, form=True)
    else:
        reply = send(api, route, body={**route.body, name: value})
    assert_refused(reply, name)
    assert snapshot(populated) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(
        [r for r in WRITE_ROUTES if r.path.startswith(R) and r.method in {"POST", "PUT"} and not r.form]
    ),
    name=NAMES,
)
def test_a_stray_field_in_a_record_is_a_400_naming_it_and_changes_nothing(api, populated, unthrottled, route, name):
    before = snapshot(populated)
    record = {**route.body["records"][0], name: 1}
    assert_refused(send(api, route, body={**route.body, "records": [record]}), name)
    assert snapshot(populated) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from([r for r in WRITE_ROUTES if not r.path.startswith(DYNAMIC)]), name=NAMES, value=VALUES)
def test_a_stray_field_inside_a_select_is_a_400_naming_it_and_changes_nothing(
    *, api, populated, unthrottled, route, name, value
):
    before = snapshot(populated)
    select = urllib.parse.urlencode({"host": "www", name: value})
    assert_refused(send(api, route, urllib.parse.urlencode({"select": select})), name)
    assert snapshot(populated) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/dns/v2/zones"),
        ("GET", R),
        ("GET", R + "/www/A"),
        ("HEAD", R),
        ("OPTIONS", R),
        ("POST", "/login"),
    ],
)
def test_a_stray_query_parameter_on_any_other_route_is_a_400_naming_it(api, populated, method, path):
    reply = api.request(method, path + "?colour=blue")
    assert reply.status == 400
    if method != "HEAD":
        assert "'colour'" in json.dumps(reply.body)


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("host=www&host=mail", "given more than once"),
        ("data=1&data=2", "given more than once"),
        ("select=", "is not host="),
        ("select=host%3Dwww%26host%3Dmail", "more than once"),
        ("select=www", "is not host="),
        ("exclude-generated=maybe", "true or false"),
        ("verify=sometimes", "true or false"),
    ],
)
def test_an_ambiguous_filter_or_flag_is_refused_rather_than_read_one_way(api, populated, query, why):
    before = snapshot(populated)
    reply = api.delete(R + "?" + query)
    assert reply.status == 400, reply.body
    assert why in " ".join(reply.body["errors"])
    assert snapshot(populated) == before


def test_a_stray_field_beside_the_token_request_is_refused_in_the_oauth_shape(api_as, key):
    reply = api_as(None).request(
        "POST",
        "/login",
        "grant_type=client_credentials&client_secret=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=key.basic,
    )
    assert (reply.status, reply.body["error"]) == (400, "invalid_request")
    assert "'client_secret'" in reply.body["error_description"]


def test_a_field_that_its_record_type_has_not_is_refused(api, populated):
    before = snapshot(populated)
    reply = api.post(R + "/www/A", {"records": [{**RECORD, "mx_priority": 10}]})
    assert reply.status == 400
    assert "mx_priority is not a field of A records" in reply.body["errors"][0]
    assert snapshot(populated) == before
