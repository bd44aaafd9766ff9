"""Address space pages and staff pages through Django's test client; and the front door for legacy API hosts."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from accounts.actors import Actor
from accounts.models import Account
from ipam.models import Allocation, Pool, SpaceRequest
from ipam.services import space_request_file
from tests.conftest import API_PASSWORD
from zones.models import Nameserver, Zone, ZoneSync
from zones.selectors import zone_records


@override_settings(LEGACY_API_HOSTS=["dnsapi.example.net"])
def test_the_root_of_a_legacy_api_host_still_answers_the_api(client: Client, zone: Zone) -> None:
    data = {"domain": "example.com", "password": API_PASSWORD, "command": "ADD www 300 A 192.0.2.1"}
    response = client.post("/", data, HTTP_HOST="dnsapi.example.net")
    assert response.status_code == 200
    assert response.content.decode().startswith("ADD www 300 A 192.0.2.1")
    assert client.get("/", HTTP_HOST="panel.example.net")["Location"] == "/auth/login"


def test_a_customer_files_a_request_and_sees_it_pending(customer_client: Client, account: Account) -> None:
    data = {"account": account.pk, "family": 6, "length": 48, "purpose": "new rack"}
    assert customer_client.post("/space", data).status_code == 302
    assert SpaceRequest.objects.get().requested_by == "alice"
    assert "new rack" in customer_client.get("/").content.decode()


def test_staff_allocate_the_next_free_block_to_an_account(staff_client: Client, account: Account, pool6: Pool) -> None:
    data = {"pool": pool6.pk, "account": account.name, "length": 56, "description": "lab"}
    assert staff_client.post("/staff/allocate", data).status_code == 302
    allocation = Allocation.objects.get()
    assert (allocation.prefix, allocation.account, allocation.allocated_by) == ("2001:db8::/56", account, "sam")


def test_a_length_the_pool_does_not_allow_is_refused_with_the_services_reason(
    staff_client: Client, account: Account, pool6: Pool
) -> None:
    response = staff_client.post("/staff/allocate", {"pool": pool6.pk, "account": account.name, "length": 50})
    assert response.status_code == 400
    assert "/50" in response.content.decode()
    assert not Allocation.objects.exists()


def test_declining_needs_a_reason_and_the_customer_sees_it(
    staff_client: Client, customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    filed = space_request_file(account=account, family=6, length=32, purpose="everything", actor=cli_actor)
    staff_client.post(f"/staff/requests/{filed.pk}/decline", {f"r{filed.pk}-reason": ""})
    assert SpaceRequest.objects.get().status == "pending"
    staff_client.post(f"/staff/requests/{filed.pk}/decline", {f"r{filed.pk}-reason": "a /32 is a whole LIR"})
    assert SpaceRequest.objects.get().status == "declined"
    assert "a /32 is a whole LIR" in customer_client.get("/space").content.decode()


@pytest.mark.parametrize(
    ("query", "found"), [("2001:db8:0:2::5", True), ("2001:db8::/40", True), ("2001:db8:ff::1", False)]
)
def test_staff_find_who_holds_an_address_or_prefix(
    staff_client: Client, allocation: Allocation, zone: Zone, query: str, found: bool
) -> None:
    page = staff_client.get("/staff/search", {"q": query}).content.decode()
    assert ("acme" in page and "example.com" in page) is found


def test_a_customer_sets_and_removes_a_ptr_inside_their_allocation(
    customer_client: Client, allocation: Allocation, reverse_zone: Zone
) -> None:
    data = {"address": "2001:db8::1", "hostname": "www.example.com"}
    assert customer_client.post(f"/space/{allocation.pk}/ptr", data).status_code == 302
    assert [(r.type, r.content) for r in zone_records(zone=reverse_zone) if r.type == "PTR"] == [
        ("PTR", "www.example.com.")
    ]
    outside = customer_client.post(
        f"/space/{allocation.pk}/ptr", {"address": "2001:db8:1::1", "hostname": "x.example."}
    )
    assert outside.status_code == 400
    assert "is not inside" in outside.content.decode()
    customer_client.post(f"/space/{allocation.pk}/ptr", {"address": "2001:db8::1", "hostname": ""})
    assert not [r for r in zone_records(zone=reverse_zone) if r.type == "PTR"]


def test_reverse_delegation_puts_ns_records_at_the_allocation(
    customer_client: Client, allocation: Allocation, reverse_zone: Zone
) -> None:
    data = {"nameservers": "ns1.customer.example\nns2.customer.example"}
    assert customer_client.post(f"/space/{allocation.pk}/delegation", data).status_code == 302
    ns = {(r.name, r.content) for r in zone_records(zone=reverse_zone) if r.type == "NS" and r.name != "@"}
    owner = ".".join("0000")  # the /48's four nibbles below the /32 reverse zone
    assert ns == {(owner, "ns1.customer.example."), (owner, "ns2.customer.example.")}


def test_staff_pages_show_accounts_and_nameserver_state(staff_client: Client, zone: Zone) -> None:
    ns = Nameserver.objects.create(name="hidden-primary", address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0")
    ZoneSync.objects.create(zone=zone, nameserver=ns, version=0, attempts=3, last_error="connection refused")
    accounts = staff_client.get("/staff/accounts").content.decode()
    assert "acme" in accounts
    assert "example.com" in accounts
    sync = staff_client.get("/staff/nameservers").content.decode()
    assert "hidden-primary" in sync
    assert "connection refused" in sync
    dashboard_state = staff_client.get("/zones/example.com").content.decode()
    assert "failing" in dashboard_state
