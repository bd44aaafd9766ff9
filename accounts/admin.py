from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import Account, SecurityEvent


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["name", "display_name", "created"]
    search_fields = ["name", "display_name"]
    filter_horizontal = ["members"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin[SecurityEvent]):
    """Read only: the log is written by the services alone, and an audit trail that can be edited proves nothing."""

    list_display = ["created", "account_name", "action", "subject", "actor", "interface", "client_address"]
    list_filter = ["action", "interface"]
    search_fields = ["account_name", "subject", "actor"]
    date_hierarchy = "created"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SecurityEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SecurityEvent | None = None) -> bool:
        return False
