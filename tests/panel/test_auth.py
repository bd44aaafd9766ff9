"""Signing in: password, the optional TOTP step, throttling of failures, password reset by mail, the idle timeout."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.panel.conftest import PASSWORD


def _login(client: Client, username: str = "alice", password: str = PASSWORD, **extra: Any):
    return client.post("/auth/login", {"username": username, "password": password}, **extra)


def _token(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_a_right_password_signs_in_and_lands_on_the_dashboard(client: Client, customer: User) -> None:
    response = _login(client)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert client.session["_auth_user_id"] == str(customer.pk)


def test_a_wrong_password_does_not_sign_in(client: Client, customer: User) -> None:
    assert _login(client, password="wrong").status_code == 400
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_user_name_even_with_the_right_password(client: Client, customer: User) -> None:
    for _ in range(settings.PANEL_LOGIN_FAILURES_PER_USER):
        assert _login(client, password="wrong", REMOTE_ADDR="192.0.2.1").status_code == 400
    response = _login(client, REMOTE_ADDR="192.0.2.2")  # another address, the right password: still locked
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_lock_it_for_every_user_name(client: Client, customer: User) -> None:
    for n in range(settings.PANEL_LOGIN_FAILURES_PER_CLIENT):
        _login(client, username=f"guess{n}", password="wrong", REMOTE_ADDR="198.51.100.9")
    assert _login(client, REMOTE_ADDR="198.51.100.9").status_code == 429
    assert _login(client, REMOTE_ADDR="198.51.100.10").status_code == 302


def test_a_redirect_after_sign_in_stays_on_this_site(client: Client, customer: User) -> None:
    response = client.post("/auth/login", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.fixture
def device(customer: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=customer, name="phone", confirmed=True)


def test_with_totp_the_password_alone_does_not_sign_in(client: Client, device: TOTPDevice) -> None:
    response = _login(client)
    assert response["Location"] == "/auth/verify"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still signed out


def test_the_right_code_completes_the_sign_in_and_a_wrong_one_does_not(client: Client, device: TOTPDevice) -> None:
    _login(client)
    assert client.post("/auth/verify", {"token": "12345"}).status_code == 400
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    response = client.post("/auth/verify", {"token": _token(device)})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_code_cannot_be_used_twice(client: Client, device: TOTPDevice) -> None:
    code = _token(device)
    _login(client)
    assert client.post("/auth/verify", {"token": code}).status_code == 302
    other = Client()
    _login(other)
    assert other.post("/auth/verify", {"token": code}).status_code == 400


def test_the_code_step_cannot_be_reached_without_the_password(client: Client, device: TOTPDevice) -> None:
    response = client.post("/auth/verify", {"token": _token(device)})
    assert response["Location"] == "/auth/login"
    assert "_auth_user_id" not in client.session


def test_turning_totp_on_needs_a_code_from_the_new_key(customer_client: Client, customer: User) -> None:
    page = customer_client.get("/auth/security").content.decode()
    assert "<svg" in page  # the QR code of the new key
    device = TOTPDevice.objects.get(user=customer, confirmed=False)
    assert (
        customer_client.post("/auth/security", {"token": "000000" if _token(device) != "000000" else "1"}).status_code
        == 400
    )
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    assert customer_client.post("/auth/security", {"token": _token(device)}).status_code == 302
    assert TOTPDevice.objects.get(user=customer).confirmed


def test_password_reset_mails_a_link_that_sets_a_new_password(client: Client, customer: User) -> None:
    assert client.post("/auth/reset", {"email": "alice@example.net"}).status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/auth/reset/\S+)", str(mail.outbox[0].body))
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    new = "an entirely new password 42"
    response = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(new)


def test_sessions_end_after_idle_time_and_every_form_needs_a_csrf_token(customer: User) -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert 0 < settings.SESSION_COOKIE_AGE <= 3600
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.post("/zones/new", {"name": "csrf.example"}).status_code == 403
