"""Sync state, the one owner: is a nameserver current on a zone, which zones are behind, the state of a zone, and
since when a change has been pending. The panel, the REST API's `?verify`, the sweeper and `zones_status` all ask here.

The rule, decided once:
- A nameserver is current on a zone when its ZoneSync.version *equals* Zone.version. Not `>=`: ZoneSync.version only
  moves by compare-and-set to a version the zone had, so a confirmed version above the zone's says the zone row went
  back (a database restored from a backup older than the servers' state, a hand edit). Such a server holds changes the
  database no longer has; the push treats it as behind and reconciles it (zones/push/services.py), so `>=` here would
  report "current" for a server that serves records the database has not got and is about to be rewritten.
- Only enabled nameservers count. Nothing is pushed to a disabled one, so its rows only age: counting it would leave
  every zone pending for as long as a server is switched off.

A server that is not current is *failing* when its last attempt failed (attempts > 0), else *pending*. A zone is in
sync when every enabled server is current, failing when one is failing, pending otherwise, and "no nameserver" when
none is enabled (its changes wait until one is). Every reader takes a fixed number of queries however many zones.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from zones.models import Change, Nameserver, Zone, ZoneSync


class SyncState(enum.StrEnum):
    IN_SYNC = "in sync"
    PENDING = "pending"
    FAILING = "failing"
    NO_NAMESERVER = "no nameserver"  # a zone's state when no nameserver is enabled


def _server_state(*, current: bool, attempts: int) -> SyncState:
    if current:
        return SyncState.IN_SYNC
    return SyncState.FAILING if attempts else SyncState.PENDING


def _zone_state(*, servers: int, current: int, failing: int) -> SyncState:
    if not servers:
        return SyncState.NO_NAMESERVER
    if current == servers:
        return SyncState.IN_SYNC
    return SyncState.FAILING if failing else SyncState.PENDING


# --- one server on one zone -----------------------------------------------------------------------------------------


def nameserver_current(*, zone: Zone, nameserver: Nameserver) -> bool:
    """Whether `nameserver` has confirmed `zone` at the version `zone` carries (a fact about the server, enabled or
    not; whether it counts towards the zone's state is the enabled flag's business)."""
    return ZoneSync.objects.filter(zone=zone, nameserver=nameserver, version=zone.version).exists()


# --- zones ----------------------------------------------------------------------------------------------------------


def _count(rows: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT of `rows` as a scalar subquery: one row whatever matches, as there is no GROUP BY (and so no
    ORDER BY either: PostgreSQL refuses a model's default ordering beside an aggregate without one)."""
    return Coalesce(Subquery(rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")), 0)


def zones_with_sync_counts(zones: QuerySet[Zone]) -> QuerySet[Zone]:
    """`zones` annotated with what zone_state_of reads, in the same query: enabled servers, how many are current on
    the zone, how many are failing on it."""
    syncs = ZoneSync.objects.filter(zone=OuterRef("pk"), nameserver__enabled=True)
    current = syncs.filter(version=OuterRef("version"))
    failing = syncs.filter(attempts__gt=0).exclude(version=OuterRef("version"))
    return zones.annotate(
        sync_servers=_count(Nameserver.objects.filter(enabled=True)),
        sync_current=_count(current),
        sync_failing=_count(failing),
    )


def zone_state_of(zone: Zone) -> SyncState:
    """The state of a zone read from zones_with_sync_counts."""
    counts: Any = zone
    return _zone_state(servers=counts.sync_servers, current=counts.sync_current, failing=counts.sync_failing)


def zone_state(*, zone: Zone) -> SyncState:
    """In sync, pending, failing or no nameserver, at the zone's version in the database now (one query)."""
    return zone_state_of(zones_with_sync_counts(Zone.objects.filter(pk=zone.pk)).get())


def zone_current(*, zone: Zone) -> bool:
    """True when every enabled nameserver has the zone's current version (vacuously true when none is enabled: there
    is nothing to wait for). The REST API's `?verify`."""
    return zone_state(zone=zone) in (SyncState.IN_SYNC, SyncState.NO_NAMESERVER)


def zones_behind() -> QuerySet[Zone]:
    """Zones some enabled nameserver has not confirmed at their current version (pending or failing)."""
    return zones_with_sync_counts(Zone.objects.all()).filter(Q(sync_current__lt=F("sync_servers")))


def zones_due(*, now: datetime | None = None) -> list[int]:
    """The sweeper's selection: ids of zones_behind, less those whose every lagging server is still in its backoff
    after a failure (ZoneSync.next_attempt after `now`)."""
    now = now or timezone.now()
    settled = ZoneSync.objects.filter(zone=OuterRef("pk"), nameserver__enabled=True).filter(
        Q(version=OuterRef("version")) | Q(next_attempt__gt=now)
    )
    due = zones_behind().annotate(sync_settled=_count(settled)).filter(sync_settled__lt=F("sync_servers"))
    return list(due.order_by("pk").values_list("pk", flat=True))


# --- one row per zone and server --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncStatus:
    zone: str
    nameserver: str
    state: SyncState
    version: int  # confirmed by the server (0: nothing yet)
    zone_version: int
    # When the oldest change the server lacks was committed; None when current, and for a server ahead of the zone
    # (it lacks no change the journal knows of).
    pending_since: datetime | None
    last_error: str
    attempts: int
    last_success: datetime | None


def sync_statuses(*, zone_names: Sequence[str] | None = None) -> list[SyncStatus]:
    """One row per zone (those named; all when None or empty) and enabled nameserver, ordered by zone then
    nameserver; three queries however many zones."""
    zones = Zone.objects.all() if not zone_names else Zone.objects.filter(name__in=zone_names)
    first_change = Change.objects.filter(zone=OuterRef("pk"), version__gt=0).order_by("version")
    zones = zones.annotate(first_change=Subquery(first_change.values("created")[:1])).order_by("name")
    nameservers = list(Nameserver.objects.filter(enabled=True))
    lacked = Change.objects.filter(zone=OuterRef("zone_id"), version__gt=OuterRef("version")).order_by("version")
    rows = ZoneSync.objects.filter(zone__in=zones.values("pk"), nameserver__enabled=True).annotate(
        pending_since=Subquery(lacked.values("created")[:1])
    )
    syncs = {(s.zone_id, s.nameserver_id): s for s in rows}
    return [_status(zone, ns, syncs.get((zone.pk, ns.pk))) for zone in zones for ns in nameservers]


def _status(zone: Zone, nameserver: Nameserver, sync: ZoneSync | None) -> SyncStatus:
    version = sync.version if sync else 0
    attempts = sync.attempts if sync else 0
    state = _server_state(current=version == zone.version, attempts=attempts)
    since: datetime | None = getattr(sync, "pending_since", None) if sync else getattr(zone, "first_change", None)
    return SyncStatus(
        zone=zone.name,
        nameserver=nameserver.name,
        state=state,
        version=version,
        zone_version=zone.version,
        pending_since=since if state != SyncState.IN_SYNC else None,
        last_error=sync.last_error if sync and state != SyncState.IN_SYNC else "",
        attempts=attempts,
        last_success=sync.last_success if sync else None,
    )


# --- one row per nameserver -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameserverSummary:
    nameserver: Nameserver
    zones: int
    in_sync: int
    failing: int

    @property
    def pending(self) -> int:
        return self.zones - self.in_sync - self.failing

    @property
    def percent_in_sync(self) -> float:
        return 100.0 * self.in_sync / self.zones if self.zones else 100.0


def nameserver_summaries() -> list[NameserverSummary]:
    """Every nameserver, enabled first, with how many zones there are, of how many it is current and on how many it
    is failing; one query however many servers and zones. A disabled server counts nothing (it is listed so that a
    page can say it is off)."""
    syncs = ZoneSync.objects.filter(nameserver=OuterRef("pk"), nameserver__enabled=True)
    current = syncs.filter(version=F("zone__version"))
    failing = syncs.filter(attempts__gt=0).exclude(version=F("zone__version"))
    rows = Nameserver.objects.annotate(
        zone_count=_count(Zone.objects.all()), current_count=_count(current), failing_count=_count(failing)
    ).order_by("-enabled", "name")
    return [_summary(ns) for ns in rows]


def _summary(row: Any) -> NameserverSummary:
    zones = row.zone_count if row.enabled else 0  # no zone waits for a disabled server
    return NameserverSummary(row, zones, row.current_count, row.failing_count)
