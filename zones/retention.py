"""Retention: how long the journal (Change rows) and the account security log are kept, the prune that removes what
is past it, and how far back a zone's history reaches.

A Change row goes when every rule below lets it go:
- Age: it is older than JOURNAL_RETENTION_DAYS (0: the journal is kept forever).
- Versions: it is not among its zone's last JOURNAL_KEEP_VERSIONS versions.
- Push safety: no enabled nameserver still needs it. A push sends a server the changes after the version it confirmed
  (ZoneSync.version), so a zone's rows above the lowest version its enabled servers confirmed stay; an enabled server
  without a sync row, or that confirmed nothing yet (0), holds the zone's whole journal. A disabled server holds
  nothing: it receives no pushes, and were it to hold rows, a server switched off and forgotten would keep every
  zone's journal forever. Enabled again, its first push finds a gap in the journal (rrsets_changed is None) and
  reconciles instead: it transfers the zone from the server and sends the difference, as for a server that lost its
  state. A server enabled while a prune runs is in that position too, so the rule needs no lock against the pipeline.
- Security record: a change that is security-relevant (`for_the_record`) stays as long as the security log does
  (SECURITY_LOG_RETENTION_DAYS, 0: forever), and a deleted zone's journal stays as long as the security log row of
  its deletion, which names the range of its row ids (zones.selectors.changes_of_deleted_zone).

Why a module of its own rather than zones.journal: the journal module is on the path of every write and every push
and knows nothing of settings or of the security log; the rules here read both, and a prune is a service of its own
(it writes) that neither writes nor pushes need.

A prune goes zone by zone along the journal's (zone, version) index, looking only at zones with more versions than
are kept whose oldest row is past the retention (one query over the zones), so that a run with nothing to do costs
that query, not a scan of the journal: ~0.3 s on issue 15's 100,000 zones and 1 M changes. Each DELETE reads at most
BATCH rows and is a transaction of its own (never one huge DELETE holding its locks for minutes), so writers never wait
on it, a run cut short keeps what it did, and running it twice is harmless. The rules are evaluated by the database in
the DELETE itself, one index probe per row; no index was added for it (an index on `created` would cost every write).
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Lead
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from accounts.actors import Actor, Interface
from accounts.audit import security_events_prune
from accounts.models import SecurityEvent
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.push.locks import journal_prune_lock
from zones.selectors import deleted_zone_span

log = logging.getLogger(__name__)

# Rows a statement of the prune reads at most (journal) or deletes (security log): 0.1-0.2 s a statement measured on the
# shared 2-core test machine, on a 1 M-row journal.
BATCH = 5000

# DNSSEC trust records: a DS at the parent side of a delegation, the zone's keys, and the child's requests to its
# parent (RFC 7344, RFC 8078: CDS/CDNSKEY can ask for the DS to change or go). Who changed them matters for years.
SECURITY_TYPES = frozenset({"DS", "DNSKEY", "CDS", "CDNSKEY"})


class PruneBusy(Exception):
    """Another prune holds the lock; this one did nothing."""


@dataclass(frozen=True)
class Policy:
    journal_days: int  # 0: forever
    keep_versions: int  # at least 1
    security_days: int  # 0: forever

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            settings.JOURNAL_RETENTION_DAYS, settings.JOURNAL_KEEP_VERSIONS, settings.SECURITY_LOG_RETENTION_DAYS
        )

    def journal_cutoff(self, now: datetime.datetime) -> datetime.datetime | None:
        """Changes written before this may go (None: none may)."""
        return now - datetime.timedelta(days=self.journal_days) if self.journal_days else None

    def security_cutoff(self, now: datetime.datetime) -> datetime.datetime | None:
        """Security log rows and security-relevant changes written before this may go (None: none may)."""
        return now - datetime.timedelta(days=self.security_days) if self.security_days else None


class TrustOrDelegation(Func):
    """SQL, true when either side of a change (Change.before, Change.after) holds a DNSSEC trust record
    (SECURITY_TYPES) at any name or an NS RRset below the apex, or is not a list at all (what cannot be judged is kept
    the longer time). Judged by the database, so that a prune reads no JSON: PostgreSQL's JSON path, SQLite's
    json_each."""

    arity = 2
    output_field = BooleanField()

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        raise NotSupportedError(f"journal retention has no SQL for {connection.vendor}")

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        before, after = self._columns(compiler)
        types = " || ".join(f'@.type == "{rdtype}"' for rdtype in sorted(SECURITY_TYPES))
        path = f'$[*] ? ({types} || (@.type == "NS" && @.name != "@"))'
        sql = (
            f"(jsonb_typeof({before}) <> 'array' OR jsonb_typeof({after}) <> 'array' "
            f"OR jsonb_path_exists({before} || {after}, %s::jsonpath))"
        )
        return sql, [path]

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        before, after = self._columns(compiler)
        listed = ", ".join(["%s"] * len(SECURITY_TYPES))
        touches = (
            f"json_extract(e.value, '$.type') IN ({listed}) "
            "OR (json_extract(e.value, '$.type') = 'NS' AND json_extract(e.value, '$.name') <> '@')"
        )
        # The columns come compiled (quoted) by Django and the rest is constant; the types are parameters.
        sql = (
            f"(json_type({before}) IS NOT 'array' OR json_type({after}) IS NOT 'array' "  # noqa: S608
            f"OR EXISTS (SELECT 1 FROM json_each({before}) AS e WHERE {touches}) "
            f"OR EXISTS (SELECT 1 FROM json_each({after}) AS e WHERE {touches}))"
        )
        return sql, [*sorted(SECURITY_TYPES), *sorted(SECURITY_TYPES)]

    def _columns(self, compiler: SQLCompiler) -> tuple[str, str]:
        before, after = (compiler.compile(side)[0] for side in self.get_source_expressions())
        return before, after


def for_the_record(security_cutoff: datetime.datetime | None) -> Q:
    """The Change rows the security record keeps (all of them when `security_cutoff` is None, else those written
    since): the security-relevant changes, which are
    - changes made by staff: by a staff user in the panel (Change.user is staff when the prune looks: a person's
      changes from before they became staff count too, those of a person no longer staff, or deleted, no longer do),
      and everything done on the staff command line (interface cli, which includes the pipeline's serial repairs and
      the catalog zone's upkeep: the provider's own hands on customers' zones);
    - changes to DNSSEC trust records (DS, DNSKEY, CDS, CDNSKEY) at any name, on either side of the change;
    - changes to delegations: NS RRsets below the apex (the apex NS set is the provider's, changed only by staff).
    """
    # Subqueries, not joins: a prune's plan stays a walk along the journal's index with one index probe per row.
    by_staff = Exists(get_user_model().objects.filter(pk=OuterRef("user_id"), is_staff=True))
    relevant = Q(interface=Interface.CLI) | Q(by_staff) | Q(TrustOrDelegation("before", "after"))
    return relevant if security_cutoff is None else relevant & Q(created__gte=security_cutoff)


@dataclass
class PruneReport:
    dry_run: bool
    changes: int = 0  # journal rows removed (a dry run: that would be)
    security_events: int = 0  # security log rows removed (a dry run: that would be)
    complete: bool = True  # False: the deadline came first; the next run carries on
    seconds: float = 0.0

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        text = f"{verb} {self.changes} journal changes and {self.security_events} security log rows"
        return text + ("" if self.complete else " (stopped at the deadline; the next run continues)")


def journal_prune(
    *,
    actor: Actor,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
    deadline: float | None = None,
    policy: Policy | None = None,
    batch: int = BATCH,
) -> PruneReport:
    """Remove the journal and security log rows past their retention (the rules in this module's docstring), in
    batches of short transactions; with `dry_run`, count them instead.

    Stops between two batches once time.monotonic() passes `deadline`. Raises PruneBusy when another run holds the
    lock (PostgreSQL: across processes; elsewhere within the process, and overlapping runs only repeat work). What it
    removed is logged with the `actor` that ran it (the rows themselves are gone: that is the point).
    """
    started = time.monotonic()
    policy = policy or Policy.from_settings()
    now = now or timezone.now()
    report = PruneReport(dry_run=dry_run)
    with journal_prune_lock() as acquired:
        if not acquired:
            raise PruneBusy("another prune of the journal is running")
        _security_log_prune(report, policy.security_cutoff(now), deadline, batch)
        _journal_prune(report, policy, now, deadline, batch)
    report.seconds = time.monotonic() - started
    log.info("journal prune (%s) %s in %.1f s", actor.label, report, report.seconds)
    return report


def _out_of_time(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _security_log_prune(
    report: PruneReport, cutoff: datetime.datetime | None, deadline: float | None, batch: int
) -> None:
    if cutoff is None:
        return
    if report.dry_run:
        report.security_events = SecurityEvent.objects.filter(created__lt=cutoff).count()
        return
    while not _out_of_time(deadline):
        removed = security_events_prune(before=cutoff, limit=batch)
        report.security_events += removed
        if removed < batch:
            return
    report.complete = False


# --- the journal ---------------------------------------------------------------------------------------------------


@dataclass
class _Rules:
    cutoff: datetime.datetime
    keep_versions: int
    security_cutoff: datetime.datetime | None
    enabled_nameservers: int
    # Deleted zones' journals that a retained deletion row points to: zone name -> ranges of row ids.
    deletions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, policy: Policy, cutoff: datetime.datetime, now: datetime.datetime) -> _Rules:
        security_cutoff = policy.security_cutoff(now)
        return cls(
            cutoff=cutoff,
            keep_versions=policy.keep_versions,
            security_cutoff=security_cutoff,
            enabled_nameservers=Nameserver.objects.filter(enabled=True).count(),
            deletions=_retained_deletions(security_cutoff),
        )

    def deleted_zone_history(self, zone_name: str, row_id: int) -> bool:
        """Does a retained deletion row point to this row of a deleted zone? Then it stays, whatever its age."""
        return any(first <= row_id <= last for first, last in self.deletions.get(zone_name, ()))


def _retained_deletions(security_cutoff: datetime.datetime | None) -> dict[str, list[tuple[int, int]]]:
    """The id ranges of the deleted zones whose deletion row the security log still holds (after its own prune: the
    rows it drops, or in a dry run would drop, protect nothing)."""
    events = SecurityEvent.objects.filter(action=SecurityEvent.Action.ZONE_DELETED)
    if security_cutoff is not None:
        events = events.filter(created__gte=security_cutoff)
    ranges: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for subject, detail in events.values_list("subject", "detail").iterator():
        span = deleted_zone_span(detail)
        if span is not None:
            ranges[subject].append(span)
    return dict(ranges)


def _journal_prune(
    report: PruneReport, policy: Policy, now: datetime.datetime, deadline: float | None, batch: int
) -> None:
    cutoff = policy.journal_cutoff(now)
    if cutoff is None:
        return
    rules = _Rules.of(policy, cutoff, now)
    for step in (*_live_steps(rules, batch), *_deleted_zone_steps(rules, batch)):
        if _out_of_time(deadline):
            report.complete = False
            return
        report.changes += step(report.dry_run)


# One statement of a prune: given dry_run, removes (or counts) and says how many.
Step = Callable[[bool], int]
# A zone and a range of its versions, first to last.
VersionRange = tuple[int, int, int]


def _live_steps(rules: _Rules, batch: int) -> Iterator[Step]:
    """The live zones' part, zone by zone along the journal's (zone, version) index. Only zones with more versions
    than are kept, whose oldest row is old enough, are looked at (one query); each statement reads about `batch` rows
    at most: zones with fewer rows to look at are taken many at a time (in the order of the last version they may
    lose, so that one statement's versions fit them all closely), a zone with more a range of versions at a time."""
    chunk: list[VersionRange] = []
    rows = 0
    for zone_id, first, last, zone_rows in sorted(_prunable_zones(rules), key=lambda zone: (zone[2], zone[0])):
        if zone_rows > batch:
            for start in range(first, last + 1, batch):
                yield functools.partial(_versions_prune, rules, [(zone_id, start, min(start + batch - 1, last))])
            continue
        if rows + zone_rows > batch:
            yield functools.partial(_versions_prune, rules, chunk)
            chunk, rows = [], 0
        chunk.append((zone_id, first, last))
        rows += zone_rows
    if chunk:
        yield functools.partial(_versions_prune, rules, chunk)


def _prunable_zones(rules: _Rules) -> Iterator[tuple[int, int, int, int]]:
    """(zone, first, last, rows): the versions of a zone that may go if old enough and not kept for the record, from
    its oldest row when that is older than the cutoff (a zone's rows are written in the order of their versions) up to
    the lowest of its version minus the versions kept and the version its enabled nameservers confirmed; and how many
    rows it has up to there (an index-only count). A zone whose oldest rows are kept for the record comes back every
    run and weighs what is left of them; looking for its first row not kept instead made the planner read every row
    of every zone."""
    oldest = Change.objects.filter(zone=OuterRef("pk")).order_by("version")[:1]
    beyond_kept = Change.objects.filter(zone=OuterRef("pk"), version__lte=OuterRef("version") - rules.keep_versions)
    zones = (
        Zone.objects.filter(version__gt=rules.keep_versions)
        .order_by("pk")
        .annotate(
            first=Subquery(oldest.values("version")),
            first_created=Subquery(oldest.values("created")),
            rows=Subquery(beyond_kept.order_by().values("zone").annotate(rows=Count("*")).values("rows")),
        )
    )
    if rules.enabled_nameservers:
        zones = zones.annotate(floor=_push_floor(rules.enabled_nameservers, zone=OuterRef("pk")))
    else:
        zones = zones.annotate(floor=F("version"))  # nothing waits for the journal
    found = zones.values_list("pk", "version", "first", "first_created", "floor", "rows")
    for zone_id, version, first, first_created, floor, rows in found.iterator(2000):
        if first is None or first_created >= rules.cutoff or floor is None:  # (floor: a server without a sync row)
            continue
        last = min(version - rules.keep_versions, floor)
        if first <= last:
            yield zone_id, first, last, rows or 0


def _versions_prune(rules: _Rules, ranges: list[VersionRange], dry_run: bool) -> int:
    """The rows of these zones from the lowest first version to the highest last one: one index scan per zone (an OR
    of exact ranges per zone made PostgreSQL test each row against all of them), whose over-reach the rules exclude."""
    rows = Change.objects.filter(
        zone_id__in=[zone_id for zone_id, _, _ in ranges],
        version__gte=min(first for _, first, _ in ranges),
        version__lte=max(last for _, _, last in ranges),
    )
    return _rules_prune(rules, rows, dry_run)


def _rules_prune(rules: _Rules, rows: QuerySet[Change], dry_run: bool) -> int:
    """One DELETE (a dry run: a count) of what every rule lets go among `rows`. The statement evaluates the rules
    itself, so it removes only what they allow when it runs: a zone's version and its servers' confirmed versions only
    move up, and a zone deleted meanwhile no longer matches."""
    zone_version = Subquery(Zone.objects.filter(pk=OuterRef("zone_id")).order_by().values("version"))
    rows = rows.filter(created__lt=rules.cutoff, version__lte=zone_version - rules.keep_versions)
    if rules.enabled_nameservers:
        rows = rows.filter(version__lte=_push_floor(rules.enabled_nameservers, zone=OuterRef("zone_id")))
    rows = rows.exclude(for_the_record(rules.security_cutoff)).order_by()
    return rows.count() if dry_run else rows.delete()[0]


def _deleted_zone_steps(rules: _Rules, batch: int) -> Iterator[Step]:
    """The deleted zones' part: their old rows, `batch` at a time in the order of their ids, less those a retained
    deletion row points to."""
    after = 0
    while True:
        rows = Change.objects.filter(zone__isnull=True, id__gt=after, created__lt=rules.cutoff)
        found = list(
            rows.exclude(for_the_record(rules.security_cutoff)).order_by("id").values_list("id", "zone_name")[:batch]
        )
        if not found:
            return
        after = found[-1][0]
        gone = [row_id for row_id, name in found if not rules.deleted_zone_history(name, row_id)]
        yield functools.partial(_ids_prune, gone)
        if len(found) < batch:
            return


def _ids_prune(ids: list[int], dry_run: bool) -> int:
    if dry_run or not ids:
        return len(ids)
    return Change.objects.filter(id__in=ids, zone__isnull=True).order_by().delete()[0]


def _push_floor(enabled_nameservers: int, *, zone: OuterRef) -> Subquery:
    """SQL: the lowest version the zone's enabled nameservers confirmed; NULL (nothing may go) unless every one of
    them has a sync row for it, counted against the servers enabled when the run began: one coming or going meanwhile
    makes it NULL too."""
    syncs = ZoneSync.objects.filter(zone=zone, nameserver__enabled=True).values("zone")
    low = syncs.annotate(low=Min("version"), servers=Count("id")).filter(servers=enabled_nameservers)
    return Subquery(low.values("low"))


# --- how far back a zone's history reaches ---------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryReach:
    """What the history page says of the zone's journal: the rules, the oldest row kept, and from which version on the
    journal is complete (so that a restore can go back to the version before it)."""

    days: int  # 0: forever
    versions: int
    oldest_version: int | None  # None: no row at all
    oldest_created: datetime.datetime | None
    complete_from: int  # every version from here to the zone's current one is in the journal

    @property
    def restorable_from(self) -> int:
        """The earliest version zone_restore can bring back: the state before the first change of the complete part."""
        return max(self.complete_from - 1, 0)


def history_reach(*, zone: Zone) -> HistoryReach:
    """One query, through the journal's (zone, version) index: the oldest row of the zone and its date, and the
    start of the complete part, which is the newest row whose next lower version is missing (walking down from the
    current version, it stops at the first gap)."""
    oldest = Change.objects.filter(zone=OuterRef("pk")).order_by("version")[:1]
    lower = Coalesce(Window(Lead("version"), order_by=F("version").desc()), Value(0))
    after_gap = Change.objects.filter(zone=OuterRef("pk")).annotate(step=F("version") - lower).filter(step__gt=1)
    oldest_version, oldest_created, complete_from = (
        Zone.objects.filter(pk=zone.pk)
        .annotate(
            oldest_version=Subquery(oldest.values("version")),
            oldest_created=Subquery(oldest.values("created")),
            complete_from=Subquery(after_gap.order_by("-version").values("version")[:1]),
        )
        .values_list("oldest_version", "oldest_created", "complete_from")
        .get()
    )
    policy = Policy.from_settings()
    return HistoryReach(
        days=policy.journal_days,
        versions=policy.keep_versions,
        oldest_version=oldest_version,
        oldest_created=oldest_created,
        # No row after a gap: the journal holds every version from the oldest (the first being version 1).
        complete_from=complete_from if complete_from is not None else (oldest_version or zone.version + 1),
    )


def restore_refusal(*, zone: Zone, version: int) -> str:
    """Why a restore to `version` cannot be done: its journal was pruned. Names how far back a restore can go."""
    reach = history_reach(zone=zone)
    kept = f"{reach.days} days" if reach.days else "forever"
    return (
        f"version {version} of {zone.name} can no longer be restored: changes are kept {kept} and at least the last "
        f"{reach.versions} versions, and the journal is complete from version {reach.complete_from} on, so the "
        f"earliest version a restore can bring back is {reach.restorable_from}"
    )
