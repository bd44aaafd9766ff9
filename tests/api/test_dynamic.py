"""/dns/v2/dynamic/{fqdn}: GET, POST and PUT, with the API key as HTTP Basic, a bearer token, or the username and
password parameters of the v2 dynamic DNS page (query string or form body), under the same scope checks."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zones.selectors import zone_records

FORM = "application/x-www-form-urlencoded"

DYNAMIC = "/dns/v2/dynamic/home.example.com"


def addresses(zone):
    return sorted((r.type, r.content) for r in zone_records(zone=zone) if r.name == "home")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_the_dynamic_endpoint_answers_get_post_and_put_with_basic(api_as, key, zone, method):
    assert api_as(key, "198.51.100.7").request(method, DYNAMIC).status == 200
    assert addresses(zone) == [("A", "198.51.100.7")]


def test_the_dynamic_endpoint_takes_the_key_as_query_parameters(api_as, key, zone):
    # The v2 dynamic DNS page: .../dynamic/myhost.example.com?username=KEYID&password=SECRET
    query = f"?username={key.key.key_id}&password={key.secret}"
    assert api_as(None, "198.51.100.8").get(DYNAMIC + query).status == 200
    assert addresses(zone) == [("A", "198.51.100.8")]


def test_the_dynamic_endpoint_takes_the_key_as_form_parameters(api_as, key, zone):
    # curl .../dynamic/myhost.example.com -d username=KEYID -d password=SECRET
    body = f"username={key.key.key_id}&password={key.secret}"
    assert api_as(None, "2001:db8::9").request("POST", DYNAMIC, body, content_type=FORM).status == 200
    assert addresses(zone) == [("AAAA", "2001:db8::9")]


def test_the_dynamic_endpoint_takes_a_bearer_token(api_as, key, zone):
    login = api_as(None).request(
        "POST", "/login", "grant_type=client_credentials", content_type=FORM, HTTP_AUTHORIZATION=key.basic
    )
    token = login.body["access_token"]
    assert api_as(None, "198.51.100.9").put(DYNAMIC, HTTP_AUTHORIZATION=f"Bearer {token}").status == 200
    assert addresses(zone) == [("A", "198.51.100.9")]


def test_dynamic_parameter_credentials_meet_the_same_scope_checks(api_as, make_key, zone):
    scoped = make_key(hosts=["home"], record_types=["AAAA"])
    query = f"?username={scoped.key.key_id}&password={scoped.secret}"
    assert api_as(None, "198.51.100.7").get(DYNAMIC + query).status == 403  # A is outside the key's types
    assert api_as(None, "2001:db8::7").get(DYNAMIC + query).status == 200
    reader = make_key(read_only=True)
    assert api_as(None).get(f"{DYNAMIC}?username={reader.key.key_id}&password={reader.secret}").status == 403
    fenced = make_key(networks=["203.0.113.0/24"])
    assert api_as(None).get(f"{DYNAMIC}?username={fenced.key.key_id}&password={fenced.secret}").status == 403
    expired = make_key(expires=timezone.now() - datetime.timedelta(minutes=1))
    assert api_as(None).get(f"{DYNAMIC}?username={expired.key.key_id}&password={expired.secret}").status == 401
    assert addresses(zone) == [("AAAA", "2001:db8::7")]


def test_dynamic_credentials_given_twice_are_refused(api_as, key, zone):
    query = f"?username={key.key.key_id}&password={key.secret}"
    assert api_as(key).get(DYNAMIC + query).status == 401  # header and parameters: which key?
    body = f"username={key.key.key_id}&password={key.secret}"
    assert api_as(None).request("POST", DYNAMIC + query, body, content_type=FORM).status == 401
    assert api_as(None).get(DYNAMIC + f"?username={key.key.key_id}&password=wrong").status == 401
    assert addresses(zone) == []


def test_dynamic_credentials_as_json_are_refused_not_ignored(api_as, key, zone):
    body = {"username": key.key.key_id, "password": key.secret}
    assert api_as(key).request("POST", DYNAMIC, body).status == 400
    assert addresses(zone) == []
