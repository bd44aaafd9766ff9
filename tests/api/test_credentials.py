"""API key credentials as shell clients build them, and as anything else sends them: never a 500."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from accounts.authentication import credentials_from_basic
from accounts.services import apikey_revoke

R = "/dns/v2/zones/example.com/records"
FORM = "application/x-www-form-urlencoded"


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def login(api_as, authorization: str, body: str = "grant_type=client_credentials"):
    return api_as(None).request("POST", "/login", body, content_type=FORM, HTTP_AUTHORIZATION=authorization)


@pytest.mark.parametrize("tail", ["\n", "\r\n", "\r"])
def test_a_basic_secret_with_a_trailing_line_break_is_accepted_at_login_and_on_the_api(api_as, key, zone, tail):
    # acme.sh: _H1="Authorization: Basic $(echo "$MB_AK:$MB_AS" | _base64)": echo's newline is encoded too.
    header = basic(f"{key.key.key_id}:{key.secret}{tail}")
    assert login(api_as, header).status == 200
    assert api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION=header).status == 200


def test_a_basic_secret_with_anything_else_added_is_refused(api_as, key, zone):
    for wrong in (f"{key.secret} ", f"{key.secret}\t", f"{key.secret}x", key.secret[:-1]):
        header = basic(f"{key.key.key_id}:{wrong}")
        assert login(api_as, header).status == 401, repr(wrong)
        assert api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION=header).status == 401


def test_a_bearer_token_survives_being_cut_out_of_the_json_as_acme_sh_does(api_as, key, zone):
    reply = login(api_as, key.basic)
    token = reply.body["access_token"]
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token), token  # URL-safe, and no ':'
    # acme.sh: _egrep_o "access_token\":\"[^\"]*\"" | cut -d : -f 2 | tr -d '"'
    raw = reply.headers.content.decode()
    found = re.search(r'access_token":\s*"[^"]*"', raw)
    assert found is not None, raw
    cut = found.group(0).split(":")[1].replace('"', "").strip()
    assert cut == token
    assert api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION=f"Bearer {cut}").status == 200


def test_a_bearer_token_expires_and_dies_with_its_key(api_as, key, zone, settings, cli_actor):
    token = login(api_as, key.basic).body["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert api_as(None).get("/dns/v2/zones", **bearer).status == 200
    settings.API_TOKEN_LIFETIME = -1  # every token issued so far is past its lifetime
    assert api_as(None).get("/dns/v2/zones", **bearer).status == 401
    settings.API_TOKEN_LIFETIME = 3600
    apikey_revoke(key=key.key, actor=cli_actor)
    assert api_as(None).get("/dns/v2/zones", **bearer).status == 401


def test_a_tampered_bearer_token_is_refused(api_as, key, zone):
    token = login(api_as, key.basic).body["access_token"]
    payload, stamp, signature = token.split(".")
    forged = base64.urlsafe_b64encode(b'{"k":"someone-else"}').decode().rstrip("=")
    for wrong in (f"{forged}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-2]}AA", token.replace(".", ":")):
        assert api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION=f"Bearer {wrong}").status == 401


def test_the_oauth2_scope_field_is_read_and_grants_no_more_than_the_key(api_as, make_key, zone):
    # dnscontrol's golang.org/x/oauth2 clientcredentials sends grant_type=client_credentials&scope=client_credentials.
    reader = make_key(read_only=True)
    reply = login(api_as, reader.basic, "grant_type=client_credentials&scope=client_credentials")
    assert reply.status == 200
    bearer = {"HTTP_AUTHORIZATION": "Bearer " + reply.body["access_token"]}
    assert api_as(None).get(R, **bearer).status == 200
    body = {"records": [{"host": "www", "type": "A", "data": "192.0.2.1"}]}
    assert api_as(None).request("POST", R, body, **bearer).status == 403


@pytest.mark.parametrize(
    "header",
    [
        "Basic \xc3\xa9",  # non-ASCII (what a latin-1 WSGI header of UTF-8 bytes looks like)
        "Basic é",
        "Basic !!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic",
        "Basic ",
        "Bearer",
        "Bearer \xc3\xa9",
        "Bearer a:b:c",
        "Digest username=x",
        "\x00\x01",
    ],
)
def test_a_malformed_authorization_header_is_a_401_never_a_500(api_as, zone, header):
    for path in ("/dns/v2/zones", R, "/dns/v2/dynamic/www.example.com"):
        assert api_as(None).get(path, HTTP_AUTHORIZATION=header).status == 401, path
    assert login(api_as, header).status == 401


@examples(max_examples=300, deadline=None)
@given(header=st.text(max_size=60) | st.binary(max_size=40).map(lambda raw: "Basic " + base64.b64encode(raw).decode()))
def test_basic_credentials_are_read_from_any_text_without_raising(header):
    result = credentials_from_basic(header)
    assert result is None or (isinstance(result, tuple) and len(result) == 2)


@examples(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass").decode("latin-1")))
def test_any_authorization_header_is_answered_401_by_the_api(api_as, zone, header):
    reply = api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION="Basic " + header)
    assert reply.status == 401
