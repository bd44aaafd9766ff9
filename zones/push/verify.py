"""The verifier: is every zone on every enabled nameserver what the database says, and if not, repair it.

Transferring every zone from every server each run does not scale (100,000 zones x 2 servers cannot be transferred
and compared inside the hour between runs). So a run first asks each server every zone's SOA serial over UDP, many
queries in flight (transport.soa_sweep), and transfers a zone in full (AXFR) and compares it with the database only
when

- the serial the server answers is neither the one it confirmed (ZoneSync.serial) nor the one it showed when the
  zone was last found identical (ZoneSync.verified_serial: a signer's serial runs ahead of ours);
- the zone changed since it was last found identical (ZoneSync.verified_version), or nothing is confirmed yet;
- the zone is in this run's rotating share (zone id modulo the runs per PUSH_VERIFY_FULL_INTERVAL), or its last full
  check is overdue: an edit on the server that kept the serial (a zone file swapped under the server) is found
  within a day all the same;
- the zones were named (manage.py zones_verify ZONE...): those are always transferred.

The records of a batch's zones are read from the database in one query (services.zones_contents, each zone at one
version, whatever the number of servers); the transfers run PUSH_VERIFY_TRANSFERS at a time and are read as wire and
compared as the stored text (axfr.py: a copy found equal is identical; only one found different is compared again
record by record, as dnspython objects); the copies found identical are recorded in one statement per batch. No push
lock is taken but to repair: the repair is zone_reconcile under the
zone's push lock, after checking that no change was made and pushed while the copy was being transferred (which
would look like drift and is not). A VerifyRun row records the run's progress and summary for the staff page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

import dns.rdatatype
from django.conf import settings
from django.db import connection
from django.utils import timezone

from zones import records
from zones.models import Nameserver, Zone, ZoneSync
from zones.models import VerifyRun as Run
from zones.push import axfr, dnssec, transport
from zones.push.control import ControlError
from zones.push.locks import zone_push_lock
from zones.push.services import (
    Difference,
    PushError,
    Snapshot,
    ZoneContent,
    differences_between,
    server_of,
    soa_rdata,
    zone_reconcile,
    zones_contents,
)
from zones.push.transport import TransportError

log = logging.getLogger(__name__)

# Zones read (keyset pagination), swept and transferred per step; the run's row is updated and a line logged after
# each step.
BATCH = 1000
# A run still "running" whose row was not updated for this long has died (killed, hard time limit): the next run
# marks it failed.
STALE_AFTER = timedelta(minutes=30)
ERROR_TEXT_LIMIT = 2000


@dataclass
class VerifyReport:
    zone: str
    nameserver: str
    differences: list[Difference] = field(default_factory=list)
    pending: bool = False  # the server is behind on a change not yet pushed: not drift
    error: str = ""
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not self.differences and not self.error


@dataclass(frozen=True)
class VerifyOutcome:
    """The run's row (its counters) and a report for each zone copy that was not found identical; with zones named,
    one for every zone copy."""

    run: Run
    reports: list[VerifyReport]


class _Zone(NamedTuple):
    id: int
    name: str
    version: int


def zones_verify(*, zone_names: list[str] | None, repair: bool) -> VerifyOutcome:
    """Verify the named zones (every one transferred) or all zones (transferred where the SOA sweep, a change or the
    rotation says so) on every enabled nameserver; with `repair`, send each drifted server the difference."""
    runs_expire()
    nameservers = list(Nameserver.objects.filter(enabled=True))
    run = _run_start(zone_names, repair)
    verifier = _Verifier(run, nameservers, repair=repair, named=zone_names is not None)
    try:
        for batch in _zone_batches(zone_names):
            verifier.batch(batch)
            _progress(run)
    except BaseException as exc:  # SoftTimeLimitExceeded and KeyboardInterrupt too: the row must not stay running
        _note(run, f"the run stopped: {type(exc).__name__}: {exc}")
        _run_end(run, Run.State.FAILED)
        raise
    _run_end(run, Run.State.FINISHED)
    return VerifyOutcome(run=run, reports=verifier.reports)


def runs_expire(now: datetime | None = None) -> int:
    """Mark failed the runs left "running" by a verifier that died; returns how many."""
    now = now or timezone.now()
    return Run.objects.filter(state=Run.State.RUNNING, updated__lt=now - STALE_AFTER).update(
        state=Run.State.FAILED, finished=now
    )


# --- the run's row ---------------------------------------------------------------------------------------------------


def _run_start(zone_names: list[str] | None, repair: bool) -> Run:
    now = timezone.now()
    scope = "" if zone_names is None else " ".join(zone_names)
    current, slices = (0, 1) if zone_names is not None else _rotation()
    return Run.objects.create(
        started=now, updated=now, scope=_shorten(scope, 200), repair=repair, slice=current, slices=slices
    )


def _rotation() -> tuple[int, int]:
    """This run's share of the zones: the one after the last finished pass's, among the runs per full interval."""
    slices = max(1, math.ceil(settings.PUSH_VERIFY_FULL_INTERVAL / settings.PUSH_VERIFY_INTERVAL))
    last = Run.objects.filter(scope="", state=Run.State.FINISHED).order_by("-started").first()
    if last is None or last.slices != slices:
        return 0, slices
    return (last.slice + 1) % slices, slices


def _progress(run: Run) -> None:
    run.updated = timezone.now()
    run.save(update_fields=[*_COUNTERS, "error_text", "updated"])
    log.info("verify run %s: %s", run.pk, run_summary(run))


def _run_end(run: Run, state: str) -> None:
    run.updated = run.finished = timezone.now()
    run.state = state
    run.save(update_fields=[*_COUNTERS, "error_text", "updated", "finished", "state"])
    (log.info if state == Run.State.FINISHED else log.error)("verify run %s %s: %s", run.pk, state, run_summary(run))


_COUNTERS = ("zones", "pairs", "soa_checked", "transferred", "drift", "repaired", "errors")


def run_summary(run: Run) -> str:
    """One line: what the run saw and did."""
    share = f", full share {run.slice + 1}/{run.slices}" if not run.scope else f", zones {run.scope}"
    return (
        f"{run.zones} zones, {run.pairs} zone copies, {run.soa_checked} SOA answers, {run.transferred} transferred, "
        f"{run.drift} drifted, {run.repaired} repaired, {run.errors} errors in {run.seconds:.1f} s{share}"
    )


def _note(run: Run, error: str) -> None:
    if len(run.error_text) < ERROR_TEXT_LIMIT:
        run.error_text = _shorten(f"{run.error_text}{error}\n", ERROR_TEXT_LIMIT)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _zone_batches(zone_names: list[str] | None) -> Iterator[list[_Zone]]:
    """The zones in id order, BATCH at a time, each batch one query from where the last one ended."""
    last = 0
    while True:
        query = Zone.objects.filter(pk__gt=last).order_by("pk")
        if zone_names is not None:
            query = query.filter(name__in=zone_names)
        batch = [_Zone(*row) for row in query.values_list("pk", "name", "version")[:BATCH]]
        if not batch:
            return
        yield batch
        last = batch[-1].id


# --- one batch -------------------------------------------------------------------------------------------------------


@dataclass
class _Pair:
    zone: _Zone
    nameserver: Nameserver
    sync: ZoneSync | None
    report: VerifyReport


class _Verifier:
    def __init__(self, run: Run, nameservers: list[Nameserver], *, repair: bool, named: bool) -> None:
        self.run, self.nameservers, self.repair, self.named = run, nameservers, repair, named
        self.reports: list[VerifyReport] = []
        self.now = timezone.now()
        self.overdue = self.now - timedelta(seconds=settings.PUSH_VERIFY_FULL_INTERVAL + settings.PUSH_VERIFY_INTERVAL)
        self.given_up: dict[int, str] = {}  # nameservers whose SOA sweep failed as a whole: skipped for the run

    def batch(self, zones: list[_Zone]) -> None:
        self.run.zones += len(zones)
        self.run.pairs += len(zones) * len(self.nameservers)
        syncs = {
            (sync.zone_id, sync.nameserver_id): sync
            for sync in ZoneSync.objects.filter(zone_id__in=[z.id for z in zones], nameserver__in=self.nameservers)
        }
        due: list[_Pair] = []
        for nameserver in self.nameservers:
            serials = self._serials(nameserver, zones)
            for zone in zones:
                pair = _Pair(
                    zone, nameserver, syncs.get((zone.id, nameserver.pk)), VerifyReport(zone.name, nameserver.name)
                )
                answer = serials.get(zone.id)
                if answer is not None and answer.error:
                    self._error(pair, answer.error)
                elif self.named or self._due(pair, answer):
                    due.append(pair)
        self._transfer(due)

    def _serials(self, nameserver: Nameserver, zones: list[_Zone]) -> dict[int, transport.SoaAnswer]:
        """Each zone's SOA answer from the server (none asked when the zones were named: all are transferred)."""
        if self.named:
            return {}
        if nameserver.pk in self.given_up:
            return {zone.id: transport.SoaAnswer(error=self.given_up[nameserver.pk]) for zone in zones}
        origins = [records.zone_origin(zone.name) for zone in zones]
        answers = transport.soa_sweep(server_of(nameserver), origins, window=settings.PUSH_VERIFY_CONCURRENCY)
        self.run.soa_checked += sum(1 for answer in answers if not answer.error)
        if all(answer.error for answer in answers):
            self.given_up[nameserver.pk] = f"{nameserver.name} did not answer: {answers[0].error}"
            log.error("verify run %s: %s", self.run.pk, self.given_up[nameserver.pk])
            _note(self.run, self.given_up[nameserver.pk])
        return dict(zip((zone.id for zone in zones), answers, strict=True))

    def _due(self, pair: _Pair, answer: transport.SoaAnswer | None) -> bool:
        sync, zone = pair.sync, pair.zone
        if sync is None or not sync.version or sync.verified_version != zone.version:
            return True  # nothing confirmed, or the zone changed since it was last found identical
        if answer is None or answer.serial not in (sync.serial, sync.verified_serial):
            return True
        if zone.id % self.run.slices == self.run.slice:
            return True
        return sync.verified_at is None or sync.verified_at < self.overdue

    def _error(self, pair: _Pair, error: str) -> None:
        pair.report.error = error
        self.run.errors += 1
        self.reports.append(pair.report)
        if pair.nameserver.pk not in self.given_up:
            _note(self.run, f"{pair.zone.name} on {pair.nameserver.name}: {error}")
        if pair.sync is not None and pair.sync.verified_version:
            ZoneSync.objects.filter(pk=pair.sync.pk).update(verified_version=0)  # look again next run

    # --- transfers and comparison --------------------------------------------------------------------------------

    def _transfer(self, pairs: list[_Pair]) -> None:
        # The batch's records in one query; each copy transferred and compared as text by the pool's threads (the
        # transfers wait on the servers, the comparison is short); the rest (the database, drift) here.
        contents = zones_contents([pair.zone.id for pair in pairs])
        verified: list[tuple[int, int, int | None]] = []
        with ThreadPoolExecutor(max_workers=settings.PUSH_VERIFY_TRANSFERS) as pool:
            transfers = [
                (pair, content, pool.submit(_fetch, server_of(pair.nameserver), content))
                for pair in pairs
                if (content := contents.get(pair.zone.id)) is not None  # deleted meanwhile: nothing to verify
            ]
            for pair, content, future in transfers:
                self._verify(pair, content, future, verified)
        _verified_many(verified, self.now)

    def _verify(
        self,
        pair: _Pair,
        content: ZoneContent,
        fetched: Future[tuple[axfr.Transfer, bool]],
        verified: list[tuple[int, int, int | None]],
    ) -> None:
        try:
            transfer, identical = fetched.result()
        except TransportError as exc:
            self._error(pair, str(exc))
            return
        self.run.transferred += 1
        report = pair.report
        their_serial = transfer.soa_serial if identical else _compare(pair, content.snapshot(), transfer)
        if report.clean:
            if pair.sync is not None:
                verified.append((pair.sync.pk, content.zone.version, their_serial))
            if self.named:
                self.reports.append(report)
            return
        self.reports.append(report)
        if not report.pending:
            self._drift(pair, content.zone.version)

    def _drift(self, pair: _Pair, version: int) -> None:
        report, sync = pair.report, pair.sync
        if sync is None:  # a copy with nothing confirmed is pending, never drift (_compare): not reached
            return
        with zone_push_lock(pair.zone.id, blocking=True):
            sync.refresh_from_db()
            if sync.version != version or not Zone.objects.filter(pk=pair.zone.id, version=version).exists():
                report.pending = True  # changed and pushed while we transferred: the next run compares again
                return
            self.run.drift += 1
            log.warning("%s on %s differs from the database: %s", report.zone, report.nameserver, report.differences)
            if not self.repair:
                ZoneSync.objects.filter(pk=sync.pk).update(verified_version=0)  # look again next run
                return
            try:
                zone_reconcile(nameserver=pair.nameserver, sync=sync, zone_id=pair.zone.id)
            except (TransportError, ControlError, PushError) as exc:
                report.error = str(exc)
                self.run.errors += 1
                _note(self.run, f"{report.zone} on {report.nameserver}: repair failed: {exc}")
                ZoneSync.objects.filter(pk=sync.pk).update(verified_version=0)
                return
            report.repaired = True
            self.run.repaired += 1
            self._verified(sync, sync.version, sync.serial)

    def _verified(self, sync: ZoneSync | None, version: int, serial: int | None) -> None:
        if sync is not None:
            ZoneSync.objects.filter(pk=sync.pk).update(
                verified_version=version, verified_serial=serial, verified_at=self.now
            )


def _fetch(server: transport.Server, content: ZoneContent) -> tuple[axfr.Transfer, bool]:
    """The server's copy, and whether it is found identical as text (False: compare it record by record)."""
    transfer = axfr.zone_transfer(server, content.origin)
    return transfer, transfer.rrsets == content.texts and transfer.soa_text == content.zone.soa_content_at(
        content.zone.serial
    )


def _compare(pair: _Pair, snapshot: Snapshot, transfer: axfr.Transfer) -> int:
    """Put the differences between the server's copy and the snapshot in the pair's report; the server's serial."""
    report = pair.report
    theirs = transfer.rdatasets()
    their_soa = theirs.pop((snapshot.origin, dns.rdatatype.SOA))[0]
    _, report.differences = differences_between(snapshot, theirs)
    our_soa = soa_rdata(snapshot.zone, snapshot.serial)
    if not dnssec.soa_matches(our_soa, their_soa, signed=dnssec.zone_is_signed(theirs, snapshot.origin)):
        report.differences.append(Difference("@", "SOA", [str(our_soa)], [str(their_soa)]))
    confirmed = pair.sync.version if pair.sync is not None else 0
    report.pending = bool(report.differences) and confirmed != snapshot.version
    return int(their_soa.serial)


# PostgreSQL: the batch as arrays, one statement.
_VERIFIED_SQL = """
UPDATE zones_zonesync AS sync
SET verified_version = found.version, verified_serial = found.serial, verified_at = %s
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS found (id, version, serial)
WHERE sync.id = found.id
"""


def _verified_many(found: list[tuple[int, int, int | None]], now: datetime) -> None:
    """Record the copies found identical (sync id, version, the server's serial): one statement for the batch."""
    if not found:
        return
    ids, versions, serials = zip(*found, strict=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_VERIFIED_SQL, [now, list(ids), list(versions), list(serials)])
        else:  # SQLite, in process: a statement per row costs no round trip
            stamp = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                "UPDATE zones_zonesync SET verified_version = %s, verified_serial = %s, verified_at = %s WHERE id = %s",
                [(version, serial, stamp, sync_id) for sync_id, version, serial in found],
            )
