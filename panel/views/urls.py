"""The web panel's pages (included by panel.urls)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from panel.views import audit, auth, credentials, dnssec, secondaries, space, zones

_reset = {"success_url": reverse_lazy("password-reset-done")}

urlpatterns = [
    path("auth/login", auth.login_view, name="login"),
    path("auth/verify", auth.login_verify, name="login-verify"),
    path("auth/logout", auth.logout_view, name="logout"),
    path("auth/security", auth.security, name="security"),
    path("security-log", audit.security_log_view, name="security-log"),
    path("security-log/<int:pk>/history", audit.deleted_zone_history, name="security-log-zone"),
    path(
        "auth/password",
        auth_views.PasswordChangeView.as_view(
            template_name="panel/auth/form.html",
            success_url=reverse_lazy("security"),
            extra_context={"title": "Change your password"},
        ),
        name="password-change",
    ),
    path(
        "auth/reset",
        auth_views.PasswordResetView.as_view(
            template_name="panel/auth/form.html",
            email_template_name="panel/auth/reset_email.txt",
            subject_template_name="panel/auth/reset_subject.txt",
            extra_context={
                "title": "Reset your password",
                "intro": "We will send a link to the address we have for you.",
            },
            **_reset,
        ),
        name="password-reset",
    ),
    path(
        "auth/reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="panel/auth/message.html"),
        name="password-reset-done",
    ),
    path(
        "auth/reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="panel/auth/form.html",
            success_url=reverse_lazy("password-reset-complete"),
            extra_context={"title": "Choose a new password"},
        ),
        name="password-reset-confirm",
    ),
    path(
        "auth/reset/done",
        auth_views.PasswordResetCompleteView.as_view(template_name="panel/auth/message.html"),
        name="password-reset-complete",
    ),
    path("dashboard", zones.dashboard, name="dashboard"),
    path("zones/new", zones.zone_new, name="zone-new"),
    path("zones/<str:zone>", zones.zone_detail, name="zone"),
    path("zones/<str:zone>/add", zones.record_add, name="record-add"),
    path("zones/<str:zone>/rrsets/<str:name>/<str:rdtype>", zones.rrset_view, name="rrset"),
    path("zones/<str:zone>/rrsets/<str:name>/<str:rdtype>/delete", zones.record_delete, name="rrset-delete"),
    path("zones/<str:zone>/import", zones.zone_import_view, name="zone-import"),
    path("zones/<str:zone>/export", zones.zone_export, name="zone-export"),
    path("zones/<str:zone>/history", zones.zone_history, name="zone-history"),
    path("zones/<str:zone>/history/<int:version>/restore", zones.zone_restore_view, name="zone-restore"),
    path("zones/<str:zone>/dnssec", dnssec.zone_dnssec, name="zone-dnssec"),
    path("zones/<str:zone>/credentials", credentials.zone_credentials, name="zone-credentials"),
    path("zones/<str:zone>/credentials/api-password", credentials.api_password_set, name="zone-api-password"),
    path("zones/<str:zone>/credentials/dyndns", credentials.dyndns_host_set, name="zone-dyndns"),
    path("zones/<str:zone>/credentials/dyndns/delete", credentials.dyndns_host_delete, name="zone-dyndns-delete"),
    path("zones/<str:zone>/secondaries", secondaries.zone_secondaries, name="zone-secondaries"),
    path("zones/<str:zone>/secondaries/add", secondaries.secondary_add_view, name="zone-secondary-add"),
    path("zones/<str:zone>/secondaries/check", secondaries.secondary_check_view, name="zone-secondaries-check"),
    path(
        "zones/<str:zone>/secondaries/<int:pk>/remove",
        secondaries.secondary_remove_view,
        name="zone-secondary-remove",
    ),
    path("keys", credentials.apikeys, name="apikeys"),
    path("keys/<str:key_id>/revoke", credentials.apikey_revoke_view, name="apikey-revoke"),
    path("space", space.space, name="space"),
    path("space/<int:pk>", space.allocation_detail, name="allocation"),
    path("space/<int:pk>/ptr", space.ptr_set, name="allocation-ptr"),
    path("space/<int:pk>/delegation", space.reverse_delegate, name="allocation-delegation"),
    path("staff", space.staff_home, name="staff"),
    path("staff/allocate", space.staff_allocate, name="staff-allocate"),
    path("staff/requests", space.staff_requests, name="staff-requests"),
    path("staff/requests/<int:pk>/<str:decision>", space.staff_request_decide, name="staff-request-decide"),
    path("staff/search", space.staff_search, name="staff-search"),
    path("staff/accounts", space.staff_accounts, name="staff-accounts"),
    path("staff/accounts/pick", space.staff_account_pick, name="staff-account-pick"),
    path("staff/nameservers", space.staff_sync, name="staff-sync"),
    path("staff/security-log", audit.staff_security_log, name="staff-security-log"),
]
