from __future__ import annotations

from accounts.services import apikey_revoke


def login(api_as, key, grant="client_credentials", authorization=None):
    client = api_as(None)
    headers = {"HTTP_AUTHORIZATION": authorization or key.basic}
    return client.request(
        "POST", "/login", f"grant_type={grant}", content_type="application/x-www-form-urlencoded", **headers
    )


def test_login_issues_a_bearer_token_that_authenticates(api_as, key, zone):
    reply = login(api_as, key)
    assert reply.status == 200
    assert reply.body["token_type"] == "bearer"
    assert reply.body["expires_in"] > 0
    bearer = {"HTTP_AUTHORIZATION": "Bearer " + reply.body["access_token"]}
    assert api_as(None).get("/dns/v2/zones", **bearer).body == {"zones": ["example.com"]}


def test_login_with_a_wrong_secret_is_401(api_as, key):
    key.secret += "x"
    reply = login(api_as, key)
    assert (reply.status, reply.body["error"]) == (401, "invalid_client")


def test_login_needs_the_client_credentials_grant(api_as, key):
    reply = login(api_as, key, grant="password")
    assert (reply.status, reply.body["error"]) == (400, "unsupported_grant_type")


def test_the_token_of_a_revoked_key_is_refused(api_as, key, zone, cli_actor):
    token = login(api_as, key).body["access_token"]
    apikey_revoke(key=key.key, actor=cli_actor)
    assert api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION="Bearer " + token).status == 401
