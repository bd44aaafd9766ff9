"""Signing in (password, then a TOTP code for those who turned it on), failed-login throttling, TOTP set-up."""

from __future__ import annotations

import base64
import hashlib
import time
from io import BytesIO
from typing import Any
from urllib.parse import quote

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.counters import count_event, counts
from accounts.net import client_address
from accounts.services import totp_disable, totp_enable
from panel.forms import OtpTokenForm
from panel.query import query_parameters
from panel.views.common import actor_of

PENDING = "panel_pending_login"
PENDING_LIFETIME = 300  # seconds between the password and the code


# --- throttling ---------------------------------------------------------------------------------------------------


def _keys(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    address = str(client_address(request) or "unknown")
    return [
        (f"panel-login:user:{name}", settings.PANEL_LOGIN_FAILURES_PER_USER),
        (f"panel-login:addr:{address}", settings.PANEL_LOGIN_FAILURES_PER_CLIENT),
    ]


def login_throttled(request: HttpRequest, username: str) -> bool:
    """Too many recent failures for this user name or from this address: refuse before checking anything, so that
    guessing costs the attacker the whole window per few tries."""
    keys = _keys(request, username)
    found = counts(key for key, _ in keys)
    return any(found[key] >= limit for key, limit in keys)


def login_failed(request: HttpRequest, username: str) -> None:
    for key, _ in _keys(request, username):
        count_event(key, settings.PANEL_LOGIN_FAILURE_WINDOW)


def _throttled_response(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    minutes = max(1, settings.PANEL_LOGIN_FAILURE_WINDOW // 60)
    context["throttled"] = f"Too many failed attempts. Try again in {minutes} minutes."
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(settings.PANEL_LOGIN_FAILURE_WINDOW)
    return response


# --- sign in ------------------------------------------------------------------------------------------------------


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    safe = url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure())
    return candidate if candidate and safe else "/"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@sensitive_post_parameters("password")
@never_cache
@query_parameters("next")
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    form = AuthenticationForm(request, data=request.POST or None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method != "POST":
        return render(request, "panel/auth/login.html", context)
    username = request.POST.get("username", "")
    if login_throttled(request, username):
        return _throttled_response(request, "panel/auth/login.html", context)
    if not form.is_valid():
        login_failed(request, username)
        return render(request, "panel/auth/login.html", context, status=400)
    user = form.get_user()
    if confirmed_device(user) is not None:
        request.session[PENDING] = {"user": user.pk, "backend": user.backend, "next": next_url, "at": time.time()}  # type: ignore[attr-defined]
        return redirect("login-verify")
    login(request, user)
    return redirect(next_url)


def _pending_user(request: HttpRequest) -> tuple[Model, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_LIFETIME:
        return None
    user = get_user_model().objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


@sensitive_post_parameters("token")
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the person's authenticator app."""
    found = _pending_user(request)
    if found is None:
        messages.info(request, "Sign in again: the first step expired.")
        return redirect("login")
    user, pending = found
    # Bound for every POST: an empty POST is falsy, and add_error on an unbound form raised (a 500).
    form = OtpTokenForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST":
        return render(request, "panel/auth/verify.html", context)
    username = str(getattr(user, "username", ""))
    if login_throttled(request, username):
        return _throttled_response(request, "panel/auth/verify.html", context)
    device = confirmed_device(user)
    if device is not None and not device.verify_is_allowed()[0]:
        # django-otp doubles a pause after each wrong code; say so rather than calling a right code wrong.
        form.add_error(None, "Too many wrong codes in a row: wait a few seconds, then try the current code.")
        return render(request, "panel/auth/verify.html", context, status=429)
    if not form.is_valid() or device is None or not device.verify_token(form.cleaned_data["token"]):
        login_failed(request, username)
        form.add_error("token", "That code is not right. Check your device's clock, or wait for the next code.")
        return render(request, "panel/auth/verify.html", context, status=400)
    del request.session[PENDING]
    login(request, user, backend=pending["backend"])  # type: ignore[arg-type]
    django_otp.login(request, device)
    return redirect(pending.get("next") or "/")


# --- TOTP set-up --------------------------------------------------------------------------------------------------


def _otpauth_uri(request: HttpRequest, device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    issuer = quote(settings.OTP_TOTP_ISSUER)
    label = quote(f"{settings.OTP_TOTP_ISSUER}:{request.user.get_username()}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={issuer}&digits={device.digits}&period={device.step}"


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required
@never_cache
def security(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on (scan, confirm with a code) or off (with a code)."""
    confirmed = confirmed_device(request.user)
    form = OtpTokenForm(request.POST if request.method == "POST" else None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid() and confirmed.verify_token(form.cleaned_data["token"]):
            totp_disable(user=confirmed.user, actor=actor_of(request))
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("security")
        if request.method == "POST":
            form.add_error("token", "That code is not right.")
        return render(request, "panel/auth/security.html", {"enabled": True, "form": form})
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    if request.method == "POST" and form.is_valid() and device.verify_token(form.cleaned_data["token"]):
        totp_enable(device=device, actor=actor_of(request))
        django_otp.login(request, device)
        messages.success(request, "Two-factor sign-in is on. You will be asked for a code each time you sign in.")
        return redirect("security")
    if request.method == "POST":
        form.add_error("token", "That code is not right. Check your device's clock.")
    uri = _otpauth_uri(request, device)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {"enabled": False, "form": form, "uri": uri, "qr": _qr_svg(uri), "secret": secret}
    return render(request, "panel/auth/security.html", context, status=400 if request.method == "POST" else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("login")
