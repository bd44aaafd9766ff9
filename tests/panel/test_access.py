"""Every page refuses other accounts' objects (404), and staff pages refuse everyone but staff (403)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import Scope, apikey_create
from ipam.models import Allocation
from ipam.services import space_request_file
from zones.models import Zone

ZONE_PAGES = [
    "/zones/example.com",
    "/zones/example.com/history",
    "/zones/example.com/import",
    "/zones/example.com/export",
    "/zones/example.com/credentials",
    "/zones/example.com/rrsets/@/NS",
    "/zones/example.com/rrsets/@/NS?edit=1",
]
ZONE_POSTS = [
    ("/zones/example.com/add", {"name": "www", "type": "A", "content": "192.0.2.1"}),
    ("/zones/example.com/rrsets/www/A", {"records": "192.0.2.1"}),
    ("/zones/example.com/rrsets/@/NS/delete", {}),
    ("/zones/example.com/import", {"text": "www 300 IN A 192.0.2.1\n", "apply": "1", "version": "1"}),
    ("/zones/example.com/history/1/restore", {}),
    ("/zones/example.com/credentials/api-password", {"password": "another long password"}),
    ("/zones/example.com/credentials/dyndns", {"host": "home"}),
]
STAFF_PAGES = ["/staff", "/staff/requests", "/staff/search?q=2001:db8::1", "/staff/accounts", "/staff/nameservers"]
STAFF_POSTS = ["/staff/allocate", "/staff/requests/1/approve", "/staff/requests/1/decline"]


@pytest.mark.parametrize("path", ZONE_PAGES)
def test_a_zone_page_answers_its_owner(customer_client: Client, zone: Zone, path: str) -> None:
    assert customer_client.get(path).status_code == 200


@pytest.mark.parametrize("path", ZONE_PAGES)
def test_a_zone_page_of_another_account_does_not_exist(other_client: Client, zone: Zone, path: str) -> None:
    assert other_client.get(path).status_code == 404


@pytest.mark.parametrize(("path", "data"), ZONE_POSTS)
def test_no_write_reaches_another_accounts_zone(
    other_client: Client, zone: Zone, path: str, data: dict[str, str]
) -> None:
    version, password = zone.version, zone.api_password
    assert other_client.post(path, data).status_code == 404
    zone.refresh_from_db()
    assert (zone.version, zone.api_password) == (version, password)
    assert not zone.dyndns_hosts.exists()


def test_an_unknown_zone_is_as_absent_as_another_accounts(customer_client: Client, zone: Zone) -> None:
    assert customer_client.get("/zones/nonexistent.example").status_code == 404


def test_pages_send_anonymous_people_to_sign_in(client: Client, zone: Zone) -> None:
    for path in ["/", "/zones/example.com", "/keys", "/space", "/auth/security"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/auth/login"), path


def test_an_allocation_of_another_account_does_not_exist(other_client: Client, allocation: Allocation) -> None:
    assert other_client.get(f"/space/{allocation.pk}").status_code == 404
    response = other_client.post(f"/space/{allocation.pk}/ptr", {"address": "2001:db8::1", "hostname": "x.example."})
    assert response.status_code == 404
    assert other_client.post(f"/space/{allocation.pk}/delegation", {"nameservers": "ns.evil."}).status_code == 404


def test_the_owner_sees_their_allocation(customer_client: Client, allocation: Allocation) -> None:
    response = customer_client.get(f"/space/{allocation.pk}")
    assert response.status_code == 200
    assert allocation.prefix in response.content.decode()


def test_another_accounts_api_key_cannot_be_revoked(other_client: Client, account: Account, cli_actor: Actor) -> None:
    key, _ = apikey_create(account=account, scope=Scope(), actor=cli_actor)
    assert other_client.post(f"/keys/{key.key_id}/revoke").status_code == 404
    key.refresh_from_db()
    assert key.revoked is None
    assert key.key_id not in other_client.get("/keys").content.decode()


def test_an_api_key_cannot_be_made_for_another_account(other_client: Client, account: Account) -> None:
    response = other_client.post("/keys", {"account": account.pk, "label": "sneaky"})
    assert response.status_code == 400
    assert not account.api_keys.exists()


def test_a_request_cannot_be_filed_for_another_account(other_client: Client, account: Account) -> None:
    data = {"account": account.pk, "family": 6, "length": 48, "purpose": "theirs"}
    assert other_client.post("/space", data).status_code == 400
    assert not account.space_requests.exists()


def test_the_dashboard_lists_only_ones_own_zones(other_client: Client, zone: Zone) -> None:
    response = other_client.get("/")
    assert response.status_code == 200
    assert "/zones/example.com" not in response.content.decode()


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_refuse_customers(customer_client: Client, path: str) -> None:
    assert customer_client.get(path).status_code == 403


@pytest.mark.parametrize("path", STAFF_POSTS)
def test_staff_actions_refuse_customers(
    customer_client: Client, account: Account, pool6, cli_actor: Actor, path: str
) -> None:
    space_request_file(account=account, family=6, length=48, purpose="lab", actor=cli_actor)
    data = {"pool": pool6.pk, "account": account.pk, "r1-pool": pool6.pk, "r1-reason": "no"}
    assert customer_client.post(path, data).status_code == 403
    assert not Allocation.objects.exists()
    assert account.space_requests.get().status == "pending"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_answer_staff(staff_client: Client, zone: Zone, pool6, path: str) -> None:
    assert staff_client.get(path).status_code == 200
