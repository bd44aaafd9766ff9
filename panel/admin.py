"""Django's admin site behind the panel's one sign-in: the same password step, throttles and second factor."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from panel.second_factor import second_factor_satisfied


class PanelAdminSite(admin.AdminSite):
    """/admin/login/ is the panel's sign-in (a redirect), never a password form of its own: that form skipped the
    TOTP step and the failed-login throttle, and its session opened every staff page."""

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_satisfied(request)
