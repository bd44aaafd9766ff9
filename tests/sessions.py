"""Signed-in test clients as the panel's sign-in leaves them: a staff session has verified its second factor."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def sign_in_verified(client: Client, user: User) -> TOTPDevice:
    """force_login, plus what login_verify adds after a right code: the session names a confirmed TOTP device."""
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
