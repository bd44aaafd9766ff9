"""The IPAM REST API: staff manage space; customers see and change only their own (tenant isolation)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import account_create
from ipam.models import Allocation, Pool, SpaceRequest
from ipam.services import prefix_allocate
from tests.sessions import sign_in_verified
from zones.models import Zone
from zones.services import zone_create

BASE = "/api/ipam"


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    sign_in_verified(client, User.objects.create_user("noc", is_staff=True))
    return client


def _member_of(account: Account, name: str) -> Client:
    user = User.objects.create_user(name)
    account.members.add(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(account: Account) -> Client:
    return _member_of(account, "alice")


@pytest.fixture
def mallory(other_account: Account) -> Client:
    return _member_of(other_account, "mallory")


@pytest.fixture
def reverse_zone(db, cli_actor: Actor) -> Zone:
    provider = account_create(name="provider", actor=cli_actor)
    return zone_create(name="8.b.d.0.1.0.0.2.ip6.arpa", account=provider, actor=cli_actor, allow_reserved=True)


@pytest.fixture
def block(pool6: Pool, account: Account, cli_actor: Actor) -> Allocation:
    return prefix_allocate(pool=pool6, account=account, prefix="2001:db8:abcd::/48", actor=cli_actor)


def post(client: Client, path: str, data: object, method: str = "post") -> tuple[int, Any]:
    response = getattr(client, method)(BASE + path, data, content_type="application/json")
    return response.status_code, response.json() if response.content else {}


def test_staff_create_a_pool_and_allocate_the_next_free_block(staff: Client, account: Account) -> None:
    status, pool = post(staff, "/pools/", {"prefix": "192.0.2.0/24", "default_length": 25})
    assert status == 201, pool
    assert (pool["prefix"], pool["allowed_lengths"]) == ("192.0.2.0/24", [25])
    got = [post(staff, f"/pools/{pool['id']}/allocate/", {"account": "acme"}) for _ in range(3)]
    assert [status for status, _ in got] == [201, 201, 409]
    assert [body.get("prefix") for _, body in got[:2]] == ["192.0.2.0/25", "192.0.2.128/25"]
    assert "no free /25 left" in got[2][1]["detail"]
    usage = staff.get(f"{BASE}/pools/{pool['id']}/utilisation/").json()
    assert usage["active"] == {"prefixes": 2, "addresses": "256"}
    assert usage["largest_free"] is None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"account": "acme", "length": 52}, 400, "hands out /48, /56, /64, not /52"),
        ({"account": "acme", "prefix": "2001:db8::1/48"}, 400, "host bits set"),
        ({"account": "nobody"}, 400, "no account named nobody"),
        ({"account": "acme", "prefix": "2001:db8:abcd:1::/64"}, 409, "overlaps 2001:db8:abcd::/48"),
    ],
)
@pytest.mark.usefixtures("block")
def test_bad_allocation_requests_are_clear_errors(
    staff: Client, pool6: Pool, body: dict[str, object], status: int, message: str
) -> None:
    got, answer = post(staff, f"/pools/{pool6.pk}/allocate/", body)
    assert (got, message in answer["detail"]) == (status, True), answer
    assert Allocation.objects.count() == 1


def test_overlapping_pools_are_a_conflict(staff: Client, pool6: Pool) -> None:
    status, body = post(staff, "/pools/", {"prefix": "2001:db8:1::/48", "default_length": 64})
    assert status == 409
    assert "overlaps the pool 2001:db8::/32" in body["detail"]


def test_customers_cannot_manage_pools_or_release_blocks(alice: Client, pool6: Pool, block: Allocation) -> None:
    assert alice.get(f"{BASE}/pools/").status_code == 403
    assert post(alice, f"/pools/{pool6.pk}/allocate/", {"account": "acme"})[0] == 403
    assert post(alice, f"/allocations/{block.pk}/release/", {})[0] == 403
    assert Client().get(f"{BASE}/allocations/").status_code == 401  # no session and no API key


@pytest.fixture
def theirs(pool6: Pool, other_account: Account, cli_actor: Actor) -> Allocation:
    return prefix_allocate(pool=pool6, account=other_account, actor=cli_actor)


def test_a_customer_sees_only_their_own_allocations(
    alice: Client, mallory: Client, block: Allocation, theirs: Allocation
) -> None:
    mine = alice.get(f"{BASE}/allocations/").json()["results"]
    assert [a["prefix"] for a in mine] == ["2001:db8:abcd::/48"]
    assert mallory.get(f"{BASE}/allocations/{block.pk}/").status_code == 404
    assert alice.get(f"{BASE}/allocations/{theirs.pk}/").status_code == 404
    assert [row["account"] for row in alice.get(f"{BASE}/allocations/usage/").json()] == ["acme"]


def test_a_customer_manages_the_ptrs_of_their_block_and_no_one_elses(
    alice: Client, mallory: Client, block: Allocation, reverse_zone: Zone
) -> None:
    status, rows = post(
        alice, f"/allocations/{block.pk}/ptr/", {"address": "2001:db8:abcd::25", "hostname": "mail.example.com"}, "put"
    )
    assert status == 200, rows
    assert rows == [{"address": "2001:db8:abcd::25", "hostname": "mail.example.com."}]
    outside = {"address": "2001:db8:abce::25", "hostname": "evil.example.com"}
    status, body = post(alice, f"/allocations/{block.pk}/ptr/", outside, "put")
    assert (status, body["detail"]) == (400, "2001:db8:abce::25 is not inside 2001:db8:abcd::/48")
    hijack = {"address": "2001:db8:abcd::25", "hostname": "evil.example.com"}
    assert post(mallory, f"/allocations/{block.pk}/ptr/", hijack, "put")[0] == 404
    assert mallory.get(f"{BASE}/allocations/{block.pk}/ptr/").status_code == 404
    assert alice.get(f"{BASE}/allocations/{block.pk}/ptr/").json()[0]["hostname"] == "mail.example.com."


def test_a_customer_delegates_their_reverse_zone(alice: Client, block: Allocation, reverse_zone: Zone) -> None:
    status, body = post(alice, f"/allocations/{block.pk}/delegation/", {"nameservers": ["ns1.example.net"]}, "put")
    assert (status, body) == (200, {"nameservers": ["ns1.example.net"]})
    assert reverse_zone.rrsets.filter(name="d.c.b.a", type="NS").exists()


def test_a_request_is_filed_by_the_customer_and_approved_by_staff(
    alice: Client, mallory: Client, staff: Client, pool6: Pool
) -> None:
    status, filed = post(alice, "/requests/", {"family": 6, "length": 56, "purpose": "kubernetes nodes"})
    assert (status, filed["status"], filed["account"]) == (201, "pending", "acme")
    assert mallory.get(f"{BASE}/requests/").json()["results"] == []
    assert post(alice, f"/requests/{filed['id']}/approve/", {"pool": pool6.pk})[0] == 403
    status, decided = post(staff, f"/requests/{filed['id']}/approve/", {"pool": pool6.pk})
    assert (status, decided["status"], decided["allocation"]) == (200, "approved", "2001:db8::/56")
    again = post(staff, f"/requests/{filed['id']}/decline/", {"reason": "no"})
    assert again[0] == 409
    assert SpaceRequest.objects.get().allocation is not None


def test_the_openapi_schema_describes_the_ipam_api(staff: Client) -> None:
    response = staff.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/ipam/pools/{id}/allocate/" in paths
    assert "409" in paths["/api/ipam/pools/{id}/allocate/"]["post"]["responses"]


def test_staff_reserve_space_and_delete_only_empty_pools(staff: Client, pool6: Pool, block: Allocation) -> None:
    status, reserved = post(staff, f"/pools/{pool6.pk}/reserve/", {"prefix": "2001:db8:ff00::/40"})
    assert (status, reserved["status"], reserved["account"]) == (201, "reserved", None)
    assert post(staff, f"/pools/{pool6.pk}/", {}, "delete")[0] == 409
    assert post(staff, f"/allocations/{block.pk}/release/", {})[1]["status"] == "quarantined"
    assert post(staff, f"/allocations/{reserved['id']}/release/", {})[0] == 204  # the provider's: free at once
    assert Pool.objects.filter(pk=pool6.pk).exists()


def test_staff_filter_allocations_and_usage_by_account_and_pool(
    staff: Client, block: Allocation, theirs: Allocation
) -> None:
    listed = staff.get(f"{BASE}/allocations/", {"account": "globex", "pool": "2001:db8::/32"}).json()["results"]
    assert [a["prefix"] for a in listed] == [theirs.prefix]
    usage = staff.get(f"{BASE}/allocations/usage/").json()
    assert [(u["account"], u["family"], u["active"]["addresses"]) for u in usage] == [
        ("acme", 6, str(2**80)),
        ("globex", 6, str(2**80)),
    ]
