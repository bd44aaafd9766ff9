"""Push, reconcile, provision and deprovision zones on the nameservers. The only writers of what ZoneSync says was
delivered (the verifier, verify.py, writes only what it found: the verified_* fields).

A nameserver is current on a zone when its ZoneSync.version equals Zone.version. A push sends the RRsets changed
since the version the server confirmed (from the Change journal) with the SOA compare-and-swap prerequisite; when
the journal cannot say (nothing confirmed, a gap) or the prerequisite fails (the server is not where we left it), a
reconcile transfers the zone from the server and sends the difference to the database instead. Either way ZoneSync
moves forward only after the server accepted the change, with a compare-and-set, so nothing is marked delivered
that was not.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import SecurityEvent
from zones import journal, records
from zones.journal import RRsetEntry, zone_serial_raise
from zones.models import UNMARKED, Nameserver, Record, Zone, ZoneSync
from zones.push import control, delivery, dnssec, transport
from zones.push.control import ControlError
from zones.push.locks import zone_push_lock
from zones.push.transport import Key, RRsetChange, TransportError

log = logging.getLogger(__name__)

# A burst keeps arriving while we push; give up the lock after this many rounds and let the next task continue.
MAX_ROUNDS = 50
# Failed servers are left alone by the sweeper for 2**attempts seconds, at most this long.
MAX_BACKOFF = timedelta(minutes=10)
PROVISION_WAIT = 10.0
ANAME = "ANAME"  # not pushed: see zones/push/__init__.py
PROVISIONING_KINDS = frozenset({Nameserver.Kind.BIND, Nameserver.Kind.KNOT})


class PushError(Exception):
    """A push to at least one nameserver failed; the retry (or the sweeper) tries again. Nothing was confirmed."""


class SerialTooLow(PushError):
    """A change set needs several messages, and the serial must advance by one per message: raise it past `above`."""

    def __init__(self, above: int) -> None:
        super().__init__(f"the serial must first be raised past {above}")
        self.above = above


class PushBusy(Exception):
    """Another worker is pushing this zone right now; it will see our change too, or our retry will."""


# --- a consistent picture of a zone --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    zone: Zone
    origin: dns.name.Name
    rrsets: dict[Key, dns.rdataset.Rdataset]  # every RRset but the SOA (and ANAME), names absolute

    @property
    def version(self) -> int:
        return self.zone.version

    @property
    def serial(self) -> int:
        return self.zone.serial


def zone_snapshot(*, zone_id: int) -> Snapshot | None:
    """The zone's records at one version, without locking writers out: read, then check the version did not move.

    Every committed change set bumps Zone.version in its own transaction, so an unchanged version around the read
    proves the records read belong to that version. None when the zone no longer exists.
    """
    for _ in range(20):
        zone = Zone.objects.filter(pk=zone_id).first()
        if zone is None:
            return None
        with _collector_paused():  # the rows too: a row is a tuple, as many as the records
            rows = list(
                Record.objects.filter(zone_id=zone_id, rrset__zone_id=zone_id)  # each through its zone index
                .exclude(rrset__type=ANAME)
                .values_list("rrset__name", "rrset__type", "rrset__ttl", "content")
            )
            if Zone.objects.filter(pk=zone_id, version=zone.version).exists():
                origin = records.zone_origin(zone.name)
                return Snapshot(zone=zone, origin=origin, rrsets=_rdatasets_built(rows, origin))
    raise PushError(f"zone {zone_id} kept changing while it was read")


@dataclass(frozen=True)
class ZoneContent:
    """A zone's records at one version as the stored strings: what the verifier compares a transferred copy with
    (zones_contents), turned into a Snapshot only when a copy must be compared record by record."""

    zone: Zone
    rows: list[tuple[str, str, int, str]]  # (name, type, TTL, content) of every record but ANAME

    @functools.cached_property
    def origin(self) -> dns.name.Name:
        return records.zone_origin(self.zone.name)

    @functools.cached_property
    def texts(self) -> dict[tuple[str, str], tuple[int, list[str]]]:
        """(name, type): (TTL, contents sorted); the SOA apart. axfr.Transfer.rrsets has the same shape."""
        grouped: dict[tuple[str, str], tuple[int, list[str]]] = {}
        for name, rdtype, ttl, content in self.rows:
            entry = grouped.get((name, rdtype))
            if entry is None:
                grouped[(name, rdtype)] = (ttl, [content])
            else:
                entry[1].append(content)
        for _, contents in grouped.values():
            contents.sort()
        return grouped

    def snapshot(self) -> Snapshot:
        return Snapshot(zone=self.zone, origin=self.origin, rrsets=_rdatasets(self.rows, self.origin))


# A list of placeholders, not PostgreSQL's = ANY(array): the same statement runs on SQLite (a batch of zones is far
# below either database's limit on parameters).
_CONTENTS_SQL = """
SELECT r.zone_id, s.name, s.type, s.ttl, r.content
FROM zones_record r JOIN zones_rrset s ON s.id = r.rrset_id AND s.zone_id = r.zone_id
WHERE r.zone_id IN ({ids}) AND s.zone_id IN ({ids}) AND s.type <> %s
"""


def zones_contents(zone_ids: list[int]) -> dict[int, ZoneContent]:
    """Many zones' records, each at one version, in one query through the record and RRset zone indexes (values, no
    model instances); zone_snapshot's read-then-check-version for the whole batch: the zones whose version moved while
    they were read are read again. Zones that no longer exist are left out."""
    result: dict[int, ZoneContent] = {}
    wanted = list(dict.fromkeys(zone_ids))
    for _ in range(20):
        if not wanted:
            return result
        zones = Zone.objects.in_bulk(wanted)
        rows: dict[int, list[tuple[str, str, int, str]]] = {zone_id: [] for zone_id in zones}
        ids = list(zones)
        if not ids:
            return result
        with connection.cursor() as cursor:
            cursor.execute(_CONTENTS_SQL.format(ids=", ".join(["%s"] * len(ids))), [*ids, *ids, ANAME])
            for zone_id, name, rdtype, ttl, content in cursor.fetchall():
                rows[zone_id].append((name, rdtype, ttl, content))
        now = dict(Zone.objects.filter(pk__in=list(zones)).values_list("pk", "version"))
        wanted = []
        for zone_id, zone in zones.items():
            if now.get(zone_id) == zone.version:
                result[zone_id] = ZoneContent(zone=zone, rows=rows[zone_id])
            elif zone_id in now:
                wanted.append(zone_id)  # changed while it was read: again
    if wanted:
        raise PushError(f"zones {wanted[:10]} kept changing while they were read")
    return result


# The types whose Rdataset.add only adds an rdata not yet in the set (no singleton replaces, no covered type to check):
# an Rdataset of one of them is filled as that would fill it, hashing each rdata once instead of twice (an rdata hashes
# its wire form, which an address builds by parsing its text again).
_PLAIN_SETS = frozenset({dns.rdatatype.A, dns.rdatatype.AAAA})


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a zone's records become objects: everything built is kept (no cycle to
    find), yet the hundreds of thousands of allocations of a large zone set off full collections that walk the whole
    process's heap, a third of the build's time. Reference counting frees as usual meanwhile; collections resume
    after (unless the collector was already off, or another build switched it back on first)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _rdatasets(rows: list[tuple[str, str, int, str]], origin: dns.name.Name) -> dict[Key, dns.rdataset.Rdataset]:
    with _collector_paused():
        return _rdatasets_built(rows, origin)


def _rdatasets_built(rows: list[tuple[str, str, int, str]], origin: dns.name.Name) -> dict[Key, dns.rdataset.Rdataset]:
    # Grouped on the stored strings first: a dnspython Name hashes slowly, and is built once per RRset this way.
    grouped: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for name, rdtype, ttl, content in rows:
        entry = grouped.get((name, rdtype))
        if entry is None:
            grouped[(name, rdtype)] = (ttl, [content])
        else:
            entry[1].append(content)
    types: dict[str, dns.rdatatype.RdataType] = {}
    result: dict[Key, dns.rdataset.Rdataset] = {}
    for (name, rdtype), (ttl, contents) in grouped.items():
        if rdtype not in types:
            types[rdtype] = dns.rdatatype.from_text(rdtype)
        rdataset = dns.rdataset.Rdataset(dns.rdataclass.IN, types[rdtype], ttl=ttl)
        rdatas = [records.rdata_stored(rdtype, content, origin) for content in contents]
        if rdataset.rdtype in _PLAIN_SETS:
            rdataset.items = dict.fromkeys(rdatas)
        else:
            for rdata in rdatas:
                rdataset.add(rdata)
        result[(records.owner_absolute(name, origin), rdataset.rdtype)] = rdataset
    return result


def soa_rdata(zone: Zone, serial: int) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, zone.soa_content_at(serial))


def master_file(snapshot: Snapshot) -> str:
    """The zone as an RFC 1035 master file (absolute names), the SOA first: a new zone's first content."""
    zone = snapshot.zone
    lines = [f"{snapshot.origin} {zone.soa_ttl} IN SOA {soa_rdata(zone, zone.serial)}"]
    for (name, _), rdataset in sorted(snapshot.rrsets.items()):
        lines.extend(f"{name} {rdataset.ttl} IN {dns.rdatatype.to_text(rdataset.rdtype)} {r}" for r in rdataset)
    return "\n".join(lines) + "\n"


# --- the journal ---------------------------------------------------------------------------------------------------


def journal_changes(*, zone: Zone, since: int, until: int) -> tuple[list[RRsetChange], int] | None:
    """The RRsets changed after version `since` up to `until`, each in its state at `until`, and the serial at
    `until`; None when the journal has a gap (the server must then be reconciled instead)."""
    delta = journal.rrsets_changed(zone=zone, since=since, until=until)
    if delta is None:
        return None
    final, serial = delta
    origin = records.zone_origin(zone.name)
    changes = [
        _change(name, rdtype, entry, origin) for (name, rdtype), entry in sorted(final.items()) if rdtype != ANAME
    ]
    return changes, serial


def _change(name: str, rdtype: str, entry: RRsetEntry | None, origin: dns.name.Name) -> RRsetChange:
    owner = records.owner_absolute(name, origin)
    type_ = dns.rdatatype.from_text(rdtype)
    if entry is None:
        return RRsetChange(owner, type_, None)
    ttl = entry["ttl"]
    rdataset = dns.rdataset.Rdataset(dns.rdataclass.IN, type_, ttl=ttl)
    for content in entry["records"]:
        rdataset.add(records.rdata_parse(rdtype, content, origin), ttl)
    return RRsetChange(owner, type_, rdataset)


# --- delivery to one nameserver ------------------------------------------------------------------------------------


def server_of(nameserver: Nameserver) -> transport.Server:
    key = transport.tsig_key(nameserver.tsig_name, nameserver.tsig_secret, nameserver.tsig_algorithm)
    return transport.Server(address=nameserver.address, port=nameserver.port, key=key)


def changes_send(
    nameserver: Nameserver, zone: Zone, changes: list[RRsetChange], *, from_soa: dns.rdata.Rdata, serial: int
) -> None:
    """Send `changes` and move the server's SOA from `from_soa` (compare-and-swap) to `serial`.

    Above the 64 KB message limit the change set is split; every message carries the SOA it expects and sets the
    next one (the server's serial advances by one per message, ending at `serial`), so each chunk is a
    compare-and-swap too and a server never applies a chunk on top of a state we did not expect.
    """
    server = server_of(nameserver)
    origin = records.zone_origin(zone.name)
    # The order matters to servers (deletions before additions, the apex NS set and its glue first): see delivery.
    ordered = delivery.with_previous(server, origin, delivery.delivery_order(changes, origin))
    groups = list(transport.chunks(ordered))
    start = int(from_soa.serial)  # type: ignore[attr-defined]
    last_intermediate = journal.serial_add(start, len(groups) - 1)
    if len(groups) > 1 and not journal.serial_greater(serial, last_intermediate):
        raise SerialTooLow(last_intermediate)
    expected = from_soa
    for index, group in enumerate(groups):
        last = index == len(groups) - 1
        next_soa = soa_rdata(zone, serial if last else journal.serial_add(start, index + 1))
        try:
            transport.update_send(server, origin, group, soa=next_soa, soa_ttl=zone.soa_ttl, expected_soa=expected)
        except transport.UpdateRefused as exc:
            # Deliver what the server takes of this message and the rest, and name exactly what it refuses.
            delivery.deliver_around_refusal(
                server,
                origin,
                [change for later in groups[index:] for change in later],
                expected=expected,
                soa_for=lambda value: soa_rdata(zone, value),
                soa_ttl=zone.soa_ttl,
                nameserver_name=nameserver.name,
                refusal=exc,
            )
        expected = next_soa


def _deliver(nameserver: Nameserver, sync: ZoneSync, zone: Zone) -> None:
    """Bring one nameserver to the zone's current version, or raise; confirms what the server accepted."""
    if sync.version and sync.serial is not None:
        delta = journal_changes(zone=zone, since=sync.version, until=zone.version)
        if delta is not None:
            changes, serial = delta
            try:
                changes_send(nameserver, zone, changes, from_soa=soa_rdata(zone, sync.serial), serial=serial)
            except transport.PrerequisiteFailed:
                log.info("%s on %s is not at serial %s: reconciling", zone.name, nameserver.name, sync.serial)
            except SerialTooLow as exc:
                # The next round of the push sends the same records with the raised serial.
                zone_serial_raise(zone=zone, above=exc.above, actor=_pipeline_actor("a change set of many messages"))
                return
            except transport.ZoneMissing:
                if nameserver.kind not in PROVISIONING_KINDS:
                    raise
                log.warning("%s vanished from %s: creating it again", zone.name, nameserver.name)
                if not _provision(nameserver, sync, zone.pk):
                    raise PushError(f"{nameserver.name} has {zone.name} configured but does not serve it") from None
                return
            else:
                _confirm(sync, version=zone.version, serial=serial)
                return
    if not sync.version and nameserver.kind in PROVISIONING_KINDS and _provision(nameserver, sync, zone.pk):
        return
    zone_reconcile(nameserver=nameserver, sync=sync, zone_id=zone.pk)


def _provision(nameserver: Nameserver, sync: ZoneSync, zone_id: int) -> bool:
    """Create the zone on the server from a snapshot; False when it had the zone already (reconcile it then)."""
    snapshot = zone_snapshot(zone_id=zone_id)
    if snapshot is None:
        return True
    if not control.zone_add(nameserver, snapshot.zone.name, master_file(snapshot), policy=dnssec.zone_policy(zone_id)):
        return False
    _await_serial(nameserver, snapshot)
    _confirm(sync, version=snapshot.version, serial=snapshot.serial)
    return True


def _await_serial(nameserver: Nameserver, snapshot: Snapshot) -> None:
    # The server loads a new zone in the background; an UPDATE sent before it is loaded would be refused.
    server = server_of(nameserver)
    deadline = time.monotonic() + PROVISION_WAIT
    while time.monotonic() < deadline:
        soa = transport.soa_query(server, snapshot.origin)
        # A signer may have counted the serial on already (signing is a change).
        if soa is not None and journal.serial_at_least(int(soa.serial), snapshot.serial):  # type: ignore[attr-defined]
            return
        time.sleep(0.02)
    raise PushError(f"{nameserver.name} did not load {snapshot.zone.name} within {PROVISION_WAIT:.0f} s")


# --- reconcile, and the comparison the verifier (verify.py) makes ---------------------------------------------------


@dataclass(frozen=True)
class Difference:
    name: str
    type: str
    database: list[str]
    server: list[str]

    def __str__(self) -> str:
        return f"{self.name} {self.type}: database {self.database or '(none)'}, server {self.server or '(none)'}"


def differences_between(
    snapshot: Snapshot, server_rrsets: dict[Key, dns.rdataset.Rdataset]
) -> tuple[list[RRsetChange], list[Difference]]:
    """What must change on the server to match the database (ignoring the SOA and what a signer adds)."""
    theirs = {k: v for k, v in server_rrsets.items() if not transport.server_managed(k, snapshot.origin)}
    theirs = {k: v for k, v in theirs.items() if dns.rdatatype.to_text(k[1]) != ANAME}
    changes: list[RRsetChange] = []
    differences: list[Difference] = []
    for key in sorted(set(theirs) | set(snapshot.rrsets)):
        ours, other = snapshot.rrsets.get(key), theirs.get(key)
        if ours is not None and other is not None and ours == other and ours.ttl == other.ttl:
            continue
        changes.append(RRsetChange(key[0], key[1], ours, other))
        differences.append(
            Difference(
                name=records.owner_relative(key[0], snapshot.origin),
                type=dns.rdatatype.to_text(key[1]),
                database=_texts(ours),
                server=_texts(other),
            )
        )
    return changes, differences


def _texts(rdataset: dns.rdataset.Rdataset | None) -> list[str]:
    return [] if rdataset is None else sorted(f"{rdataset.ttl} {rdata}" for rdata in rdataset)


def zone_reconcile(*, nameserver: Nameserver, sync: ZoneSync, zone_id: int) -> list[Difference]:
    """Transfer the zone from the server and send it the difference to the database; confirm the version sent.

    When the server's serial is not below ours (someone changed the zone there, the server counted on), the zone's
    serial is first raised past it: a server ignores an SOA whose serial is not greater (RFC 2136 §3.4.2.2).
    """
    try:
        theirs = transport.zone_transfer(server_of(nameserver), _origin(zone_id))
    except transport.ZoneMissing:
        if nameserver.kind in PROVISIONING_KINDS and _provision(nameserver, sync, zone_id):
            return []
        raise
    their_soa = theirs.pop((_origin(zone_id), dns.rdatatype.SOA))[0]
    their_soa = dnssec.update_soa(nameserver, _origin(zone_id), their_soa, theirs)
    their_serial = int(their_soa.serial)  # type: ignore[attr-defined]
    snapshot = zone_snapshot(zone_id=zone_id)
    if snapshot is None:
        return []
    changes, differences = differences_between(snapshot, theirs)
    if their_serial == snapshot.serial and not changes and their_soa == soa_rdata(snapshot.zone, snapshot.serial):
        _confirm(sync, version=snapshot.version, serial=snapshot.serial)
        return []
    above = their_serial
    for _ in range(3):
        if journal.serial_greater(snapshot.serial, above):
            try:
                changes_send(nameserver, snapshot.zone, changes, from_soa=their_soa, serial=snapshot.serial)
                break
            except SerialTooLow as exc:
                above = exc.above
        zone_serial_raise(
            zone=snapshot.zone, above=above, actor=_pipeline_actor(f"{nameserver.name} needs a higher serial")
        )
        snapshot = zone_snapshot(zone_id=zone_id)
        if snapshot is None:
            return []
        changes, differences = differences_between(snapshot, theirs)
    else:
        raise PushError(f"could not find a serial above {above} for {nameserver.name}")
    _confirm(sync, version=snapshot.version, serial=snapshot.serial)
    return differences


def _pipeline_actor(reason: str) -> Actor:
    return Actor.cli(f"push pipeline: {reason}")


def _origin(zone_id: int) -> dns.name.Name:
    return records.zone_origin(Zone.objects.values_list("name", flat=True).get(pk=zone_id))


# --- the push of one zone to every enabled nameserver ---------------------------------------------------------------


def zone_push(*, zone_id: int, blocking: bool = False) -> None:
    """Bring every enabled nameserver up to the zone's current version.

    One push per zone runs at a time (PushBusy when another holds the zone and `blocking` is false). Changes that
    arrive meanwhile are carried by the same push: it keeps going until no server that is still answering is behind.
    Raises PushError naming the servers that failed; what they did accept stays confirmed.
    """
    if not Nameserver.objects.filter(enabled=True).exists():
        return  # nothing to push to (the zero-setup default): skip the lock, every request would pay for it
    with zone_push_lock(zone_id, blocking=blocking) as acquired:
        if not acquired:
            raise PushBusy(f"zone {zone_id} is being pushed by another worker")
        failures = _push_rounds(zone_id)
    if failures:
        raise PushError("; ".join(f"{name}: {error}" for name, error in sorted(failures.items())))


def _push_rounds(zone_id: int) -> dict[str, str]:
    failures: dict[str, str] = {}
    for _ in range(MAX_ROUNDS):
        zone = Zone.objects.filter(pk=zone_id).first()
        if zone is None:
            return failures
        behind = [(ns, sync) for ns, sync in _syncs(zone) if sync.version != zone.version and ns.name not in failures]
        if not behind:
            return failures
        for nameserver, sync in behind:
            first = not sync.version
            try:
                _deliver(nameserver, sync, zone)
            except (TransportError, ControlError, PushError) as exc:
                _fail(sync, str(exc))
                failures[nameserver.name] = str(exc)
                log.warning("push of %s to %s failed: %s", zone.name, nameserver.name, exc)
            else:
                if first:
                    _catalog_member_add(zone_id)
    # Still behind after every round (a burst that never ends, or a server that accepts but never catches up):
    # not delivered, so it must be retried like a failure.
    zone = Zone.objects.filter(pk=zone_id).first()
    if zone is not None:
        behind = [(ns, sync) for ns, sync in _syncs(zone) if sync.version != zone.version]
        failures.update(
            {ns.name: f"still behind after {MAX_ROUNDS} rounds" for ns, _ in behind if ns.name not in failures}
        )
    return failures


def _catalog_member_add(zone_id: int) -> None:
    # After the zone's first delivery, so that a consumer never learns of a zone the primary does not serve yet.
    for hooks in _CATALOG:
        hooks.member_add(zone_id)


def _syncs(zone: Zone) -> list[tuple[Nameserver, ZoneSync]]:
    """Every enabled nameserver with its sync row of the zone (one query; rows for new servers created on demand)."""
    nameservers = list(Nameserver.objects.filter(enabled=True))
    known = {s.nameserver_id: s for s in ZoneSync.objects.filter(zone=zone, nameserver__in=nameservers)}
    return [(ns, known.get(ns.pk) or _sync(zone, ns)) for ns in nameservers]


def _sync(zone: Zone, nameserver: Nameserver) -> ZoneSync:
    try:
        sync, _ = ZoneSync.objects.get_or_create(zone=zone, nameserver=nameserver)
    except IntegrityError:  # the zone was deleted meanwhile
        raise PushError(f"zone {zone.name} is gone") from None
    return sync


def _confirm(sync: ZoneSync, *, version: int, serial: int) -> None:
    """Compare-and-set: move the confirmed version forward only from the version this push started from."""
    now = timezone.now()
    updated = ZoneSync.objects.filter(pk=sync.pk, version=sync.version).update(
        version=version, serial=serial, last_error="", attempts=0, last_attempt=now, last_success=now, next_attempt=None
    )
    if not updated:
        sync.refresh_from_db()
        log.warning("zone sync %s moved under us; keeping its version %s", sync.pk, sync.version)
        return
    sync.version, sync.serial, sync.attempts, sync.last_error = version, serial, 0, ""


def _fail(sync: ZoneSync, error: str) -> None:
    attempts = sync.attempts + 1
    now = timezone.now()
    ZoneSync.objects.filter(pk=sync.pk).update(
        last_error=error[:2000], attempts=attempts, last_attempt=now, next_attempt=now + backoff(attempts)
    )
    sync.attempts, sync.last_error = attempts, error


def backoff(attempts: int) -> timedelta:
    """Exponential with full jitter: 1, 2, 4 ... seconds, at most MAX_BACKOFF; spreads retries of many zones."""
    ceiling = min(2.0 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 (jitter, not a secret)


# --- the sweeper's markers ------------------------------------------------------------------------------------------
# Zone.synced_version is a hint that may only err towards "look at this zone": a zone whose marker equals its version
# is current on every server the markers count (Nameserver.swept). It is set here only, and only when that holds, in
# one statement that reads the zone's version as it updates the row; a change set moves the version past it. A sync
# row never moves back (compare-and-set forward, _confirm), so nothing else can make a marked zone lag, except a server
# that starts counting: a new one, or one enabled again. Such a server is counted only after the zones it lacks have
# been unmarked; a disabled server stops counting (its rows only age) and so stops holding back the markers.

_UNMARK_LACKING = """
    UPDATE zones_zone SET synced_version = %s
    WHERE version = synced_version AND NOT EXISTS (
        SELECT 1 FROM zones_zonesync c WHERE c.zone_id = zones_zone.id AND c.nameserver_id = %s
            AND c.version = zones_zone.version
    )
"""
# Zones every server that is enabled or counted has confirmed at their version now (a server enabled since the read
# of the swept flags is enabled: it must have the zone too).
_MARK_CURRENT = """
    UPDATE zones_zone SET synced_version = version
    WHERE unsynced AND NOT EXISTS (
        SELECT 1 FROM zones_nameserver n WHERE (n.enabled OR n.swept) AND NOT EXISTS (
            SELECT 1 FROM zones_zonesync c WHERE c.zone_id = zones_zone.id AND c.nameserver_id = n.id
                AND c.version = zones_zone.version
        )
    )
"""


def sync_markers_sweep() -> int:
    """Before each sweep: stop counting disabled servers, start counting enabled ones (after unmarking the zones they
    lack), then mark the zones every counted server has confirmed. Returns how many zones were marked. Each
    statement takes the rows it changes for a moment; the first run after an upgrade marks every zone once."""
    Nameserver.objects.filter(enabled=False, swept=True).update(swept=False)
    with connection.cursor() as cursor:
        for nameserver_id in Nameserver.objects.filter(enabled=True, swept=False).values_list("pk", flat=True):
            cursor.execute(_UNMARK_LACKING, [UNMARKED, nameserver_id])
            Nameserver.objects.filter(pk=nameserver_id, enabled=True).update(swept=True)
        cursor.execute(_MARK_CURRENT)
        return max(int(cursor.rowcount), 0)


# --- the catalog zone ----------------------------------------------------------------------------------------------
# The catalog (zones/catalog.py) changes its zone through zones.services, which enqueues pushes through
# zones.tasks, which runs this pipeline: importing it here would close a cycle. It registers the steps the pipeline
# calls from ZonesConfig.ready instead, as ipam registers its reverse-zone check with zones.reserved.


@dataclass(frozen=True)
class CatalogHooks:
    member_add: Callable[[int], None]  # the zone (id) reached a nameserver for the first time; must not raise
    member_remove: Callable[[str], None]  # the deleted zone (name) is about to leave the nameservers
    sync: Callable[[], int]  # the sweeper's: make the members exactly the hosted zones; records changed


_CATALOG: list[CatalogHooks] = []


def catalog_hooks_register(hooks: CatalogHooks) -> None:
    """Let the catalog zone follow zones coming and going (one catalog: a second registration replaces the first)."""
    _CATALOG[:] = [hooks]


def catalog_sync() -> int:
    """The sweeper's step: put the catalog's members right (0 when no catalog is registered)."""
    return sum(hooks.sync() for hooks in _CATALOG)


# --- zones coming and going ---------------------------------------------------------------------------------------


def zone_deprovision(*, zone_name: str) -> None:
    """Delete a zone that is gone from the database from every enabled server that creates zones.

    A zone of that name created again meanwhile stays: its push re-creates or reconciles it on the servers.
    """
    # Out of the catalog first: its consumers then drop the zone before the primary stops serving it.
    for hooks in _CATALOG:
        hooks.member_remove(zone_name)
    if Zone.objects.filter(name=zone_name).exists():
        return
    errors = []
    for nameserver in Nameserver.objects.filter(enabled=True, kind__in=PROVISIONING_KINDS):
        try:
            control.zone_remove(nameserver, zone_name)
        except ControlError as exc:
            errors.append(f"{nameserver.name}: {exc}")
    if errors:
        raise PushError("; ".join(errors))


def zone_recreate(*, nameserver: Nameserver, zone_id: int, policy: str | None, above: int) -> None:
    """Delete the zone from the server and create it again from the database, signed with `policy` or unsigned.

    The serial first moves past `above` (what the server served): its secondaries must see the new copy as newer.
    Turning DNSSEC off ends here, the one way that drops every key, signature and NSEC record on both servers.
    """
    zone = Zone.objects.get(pk=zone_id)
    zone_serial_raise(
        zone=zone, above=above, actor=_pipeline_actor(f"{zone.name} is created again on {nameserver.name}")
    )
    sync = _sync(zone, nameserver)
    control.zone_remove(nameserver, zone.name)
    snapshot = zone_snapshot(zone_id=zone_id)
    if snapshot is None:
        return
    control.zone_add(nameserver, snapshot.zone.name, master_file(snapshot), policy=policy)
    _await_serial(nameserver, snapshot)
    _confirm(sync, version=snapshot.version, serial=snapshot.serial)


def nameserver_create(
    *,
    name: str,
    address: str,
    port: int,
    kind: str,
    tsig_name: str,
    tsig_algorithm: str,
    tsig_secret: str,
    control_path: str = "",
    zone_directory: str = "",
    actor: Actor,
) -> Nameserver:
    """Register a nameserver; the sweeper then pushes every zone to it (zones it lacks are created if it can)."""
    transport.tsig_key(tsig_name, tsig_secret, tsig_algorithm)  # raises on a malformed secret or algorithm
    if kind in PROVISIONING_KINDS and not zone_directory:
        raise ValueError(f"a {kind} nameserver needs a zone directory")
    nameserver = Nameserver(
        name=name,
        address=address,
        port=port,
        kind=kind,
        tsig_name=tsig_name,
        tsig_algorithm=tsig_algorithm,
        tsig_secret=tsig_secret,
        control=control_path,
        zone_directory=zone_directory,
    )
    nameserver.full_clean()
    with transaction.atomic():
        nameserver.save()
        security_event_record(
            action=SecurityEvent.Action.NAMESERVER_CREATED,
            actor=actor,
            subject=name,
            detail={
                "kind": kind,
                "address": address,
                "port": port,
                "tsig_name": tsig_name,
                "tsig_algorithm": tsig_algorithm,
            },
        )
    log.info("nameserver %s (%s, %s#%s) added by %s", name, kind, address, port, actor.label)
    return nameserver
