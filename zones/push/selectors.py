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
import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import F, Func, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from zones.models import Nameserver, VerifyRun, Zone, ZoneSync


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


# --- zone and server pairs, in SQL --------------------------------------------------------------------------------
# The rule in SQL: the (zone, enabled nameserver) pairs without a sync row at the zone's version. A pair without any
# row is behind as surely as one with an older version, so the pairs come from the zones and the servers, not from the
# rows: a cross join, which Django does not have, hence SQL (the same statements run on PostgreSQL and SQLite). As an
# anti-join its few rows are estimated well, so the plans built on it stay small however many zones there are. The
# sweeper also counts a server still in its backoff after a failure as settled (`settled`).
def _lagging(*, settled: str = "", where: str = "") -> str:
    """The pairs not current, in two parts. For the servers the sweeper's markers count (Nameserver.swept): only the
    zones whose marker differs from their version (Zone.unsynced, through the partial index zone_unsynced: the few
    changed since the last sweep, or behind), each probed on the sync rows' (zone, nameserver) key: a scalar subquery
    with LIMIT 1 stays a probe per pair, where an anti-join may be planned as a pass over every sync row. For the
    servers not counted yet (new, or enabled again), every zone; that part is guarded by an uncorrelated EXISTS
    (a one-time filter): with no such server, the usual case, the planner may still put the zones on the outer side of
    its join and read all of them before finding it has no server to pair them with. `settled` and `where` appear once
    in each part: their parameters are given twice (_twice)."""
    matches = f"c.zone_id = z.id AND c.nameserver_id = n.id AND (c.version = z.version{settled})"
    columns = "z.id AS zone_id, z.name AS zone, z.version AS zone_version, n.id AS nameserver_id, n.name AS nameserver"
    return f"""
        SELECT {columns} FROM zones_zone z JOIN zones_nameserver n ON n.enabled AND n.swept
        WHERE z.unsynced AND (SELECT 1 FROM zones_zonesync c WHERE {matches} LIMIT 1) IS NULL{where}
        UNION ALL
        SELECT {columns} FROM zones_zone z JOIN zones_nameserver n ON n.enabled AND NOT n.swept
        WHERE EXISTS (SELECT 1 FROM zones_nameserver u WHERE u.enabled AND NOT u.swept)
            AND NOT EXISTS (SELECT 1 FROM zones_zonesync c WHERE {matches}){where}
    """  # noqa: S608 (the SQL's own constants: values go as parameters)


def _twice(params: Sequence[Any]) -> list[Any]:
    return [*params, *params]


# Since when a change has been pending on a pair (p) with its sync row's version (`version`): when the oldest change
# the server lacks was committed, one probe of the journal's (zone, version) index per pair not current (none for a
# server ahead of the zone: it lacks no change the journal knows of).
def _pending_since(version: str) -> str:
    return f"""CASE WHEN {version} = p.zone_version THEN NULL ELSE (
        SELECT c.created FROM zones_change c WHERE c.zone_id = p.zone_id AND c.version > COALESCE({version}, 0)
        ORDER BY c.version LIMIT 1
    ) END"""  # noqa: S608 (constant SQL)


# Each pair with its sync row, if any. The pairs are computed first (MATERIALIZED): otherwise the planner may walk every
# zone in name order looking for the few that lag.
_STATUSES = f"""
    WITH pairs AS MATERIALIZED ({{pairs}})
    SELECT p.zone, p.zone_version, p.nameserver, s.version, s.attempts, s.last_error, s.last_success,
        {_pending_since("s.version")}
    FROM pairs p LEFT JOIN zones_zonesync s ON s.zone_id = p.zone_id AND s.nameserver_id = p.nameserver_id
    ORDER BY p.zone, p.nameserver
"""  # noqa: S608 (constant SQL)
_ALL_PAIRS = """
    SELECT z.id AS zone_id, z.name AS zone, z.version AS zone_version, n.id AS nameserver_id, n.name AS nameserver
    FROM zones_zone z JOIN zones_nameserver n ON n.enabled WHERE 1 = 1{where}
"""
# Rows per fetch of a streamed listing: memory stays flat however many zones there are.
FETCH = 2000


def _rows(sql: str, params: Sequence[Any], *, stream: bool = False) -> Iterator[tuple[Any, ...]]:
    """The rows of one statement. `stream`: through a server-side cursor on PostgreSQL, as QuerySet.iterator reads,
    so that a listing of every zone is never held in memory whole (on either side of the connection's client)."""
    chunked = stream and not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if chunked else connection.cursor() as cursor:
        _timestamps_read_by_psycopg(cursor)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            yield from rows


def _timestamps_read_by_psycopg(cursor: Any) -> None:
    """On PostgreSQL, this cursor's timestamps read by psycopg's own loader (compiled, with psycopg[binary]) rather than
    the one Django registers on every connection, which is pure Python (some 5 µs a value: half of zones_status's
    time at 4,000 of them) and gives the same datetimes: it reads them as psycopg does, in the session's time zone
    (which Django sets to its own), and puts Django's tzinfo for that zone on them. (Without USE_TZ Django's makes them
    naive instead: left to it.)"""
    if connection.vendor == "postgresql" and settings.USE_TZ:
        oid = psycopg.postgres.types["timestamptz"].oid
        cursor.cursor.adapters.register_loader(oid, psycopg.adapters.get_loader(oid, psycopg.pq.Format.TEXT))


def zones_behind() -> QuerySet[Zone]:
    """Zones some enabled nameserver has not confirmed at their current version (pending or failing)."""
    lagging = f"SELECT zone_id FROM ({_lagging()}) p"  # noqa: S608 (constant SQL)
    return Zone.objects.filter(pk__in=RawSQL(lagging, ()))  # noqa: S611 (constant SQL)


def zones_due(*, now: datetime | None = None) -> list[int]:
    """The sweeper's selection: ids of zones_behind, less those whose every lagging server is still in its backoff
    after a failure (ZoneSync.next_attempt after `now`). One query, one pass over the zones and their sync rows."""
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    settled = _lagging(settled=" OR c.next_attempt > %s")
    sql = f"SELECT DISTINCT zone_id FROM ({settled}) p ORDER BY zone_id"  # noqa: S608 (constant SQL)
    return [row[0] for row in _rows(sql, _twice([when]))]


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
    nameserver; one query however many zones. For every zone, sync_statuses_streamed keeps memory flat."""
    return list(sync_statuses_streamed(zone_names=zone_names))


def sync_statuses_streamed(*, zone_names: Sequence[str] | None = None, behind: bool = False) -> Iterator[SyncStatus]:
    """sync_statuses as it is read, row by row (`behind`: only the servers not current on a zone); one query, streamed
    through a server-side cursor."""
    where, params = "", list[Any]()
    if zone_names:
        where, params = f" AND z.name IN ({', '.join(['%s'] * len(zone_names))})", list(zone_names)
    pairs = _lagging(where=where) if behind else _ALL_PAIRS.format(where=where)
    params = _twice(params) if behind else params
    return (_status(row) for row in _rows(_STATUSES.format(pairs=pairs), params, stream=True))


def _status(row: tuple[Any, ...]) -> SyncStatus:
    zone, zone_version, nameserver, version, attempts, last_error, last_success, pending_since = row
    version, attempts = version or 0, attempts or 0  # no sync row: nothing confirmed, nothing attempted
    state = _server_state(current=version == zone_version, attempts=attempts)
    return SyncStatus(
        zone=zone,
        nameserver=nameserver,
        state=state,
        version=version,
        zone_version=zone_version,
        pending_since=_aware(pending_since) if state != SyncState.IN_SYNC else None,
        last_error=(last_error or "") if state != SyncState.IN_SYNC else "",
        attempts=attempts,
        last_success=_aware(last_success),
    )


def _aware(value: object) -> datetime | None:
    """A timestamp as a raw cursor returns it: an aware datetime from PostgreSQL; from SQLite the text Django stored
    (UTC), or for a column read straight from its table a naive datetime (the declared type's converter)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    return parsed if parsed is None or timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


class SyncReport:
    """zones_status's report: one row per zone and enabled nameserver (`behind`: only the servers not current on a
    zone), streamed; then how many zones are in each state, tallied as the rows go by (a zone a `behind` listing
    leaves out is in sync). Three queries however many zones, and memory that does not grow with them."""

    def __init__(self, *, zone_names: Sequence[str] | None = None, behind: bool = False) -> None:
        self._names, self._behind = zone_names, behind
        self._zones: Counter[SyncState] = Counter()

    def rows(self) -> Iterator[SyncStatus]:
        statuses = sync_statuses_streamed(zone_names=self._names, behind=self._behind)
        for _, of_zone in itertools.groupby(statuses, key=attrgetter("zone")):
            states = set()
            for status in of_zone:
                states.add(status.state)
                yield status
            if SyncState.FAILING in states:
                self._zones[SyncState.FAILING] += 1
            elif states != {SyncState.IN_SYNC}:
                self._zones[SyncState.PENDING] += 1

    def zone_states(self) -> Counter[SyncState]:
        """Zones per state, once rows() has been read to the end."""
        zones = Zone.objects.filter(name__in=self._names) if self._names else Zone.objects.all()
        total = zones.count()
        if not Nameserver.objects.filter(enabled=True).exists():
            return Counter({SyncState.NO_NAMESERVER: total})
        behind = self._zones[SyncState.PENDING] + self._zones[SyncState.FAILING]
        return self._zones + Counter({SyncState.IN_SYNC: total - behind})


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


# Per enabled server, the pairs not current and how many of them are failing: one pass over the pairs.
_LAGGING_PER_SERVER = f"""
    SELECT p.nameserver_id, COUNT(*) AS behind, SUM(CASE WHEN s.attempts > 0 THEN 1 ELSE 0 END) AS failing
    FROM ({_lagging()}) p LEFT JOIN zones_zonesync s ON s.zone_id = p.zone_id AND s.nameserver_id = p.nameserver_id
    GROUP BY p.nameserver_id
"""  # noqa: S608 (constant SQL)


def nameserver_summaries() -> list[NameserverSummary]:
    """Every nameserver, enabled first, with how many zones there are, of how many it is current and on how many it
    is failing; one query however many servers and zones. What is not current is the few: it is counted, and in sync
    is the rest. A disabled server counts nothing (it is listed so that a page can say it is off)."""
    rows = Nameserver.objects.raw(
        "SELECT ns.*, (SELECT COUNT(*) FROM zones_zone) AS zone_count, "  # noqa: S608 (constant SQL)
        "COALESCE(b.behind, 0) AS behind_count, COALESCE(b.failing, 0) AS failing_count "
        f"FROM zones_nameserver ns LEFT JOIN ({_LAGGING_PER_SERVER}) b ON b.nameserver_id = ns.id "
        "ORDER BY ns.enabled DESC, ns.name"
    )
    return [_summary_of_row(ns) for ns in rows]


def _summary_of_row(row: Any) -> NameserverSummary:
    return _summary(row, zones=row.zone_count, counts=(row.behind_count, row.failing_count))


def _summary(nameserver: Nameserver, *, zones: int, counts: tuple[int, int]) -> NameserverSummary:
    """A server's summary from how many zones there are and (of them, behind on it, failing on it)."""
    if not nameserver.enabled:
        return NameserverSummary(nameserver, 0, 0, 0)  # no zone waits for a disabled server
    behind, failing = counts
    return NameserverSummary(nameserver, zones, zones - behind, failing)


# --- the staff overview: both of the above in one pass ------------------------------------------------------------


@dataclass(frozen=True)
class SyncOverview:
    summaries: list[NameserverSummary]
    behind: int  # (zone, enabled server) pairs not in sync
    window: list[SyncStatus]  # those asked for, ordered by zone then server


# The servers behind on a zone, numbered in (zone, server) order and counted per server by window functions; returned:
# the window asked for, and each server's first row, which carries its counts.
_OVERVIEW = f"""
    WITH pairs AS MATERIALIZED ({_lagging()}),
    counted AS (
        SELECT p.zone_id, p.zone, p.zone_version, p.nameserver_id, p.nameserver,
            s.version, s.attempts, s.last_error, s.last_success,
            ROW_NUMBER() OVER (ORDER BY p.zone, p.nameserver) AS number,
            ROW_NUMBER() OVER (PARTITION BY p.nameserver_id ORDER BY p.zone) AS of_server,
            COUNT(*) OVER (PARTITION BY p.nameserver_id) AS behind,
            SUM(CASE WHEN s.attempts > 0 THEN 1 ELSE 0 END) OVER (PARTITION BY p.nameserver_id) AS failing
        FROM pairs p LEFT JOIN zones_zonesync s ON s.zone_id = p.zone_id AND s.nameserver_id = p.nameserver_id
    )
    SELECT p.zone, p.zone_version, p.nameserver, p.version, p.attempts, p.last_error, p.last_success,
        {_pending_since("p.version")}, p.nameserver_id, p.behind, p.failing, p.number
    FROM counted p WHERE (p.number > %s AND p.number <= %s) OR p.of_server = 1
    ORDER BY p.number
"""  # noqa: S608 (constant SQL)


def sync_overview(*, offset: int, limit: int) -> SyncOverview:
    """nameserver_summaries, and the window [offset, offset + limit) of the servers behind on a zone, from one pass
    over the zones and their sync rows (the page that shows both would take two): three queries, the servers, the
    zones counted and the pass, however many zones and whichever window."""
    nameservers = list(Nameserver.objects.order_by("-enabled", "name"))
    zones = Zone.objects.count()
    counts: dict[int, tuple[int, int]] = {}
    window = []
    for row in _rows(_OVERVIEW, [offset, offset + limit]):
        *status, nameserver_id, behind, failing, number = row
        counts[nameserver_id] = (behind, failing or 0)
        if number > offset:
            window.append(_status(tuple(status)))
    summaries = [_summary(ns, zones=zones, counts=counts.get(ns.pk, (0, 0))) for ns in nameservers]
    return SyncOverview(summaries, sum(behind for behind, _ in counts.values()), window)


def verify_runs_latest(limit: int = 5) -> list[VerifyRun]:
    """The verifier's last runs, newest first, the one running (with its progress so far) among them (one query)."""
    return list(VerifyRun.objects.order_by("-started")[:limit])
