"""Address space: the provider's pools, the blocks allocated from them, customers' space requests, the audit trail.

Addresses are stored as fixed-width hex keys (see `ipam.prefixes.key`): exact for 128 bits and ordered the same on
PostgreSQL and SQLite. The canonical prefix text sits beside them. On PostgreSQL exclusion constraints refuse
overlapping pools (over `prefix::inet`, migration 0002) and overlapping allocations (over the numeric range of
addresses, migration 0004).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.actors import Interface
from accounts.models import Account
from ipam.prefixes import Block


class Family(models.IntegerChoices):
    IPV4 = 4, "IPv4"
    IPV6 = 6, "IPv6"


class Pool(models.Model):
    """A block of the provider's space from which customers receive allocations."""

    prefix = models.CharField(max_length=43, unique=True, help_text="Canonical CIDR, e.g. 2001:db8::/32.")
    family = models.PositiveSmallIntegerField(choices=Family.choices)
    start = models.CharField(max_length=32, editable=False)
    length = models.PositiveSmallIntegerField(editable=False)
    default_length = models.PositiveSmallIntegerField()
    allowed_lengths = models.JSONField(default=list, help_text="Prefix lengths customers may receive from this pool.")
    site = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=200, blank=True)
    quarantine = models.DurationField(
        default=datetime.timedelta(days=30), help_text="How long released space rests before it is handed out again."
    )
    # Prefix counts per state and length ({"free": {"33": 1, ...}, "active": {...}, ...}), kept by the services under
    # the pool lock, so that the utilisation of a pool of a million allocations is one row read, not a scan.
    counts = models.JSONField(default=dict, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family", "start"]

    def __str__(self) -> str:
        return self.prefix

    @property
    def block(self) -> Block:
        return Block(self.family, int(self.start, 16), self.length)


class Status(models.TextChoices):
    ACTIVE = "active"
    RESERVED = "reserved"
    QUARANTINED = "quarantined"


class Allocation(models.Model):
    """A block of a pool that is not free: in use by a customer, reserved, or resting after release."""

    # No index of its own: allocation_unique_start (pool, start) serves every lookup by pool.
    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="allocations", db_index=False)
    prefix = models.CharField(max_length=43, unique=True)
    start = models.CharField(max_length=32, editable=False)
    length = models.PositiveSmallIntegerField(editable=False)
    # Empty for the provider's own reservations.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="allocations", null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    description = models.CharField(max_length=200, blank=True, help_text="The server or network it is for.")
    allocated_by = models.CharField(max_length=200)
    created = models.DateTimeField(default=timezone.now)
    quarantined_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pool", "start"]
        constraints = [models.UniqueConstraint(fields=["pool", "start"], name="allocation_unique_start")]
        indexes = [models.Index(fields=["pool", "status", "quarantined_until"], name="allocation_quarantine")]
        # Non-overlap is an exclusion constraint on PostgreSQL (migration 0004).

    def __str__(self) -> str:
        return self.prefix

    @property
    def block(self) -> Block:
        return Block(self.pool.family, int(self.start, 16), self.length)


class FreeBlock(models.Model):
    """One maximal aligned free block of a pool (buddy style): a block is here iff it is free and its parent is not.

    Together with the allocations the free blocks tile the pool exactly. The allocator finds space with one indexed
    lookup here instead of scanning allocations; the services keep the table in the same transaction as every change.
    """

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="free_blocks", db_index=False)
    start = models.CharField(max_length=32)
    length = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "start"], name="freeblock_unique_start")]
        indexes = [models.Index(fields=["pool", "length", "start"], name="freeblock_by_length")]

    def __str__(self) -> str:
        return f"{self.start}/{self.length}"


class SpaceRequestStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class SpaceRequest(models.Model):
    """A customer's request for address space; staff approve it (which allocates) or decline it with a reason."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="space_requests")
    family = models.PositiveSmallIntegerField(choices=Family.choices)
    length = models.PositiveSmallIntegerField()
    purpose = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=SpaceRequestStatus.choices, default=SpaceRequestStatus.PENDING)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was declined.")
    allocation = models.ForeignKey(Allocation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_by = models.CharField(max_length=200)
    decided_by = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)
    decided = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"/{self.length} for {self.account_id} ({self.status})"


class Event(models.Model):
    """The audit trail: one row per change to a pool, an allocation or a space request, written in the same
    transaction."""

    action = models.CharField(max_length=32)
    pool = models.ForeignKey(Pool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    prefix = models.CharField(max_length=43, blank=True)
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict)
    actor = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interface = models.CharField(max_length=10, choices=[(i.value, i.value) for i in Interface])
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.prefix}"
