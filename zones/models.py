"""DNS zones, their RRsets and records, and the journal of changes (the audit trail)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from panel.actors import Interface
from panel.models import Account


class Zone(models.Model):
    name = models.CharField(max_length=253, unique=True, help_text="Lower-case A-labels, no trailing dot.")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="zones")
    serial = models.PositiveBigIntegerField(default=1)
    # Bumped once per committed change set; a nameserver is current when it confirmed this version.
    version = models.PositiveBigIntegerField(default=0)
    default_ttl = models.PositiveIntegerField(default=3600)
    soa_mname = models.CharField(max_length=255)
    soa_rname = models.CharField(max_length=255)
    soa_refresh = models.PositiveIntegerField(default=10800)
    soa_retry = models.PositiveIntegerField(default=3600)
    soa_expire = models.PositiveIntegerField(default=1209600)
    soa_minimum = models.PositiveIntegerField(default=300)
    soa_ttl = models.PositiveIntegerField(default=3600)
    # Kept by zone_apply beside every insert and delete, so the size limit needs no COUNT over a large zone.
    record_count = models.PositiveIntegerField(default=0)
    # The Primary DNS API v1 password, hashed with Django's password hashers; empty means the API is off.
    api_password = models.CharField(max_length=256, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def soa_content(self) -> str:
        return (
            f"{self.soa_mname} {self.soa_rname} {self.serial} {self.soa_refresh} {self.soa_retry} "
            f"{self.soa_expire} {self.soa_minimum}"
        )


class RRset(models.Model):
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="rrsets")
    name = models.CharField(max_length=253, help_text="Relative to the zone apex, '@' for the apex; lower-case.")
    type = models.CharField(max_length=10)
    ttl = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "name", "type"], name="rrset_unique_name_type")]
        # CNAME exclusivity is also an exclusion constraint on PostgreSQL (migration 0002).

    def __str__(self) -> str:
        return f"{self.name} {self.type}"


class Record(models.Model):
    rrset = models.ForeignKey(RRset, on_delete=models.CASCADE, related_name="records")
    content = models.CharField(max_length=2048, help_text="Canonical presentation form (dnspython).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rrset", "content"], name="record_unique_content")]

    def __str__(self) -> str:
        return self.content


class Change(models.Model):
    """One committed change set of a zone: the journal that feeds pushes, and the audit trail people read."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveBigIntegerField()
    serial = models.PositiveBigIntegerField()
    # Lists of {"name", "type", "ttl", "records"}: the touched RRsets as they were and as they became (absent: none).
    before = models.JSONField(default=list)
    after = models.JSONField(default=list)
    actor = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    interface = models.CharField(max_length=10, choices=[(i.value, i.value) for i in Interface])
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["zone", "version"], name="change_unique_version")]

    def __str__(self) -> str:
        return f"{self.zone_id} v{self.version}"
