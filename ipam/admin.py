"""Read-only admin views of address space: every change goes through ipam.services (audited, locked, validated)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ipam.models import Allocation, Event, Pool, SpaceRequest


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Pool)
class PoolAdmin(ReadOnly):
    list_display = ["prefix", "site", "default_length", "description"]
    search_fields = ["prefix", "description", "site"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnly):
    list_display = ["prefix", "pool", "account", "status", "description", "allocated_by", "created"]
    list_filter = ["status", "pool"]
    search_fields = ["prefix", "description", "account__name"]
    list_select_related = ["pool", "account"]
    show_full_result_count = False  # a COUNT over a million rows on every page view is not worth it


@admin.register(SpaceRequest)
class SpaceRequestAdmin(ReadOnly):
    list_display = ["account", "family", "length", "status", "created", "decided_by"]
    list_filter = ["status"]


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["created", "action", "prefix", "account", "actor", "interface"]
    list_filter = ["action"]
    search_fields = ["prefix", "actor"]
