"""Customer accounts. Users are members of one or more accounts; staff are Django staff users."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Account(models.Model):
    name = models.SlugField(max_length=64, unique=True, help_text="Short unique handle, e.g. 'acme'.")
    display_name = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="accounts", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "panel_account"  # created by the panel app before accounts/ existed; kept so no data moves
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """An account's credential for the REST APIs (DNS and IPAM) and Dynamic DNS: a key id and a hashed secret.

    Every restriction list is "empty means unrestricted"; a key with entries allows only what they name (default deny).
    Host patterns are relative to the zone apex ('@' for the apex) and may use '*' wildcards (`_acme-challenge.*`).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    key_id = models.CharField(max_length=32, unique=True)
    # "<salt hex>$<sha256 hex>": the secret is 32 random bytes, so a fast salted hash resists guessing.
    secret_hash = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    zones = models.JSONField(default=list, blank=True, help_text="Zone names; empty: every zone of the account.")
    hosts = models.JSONField(default=list, blank=True, help_text="Host patterns relative to the zone; empty: all.")
    record_types = models.JSONField(default=list, blank=True, help_text="Record types; empty: all.")
    networks = models.JSONField(default=list, blank=True, help_text="Client CIDRs; empty: from anywhere.")
    read_only = models.BooleanField(default=False)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "panel_apikey"  # created by the panel app before accounts/ existed; kept so no data moves
        ordering = ["account", "key_id"]

    def __str__(self) -> str:
        return f"API key {self.key_id}"
