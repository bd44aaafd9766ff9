"""Customer accounts. Users are members of one or more accounts; staff are Django staff users."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.actors import Interface


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


class SecurityEvent(models.Model):
    """The account security log: one row per security-relevant write (credentials, keys, second factor, zones coming
    and going), written in the transaction of the write it records.

    `subject` names what was touched (a key id, a zone, a host, a user name, a nameserver) and `detail` holds facts
    about it (a key's scope); neither ever holds a secret. `account_name` keeps the row readable after the account
    is gone; staff actions on the provider's own things (nameservers) have no account.
    """

    class Action(models.TextChoices):
        ACCOUNT_CREATED = "account_created", "account created"
        USER_CREATED = "user_created", "user created"
        API_PASSWORD_SET = "api_password_set", "API password set"
        API_PASSWORD_ROTATED = "api_password_rotated", "API password rotated"
        API_PASSWORD_REMOVED = "api_password_removed", "API password removed"
        APIKEY_CREATED = "apikey_created", "API key created"
        APIKEY_REVOKED = "apikey_revoked", "API key revoked"
        DYNDNS_PASSWORD_SET = "dyndns_password_set", "Dynamic DNS password set"
        DYNDNS_PASSWORD_DELETED = "dyndns_password_deleted", "Dynamic DNS password removed"
        TOTP_ENABLED = "totp_enabled", "two-factor sign-in turned on"
        TOTP_DISABLED = "totp_disabled", "two-factor sign-in turned off"
        NAMESERVER_CREATED = "nameserver_created", "nameserver added"
        ZONE_CREATED = "zone_created", "zone created"
        ZONE_DELETED = "zone_deleted", "zone deleted"
        DNSSEC_ENABLED = "dnssec_enabled", "DNSSEC turned on"
        DNSSEC_DISABLED = "dnssec_disabled", "DNSSEC turned off"
        SECONDARY_ADDED = "secondary_added", "zone transfer secondary added"
        SECONDARY_REMOVED = "secondary_removed", "zone transfer secondary removed"

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    account_name = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    subject = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interface = models.CharField(max_length=10, choices=[(i.value, i.value) for i in Interface])
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # "This account's log, newest first" and "everyone's, newest first": the two pages that read it.
            models.Index(fields=["account", "-created", "-id"], name="securityevent_account_newest"),
            models.Index(fields=["-created", "-id"], name="securityevent_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.subject}"


class RateCount(models.Model):
    """A throttle counter when there is no Redis (accounts/counters.py): the count of the window its first event
    opened, and when that window ends (seconds since the epoch). Its own table rather than Django's database cache,
    whose pickled values cannot be incremented in SQL: here one statement counts every scope of a request. Rows past
    their deadline are deleted now and then by the same code. UNLOGGED on PostgreSQL (migration 0006)."""

    key = models.CharField(max_length=250, primary_key=True)
    count = models.IntegerField()
    deadline = models.FloatField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
