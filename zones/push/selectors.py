"""What the nameservers have of each zone: behind, pending since when, failing with what error."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from zones.models import Change, Nameserver, Zone, ZoneSync


class SyncState(enum.StrEnum):
    IN_SYNC = "in sync"
    PENDING = "pending"
    FAILING = "failing"


@dataclass(frozen=True)
class SyncStatus:
    zone: str
    nameserver: str
    state: SyncState
    version: int  # confirmed by the server (0: nothing yet)
    zone_version: int
    pending_since: datetime | None  # when the oldest change the server lacks was committed
    last_error: str
    attempts: int
    last_success: datetime | None


def zones_behind(*, now: datetime | None = None) -> list[int]:
    """Ids of zones some enabled nameserver has not confirmed at the current version, skipping servers whose
    backoff after a failure has not yet run out."""
    now = now or timezone.now()
    ids: set[int] = set()
    for nameserver in Nameserver.objects.filter(enabled=True):
        syncs = ZoneSync.objects.filter(zone=OuterRef("pk"), nameserver=nameserver)
        current = syncs.filter(version=OuterRef("version"))
        waiting = syncs.filter(next_attempt__gt=now)
        behind = Zone.objects.filter(~Exists(current) & ~Exists(waiting))
        ids.update(behind.values_list("pk", flat=True))
    return sorted(ids)


def sync_statuses(*, zone_names: list[str] | None = None) -> list[SyncStatus]:
    """One row per zone and enabled nameserver, ordered by zone then nameserver."""
    zones = Zone.objects.all() if not zone_names else Zone.objects.filter(name__in=zone_names)
    nameservers = list(Nameserver.objects.filter(enabled=True))
    syncs = {(s.zone_id, s.nameserver_id): s for s in ZoneSync.objects.filter(zone__in=zones)}
    return [_status(zone, ns, syncs.get((zone.pk, ns.pk))) for zone in zones for ns in nameservers]


def _status(zone: Zone, nameserver: Nameserver, sync: ZoneSync | None) -> SyncStatus:
    version = sync.version if sync else 0
    attempts = sync.attempts if sync else 0
    state = SyncState.IN_SYNC if version == zone.version else SyncState.FAILING if attempts else SyncState.PENDING
    since = None
    if state != SyncState.IN_SYNC:
        since = (
            Change.objects.filter(zone=zone, version__gt=version)
            .order_by("version")
            .values_list("created", flat=True)
            .first()
        )
    return SyncStatus(
        zone=zone.name,
        nameserver=nameserver.name,
        state=state,
        version=version,
        zone_version=zone.version,
        pending_since=since,
        last_error=sync.last_error if sync and state != SyncState.IN_SYNC else "",
        attempts=attempts,
        last_success=sync.last_success if sync else None,
    )


def failing_count() -> int:
    return ZoneSync.objects.filter(Q(attempts__gt=0), nameserver__enabled=True).count()
