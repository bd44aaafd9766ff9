"""One sign-in for everything (finding 1 of issue 11): the admin site sends people to the panel's sign-in, with its
TOTP step and throttles, and staff powers (staff pages, every zone, the admin, the IPAM API by session) need a
session that verified a second factor."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.panel.conftest import PASSWORD
from tests.sessions import sign_in_verified
from zones.models import Zone

STAFF_PAGES = ["/staff", "/staff/accounts", "/admin/"]


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_the_admin_login_page_is_the_panels_sign_in(client: Client, staff: User) -> None:
    response = client.get("/admin/login/?next=/admin/accounts/")
    assert (response.status_code, response["Location"]) == (302, "/auth/login?next=/admin/accounts/")
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_passwords_posted_to_the_admin_login_sign_nobody_in_and_the_panel_throttle_counts_them(
    client: Client, staff: User
) -> None:
    for _ in range(30):
        response = client.post("/admin/login/", {"username": "sam", "password": "wrong"}, REMOTE_ADDR="192.0.2.5")
        assert response.status_code == 302
    right = client.post("/admin/login/", {"username": "sam", "password": PASSWORD}, REMOTE_ADDR="192.0.2.5")
    assert right.status_code == 302
    assert "_auth_user_id" not in client.session
    for _ in range(settings.PANEL_LOGIN_FAILURES_PER_USER):
        client.post("/auth/login", {"username": "sam", "password": "wrong"}, REMOTE_ADDR="192.0.2.5")
    assert client.post("/auth/login", {"username": "sam", "password": "wrong"}).status_code == 429


def test_a_staff_password_alone_opens_no_staff_page_no_customer_zone_and_no_admin(
    client: Client, staff: User, zone: Zone
) -> None:
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)  # a session with the password step only
    pages = [*STAFF_PAGES, "/admin/accounts/account/", f"/zones/{zone.name}", f"/zones/{zone.name}/credentials"]
    for path in [*pages, "/dashboard"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/auth/login?next="), path
    assert client.get("/api/ipam/pools/").status_code == 403


def test_staff_without_a_device_are_sent_to_turn_totp_on_then_reach_the_staff_pages(client: Client, staff: User):
    assert client.post("/auth/login", {"username": "sam", "password": PASSWORD})["Location"] == "/"
    response = client.get("/staff")
    assert (response.status_code, response["Location"]) == (302, "/auth/security")
    assert client.get("/auth/security").status_code == 200  # shows the set-up key
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.post("/auth/security", {"token": _code(device)}).status_code == 302
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 200, path


def test_staff_who_give_the_password_and_the_code_reach_every_staff_page(client: Client, staff: User, zone) -> None:
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = client.post("/auth/login", {"username": "sam", "password": PASSWORD, "next": "/admin/"})
    assert response["Location"] == "/auth/verify"
    assert client.get("/admin/").status_code == 302  # not signed in until the code
    response = client.post("/auth/verify", {"token": _code(device)})
    assert response["Location"] == "/admin/"
    for path in [*STAFF_PAGES, f"/zones/{zone.name}"]:
        assert client.get(path).status_code == 200, path


def test_a_verified_staff_session_is_what_the_tests_staff_client_has(client: Client, staff: User) -> None:
    sign_in_verified(client, staff)
    assert client.get("/staff").status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_provider_may_turn_the_staff_requirement_off(client: Client, staff: User, settings, path: str) -> None:
    settings.STAFF_REQUIRE_TOTP = False
    client.force_login(staff)
    assert client.get(path).status_code == 200


def test_customers_without_totp_are_not_asked_for_one(customer_client: Client) -> None:
    assert customer_client.get("/dashboard").status_code == 200
