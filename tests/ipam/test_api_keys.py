"""The IPAM REST API with account API keys (HTTP Basic key:secret or bearer token, as on /dns/v2): a key acts for its
account within its scope, and is never staff."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account, ApiKey
from accounts.services import account_create, apikey_revoke
from ipam.models import Allocation, Event, Pool, SpaceRequest
from ipam.services import prefix_allocate, ptr_set, space_request_file
from tests.apikeys import Key, MakeKey
from zones.models import RRset, Zone
from zones.services import zone_create

BASE = "/api/ipam"
REVERSE = "8.b.d.0.1.0.0.2.ip6.arpa"
CLIENT = "192.0.2.50"


def call(
    method: str, path: str, body: Any = None, *, authorization: str | None, address: str = CLIENT
) -> tuple[int, Any]:
    """One request as an HTTP client would make it: a fresh client (no session), an Authorization header, JSON."""
    headers: dict[str, Any] = {"REMOTE_ADDR": address}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    data = json.dumps(body) if body is not None else ""
    response = Client().generic(method, BASE + path, data, content_type="application/json", **headers)
    return response.status_code, response.json() if response.content else None


@pytest.fixture
def reverse_zone(db, cli_actor: Actor) -> Zone:
    provider = account_create(name="provider", actor=cli_actor)
    return zone_create(name=REVERSE, account=provider, actor=cli_actor, allow_reserved=True)


@pytest.fixture
def block(pool6: Pool, account: Account, cli_actor: Actor) -> Allocation:
    return prefix_allocate(pool=pool6, account=account, prefix="2001:db8:abcd::/48", actor=cli_actor)


@pytest.fixture
def theirs(pool6: Pool, other_account: Account, cli_actor: Actor) -> Allocation:
    return prefix_allocate(pool=pool6, account=other_account, prefix="2001:db8:beef::/48", actor=cli_actor)


MAIL = {"address": "2001:db8:abcd::25", "hostname": "mail.example.com"}


def test_a_key_lists_only_its_accounts_allocations(key: Key, block: Allocation, theirs: Allocation) -> None:
    status, body = call("GET", "/allocations/", authorization=key.basic)
    assert status == 200, body
    assert [(a["prefix"], a["account"]) for a in body["results"]] == [("2001:db8:abcd::/48", "acme")]
    status, usage = call("GET", "/allocations/usage/", authorization=key.basic)
    assert [row["account"] for row in usage] == ["acme"]


def test_a_key_files_a_request_for_its_account(key: Key, other_account: Account) -> None:
    body = {"family": 6, "length": 56, "purpose": "kubernetes nodes"}
    status, filed = call("POST", "/requests/", body, authorization=key.basic)
    assert (status, filed["status"], filed["account"]) == (201, "pending", "acme")
    assert SpaceRequest.objects.get().requested_by == f"API key {key.key.key_id}"
    status, _ = call("POST", "/requests/", {**body, "account": "globex"}, authorization=key.basic)
    assert status == 400  # another account's name is unknown to the key
    assert SpaceRequest.objects.count() == 1
    assert call("GET", "/requests/", authorization=key.basic)[1]["results"][0]["id"] == filed["id"]


def test_a_key_sets_a_ptr_inside_its_allocation_and_not_outside(
    key: Key, block: Allocation, reverse_zone: Zone
) -> None:
    status, rows = call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=key.basic)
    assert (status, rows) == (200, [{"address": "2001:db8:abcd::25", "hostname": "mail.example.com."}])
    event = Event.objects.get(action="ptr_set")
    assert (event.actor, event.user, event.client_address) == (f"API key {key.key.key_id}", None, CLIENT)
    outside = {"address": "2001:db8:abce::25", "hostname": "evil.example.com"}
    status, body = call("PUT", f"/allocations/{block.pk}/ptr/", outside, authorization=key.basic)
    assert (status, body["detail"]) == (400, "2001:db8:abce::25 is not inside 2001:db8:abcd::/48")
    assert call("GET", f"/allocations/{block.pk}/ptr/", authorization=key.basic)[1] == rows


def test_a_key_delegates_its_allocations_reverse_zone(key: Key, block: Allocation, reverse_zone: Zone) -> None:
    body = {"nameservers": ["ns1.example.net"]}
    status, reply = call("PUT", f"/allocations/{block.pk}/delegation/", body, authorization=key.basic)
    assert (status, reply) == (200, body)
    assert reverse_zone.rrsets.filter(name="d.c.b.a", type="NS").exists()


def test_a_read_only_key_reads_but_is_refused_every_write(
    make_key: MakeKey, block: Allocation, reverse_zone: Zone
) -> None:
    key = make_key(read_only=True)
    assert call("GET", f"/allocations/{block.pk}/", authorization=key.basic)[0] == 200
    assert call("GET", f"/allocations/{block.pk}/ptr/", authorization=key.basic)[0] == 200
    status, body = call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=key.basic)
    assert (status, body["detail"]) == (403, "this API key is read-only")
    delegation = {"nameservers": ["ns1.example.net"]}
    assert call("PUT", f"/allocations/{block.pk}/delegation/", delegation, authorization=key.basic)[0] == 403
    request = {"family": 6, "length": 56, "purpose": "more"}
    assert call("POST", "/requests/", request, authorization=key.basic)[0] == 403
    assert not RRset.objects.filter(zone=reverse_zone, type__in=["PTR", "NS"]).exclude(name="@").exists()
    assert not SpaceRequest.objects.exists()
    assert not Event.objects.filter(action__in=["ptr_set", "reverse_delegate", "space_request_file"]).exists()


def test_another_accounts_key_finds_nothing_of_ours(
    make_key: MakeKey, other_account: Account, block: Allocation, reverse_zone: Zone, cli_actor: Actor
) -> None:
    space_request_file(account=block.account, family=6, length=56, purpose="ours", actor=cli_actor)  # type: ignore[arg-type]
    stranger = make_key(owner=other_account)
    assert call("GET", f"/allocations/{block.pk}/", authorization=stranger.basic)[0] == 404
    assert call("GET", f"/allocations/{block.pk}/ptr/", authorization=stranger.basic)[0] == 404
    assert call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=stranger.basic)[0] == 404
    delegation = {"nameservers": ["ns.evil.example"]}
    assert call("PUT", f"/allocations/{block.pk}/delegation/", delegation, authorization=stranger.basic)[0] == 404
    assert call("GET", "/allocations/", authorization=stranger.basic)[1]["results"] == []
    assert call("GET", "/requests/", authorization=stranger.basic)[1]["results"] == []
    assert call("GET", f"/requests/{SpaceRequest.objects.get().pk}/", authorization=stranger.basic)[0] == 404
    assert not reverse_zone.rrsets.filter(type__in=["PTR", "NS"]).exclude(name="@").exists()


def test_a_revoked_or_expired_key_and_a_wrong_secret_are_401(
    make_key: MakeKey, block: Allocation, cli_actor: Actor
) -> None:
    revoked, expired, good = make_key(), make_key(), make_key()
    token = Client().post("/login", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=revoked.basic)
    bearer = "Bearer " + token.json()["access_token"]
    assert call("GET", "/allocations/", authorization=bearer)[0] == 200
    apikey_revoke(key=revoked.key, actor=cli_actor)
    ApiKey.objects.filter(pk=expired.key.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
    wrong = Key(good.key, "not the secret")
    for authorization in (revoked.basic, bearer, expired.basic, wrong.basic, "Basic !!!", "Bearer forged"):
        status, body = call("GET", "/allocations/", authorization=authorization)
        assert (status, body["detail"]) == (401, "invalid API key credentials"), authorization
    response = Client().get(f"{BASE}/allocations/", REMOTE_ADDR=CLIENT)
    assert response.status_code == 401  # no credentials at all
    assert response["WWW-Authenticate"] == 'Basic realm="ctrlpanel API"'


def test_a_key_is_refused_outside_its_client_networks(make_key: MakeKey, block: Allocation) -> None:
    key = make_key(networks=["203.0.113.0/24"])
    assert call("GET", "/allocations/", authorization=key.basic, address="203.0.113.9")[0] == 200
    status, body = call("GET", "/allocations/", authorization=key.basic, address=CLIENT)
    assert (status, body["detail"]) == (403, "this API key may not be used from this address")


def test_staff_operations_refuse_every_key(
    make_key: MakeKey, account: Account, pool6: Pool, block: Allocation, cli_actor: Actor
) -> None:
    # Even a key of an account that a staff user belongs to: the key acts for the account, never as staff.
    account.members.add(User.objects.create_user("noc", is_staff=True))
    key = make_key()
    filed = space_request_file(account=account, family=6, length=56, purpose="lab", actor=cli_actor)
    refused = [
        call("GET", "/pools/", authorization=key.basic),
        call("POST", "/pools/", {"prefix": "192.0.2.0/24", "default_length": 26}, authorization=key.basic),
        call("GET", f"/pools/{pool6.pk}/utilisation/", authorization=key.basic),
        call("POST", f"/pools/{pool6.pk}/allocate/", {"account": "acme"}, authorization=key.basic),
        call("POST", f"/pools/{pool6.pk}/reserve/", {"length": 48}, authorization=key.basic),
        call("DELETE", f"/pools/{pool6.pk}/", authorization=key.basic),
        call("POST", f"/allocations/{block.pk}/release/", authorization=key.basic),
        call("POST", f"/requests/{filed.pk}/approve/", {"pool": pool6.pk}, authorization=key.basic),
        call("POST", f"/requests/{filed.pk}/decline/", {"reason": "no"}, authorization=key.basic),
    ]
    assert {status for status, _ in refused} == {403}
    assert Allocation.objects.count() == 1
    assert Pool.objects.count() == 1
    assert SpaceRequest.objects.get().status == "pending"


def test_raw_http_basic_and_bearer_as_curl_sends_them(key: Key, block: Allocation) -> None:
    # What `curl -u KEY:SECRET` sends, built by hand rather than through the test helpers.
    raw = base64.b64encode(f"{key.key.key_id}:{key.secret}".encode("ascii")).decode("ascii")
    response = Client().get(
        f"{BASE}/allocations/?limit=10", HTTP_AUTHORIZATION=f"Basic {raw}", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [a["prefix"] for a in response.json()["results"]] == ["2001:db8:abcd::/48"]
    login = Client().post("/login", "grant_type=client_credentials", "application/x-www-form-urlencoded",
                          HTTP_AUTHORIZATION=f"Basic {raw}")  # fmt: skip
    token = login.json()["access_token"]
    response = Client().get(f"{BASE}/allocations/{block.pk}/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (response.status_code, response.json()["prefix"]) == (200, "2001:db8:abcd::/48")


def test_a_key_restricted_to_zones_changes_reverse_dns_only_in_reverse_zones_it_names(
    make_key: MakeKey, account: Account, block: Allocation, reverse_zone: Zone, cli_actor: Actor
) -> None:
    zone_create(name="example.com", account=account, actor=cli_actor)
    forward_only = make_key(zones=["example.com"])
    status, body = call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=forward_only.basic)
    assert (status, body["detail"]) == (
        403,
        f"this API key may not change PTR records at 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a in {REVERSE}",
    )
    delegation = {"nameservers": ["ns1.example.net"]}
    assert call("PUT", f"/allocations/{block.pk}/delegation/", delegation, authorization=forward_only.basic)[0] == 403
    request = {"family": 6, "length": 56, "purpose": "more"}
    assert call("POST", "/requests/", request, authorization=forward_only.basic)[0] == 403
    assert not reverse_zone.rrsets.filter(type__in=["PTR", "NS"]).exclude(name="@").exists()
    # It still sees its account's space (reads are the account's), but not PTRs it may not change.
    ptr_set(allocation=block, address="2001:db8:abcd::1", hostname="www.example.com", actor=cli_actor)
    assert call("GET", "/allocations/", authorization=forward_only.basic)[1]["count"] == 1
    assert call("GET", f"/allocations/{block.pk}/ptr/", authorization=forward_only.basic)[1] == []

    reverse_only = make_key(zones=[REVERSE])
    assert call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=reverse_only.basic)[0] == 200
    assert len(call("GET", f"/allocations/{block.pk}/ptr/", authorization=reverse_only.basic)[1]) == 2


def test_a_key_restricted_to_types_may_set_ptrs_but_not_delegate(
    make_key: MakeKey, block: Allocation, reverse_zone: Zone
) -> None:
    ptr_only = make_key(record_types=["PTR"])
    assert call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=ptr_only.basic)[0] == 200
    delegation = {"nameservers": ["ns1.example.net"]}
    status, body = call("PUT", f"/allocations/{block.pk}/delegation/", delegation, authorization=ptr_only.basic)
    assert (status, body["detail"]) == (403, f"this API key may not change NS records at d.c.b.a in {REVERSE}")
    assert not reverse_zone.rrsets.filter(type="NS").exclude(name="@").exists()
    txt_only = make_key(record_types=["TXT"])
    assert call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=txt_only.basic)[0] == 403


def test_a_key_restricted_to_hosts_sets_ptrs_only_at_matching_reverse_names(
    make_key: MakeKey, block: Allocation, reverse_zone: Zone
) -> None:
    # Host patterns are relative to the reverse zone, as they are relative to the zone in the DNS API.
    key = make_key(hosts=["*.0.0.0.0.d.c.b.a"])  # the first /64 of the /48
    assert call("PUT", f"/allocations/{block.pk}/ptr/", MAIL, authorization=key.basic)[0] == 200
    other_net = {"address": "2001:db8:abcd:1::25", "hostname": "mail.example.com"}
    assert call("PUT", f"/allocations/{block.pk}/ptr/", other_net, authorization=key.basic)[0] == 403


def test_a_panel_session_still_works_beside_keys(account: Account, block: Allocation, reverse_zone: Zone) -> None:
    user = User.objects.create_user("alice")
    account.members.add(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(f"{BASE}/allocations/").json()["count"] == 1
    # A session write needs the CSRF token, as in the panel; a key write never does.
    response = client.put(f"{BASE}/allocations/{block.pk}/ptr/", json.dumps(MAIL), content_type="application/json")
    assert response.status_code == 403
