from __future__ import annotations

from django.contrib import admin

from accounts.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ["name", "display_name", "created"]
    search_fields = ["name", "display_name"]
    filter_horizontal = ["members"]
