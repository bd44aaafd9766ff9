"""Staff powers need a verified second factor (STAFF_REQUIRE_TOTP, on by default).

A staff session that has only a password (signed in before TOTP was turned on, or with no device yet) is sent to
present its code or to turn TOTP on before any page but the sign-in pages answers it; the admin site refuses it too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

# The pages an unverified staff session may still open: to sign in again, present a code, turn TOTP on, sign out.
_OPEN = ("login", "login-verify", "logout", "security")


def second_factor_satisfied(request: HttpRequest) -> bool:
    """False for a staff user whose session has not verified a second factor while STAFF_REQUIRE_TOTP is on."""
    user = request.user
    if not settings.STAFF_REQUIRE_TOTP or not user.is_authenticated or not getattr(user, "is_staff", False):
        return True
    is_verified = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
    return bool(is_verified is not None and is_verified())


class StaffSecondFactorMiddleware:
    """After django_otp's OTPMiddleware: holds an unverified staff session at the second-factor pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if second_factor_satisfied(request) or request.path_info in {reverse(name) for name in _OPEN}:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": "staff sessions need a verified second factor"}, status=403)
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            # The password alone was given (a session from before the device): sign in again, code and all.
            return redirect_to_login(request.get_full_path())
        messages.warning(request, "Staff accounts must use two-factor sign-in: turn it on to continue.")
        return redirect("security")
