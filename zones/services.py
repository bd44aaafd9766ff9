"""Every write to a zone. Views, APIs, the legacy parser and commands call these and render the result.

`zone_apply` is the one path by which records change: it locks the zone row, validates the whole change set against
the current state plus the earlier changes of the same call, writes the difference, bumps version and serial, journals
one `Change`, and schedules the push to the nameservers after commit. All or nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import dns.name
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from accounts import sql
from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import Account, SecurityEvent
from zones import journal, records, retention, store, tasks
from zones.grouping import GroupCommit
from zones.journal import RRsetEntry, RRsetKey
from zones.models import Change, RRset, Zone, ZoneDnssec
from zones.records import RecordError
from zones.reserved import zone_name_refusal
from zones.store import ZoneHead

log = logging.getLogger(__name__)


class ZoneError(Exception):
    """A zone-level request that cannot be carried out (exists already, overlaps another account's zone, ...)."""


# --- change operations -------------------------------------------------------------------------------------------
# Names are master-file names relative to the zone apex ('@' for the apex); content is presentation text. zone_apply
# parses both again, so an operation built by any caller is validated the same way.


@dataclass(frozen=True)
class Add:
    """Add one record; a TTL given sets the TTL of the whole RRset (RFC 2181 §5.2)."""

    name: str
    type: str
    content: str
    ttl: int | None = None


@dataclass(frozen=True)
class Delete:
    """Remove one record; the TTL plays no part in matching."""

    name: str
    type: str
    content: str


@dataclass(frozen=True)
class Replace:
    """Make the RRset exactly these records (none: remove the RRset), and those of its records as it is that `keep`
    accepts (canonical content in; None: none of them), decided under the zone's lock: the REST API's PUT and DELETE
    of a selection need not read the RRset before. Without `ttl` an RRset keeps its TTL, and one that does not exist
    yet gets `ttl_new` (None: the zone's default TTL), also decided under the lock: Dynamic DNS need not read first."""

    name: str
    type: str
    contents: tuple[str, ...]
    ttl: int | None = None
    keep: Callable[[str], bool] | None = None
    ttl_new: int | None = None


Operation = Add | Delete | Replace


# An Add of a record the RRset holds already (the legacy API's words; the REST API words it its own way).
DUPLICATE_RECORD = "Can't have multiple identical records"


@dataclass(frozen=True)
class Outcome:
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ApplyResult:
    outcomes: list[Outcome]
    change: Change | None = None

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def errors(self) -> list[str]:
        return [outcome.error for outcome in self.outcomes if outcome.error is not None]


# --- the staged state of the touched part of a zone ----------------------------------------------------------------


@dataclass
class _RRsetState:
    """One RRset as staged. A state is never changed once staged: a change stages a copy (see _stage), so that the
    state a change set found can be put back if it fails, and compared with the one it leaves."""

    ttl: int
    contents: dict[str, None]  # the records as staged (a dict: an ordered set)
    rrset_id: int | None = None
    original_ttl: int | None = None
    original: dict[str, int] = field(default_factory=dict)  # the records in the database: content -> Record id

    def copy(self) -> _RRsetState:
        return _RRsetState(self.ttl, dict(self.contents), self.rrset_id, self.original_ttl, self.original)

    @property
    def gone_ids(self) -> list[int]:
        return [record_id for content, record_id in self.original.items() if content not in self.contents]

    @property
    def changed(self) -> bool:
        """Differs from the database."""
        return self.contents.keys() != self.original.keys() or (bool(self.contents) and self.ttl != self.original_ttl)

    def changed_from(self, earlier: _RRsetState | None) -> bool:
        """Differs from `earlier` (None: no such RRset)."""
        if earlier is None or not earlier.contents:
            return bool(self.contents)
        return self.contents.keys() != earlier.contents.keys() or (bool(self.contents) and self.ttl != earlier.ttl)

    def entry(self, key: RRsetKey) -> RRsetEntry | None:
        """The journal entry of the RRset as staged (None: no records)."""
        return journal.rrset_entry(key, ttl=self.ttl, records=self.contents) if self.contents else None


@dataclass
class _Staged:
    """The touched part of one zone as the change sets of a group leave it, one after another."""

    zone_id: int
    origin: dns.name.Name
    head: ZoneHead
    record_count: int
    sets: dict[RRsetKey, _RRsetState] = field(default_factory=dict)
    # The same states by name, so that the rules that look across the types at a name cost O(types), not O(zone):
    # an import of 10 000 records spent 6 s of 9 scanning every staged RRset once per change.
    by_name: dict[str, dict[str, _RRsetState]] = field(default_factory=dict)
    # While a change set is staged: the state each RRset it touched had before it (None: none was staged).
    found: dict[RRsetKey, _RRsetState | None] = field(default_factory=dict)

    def get(self, key: RRsetKey) -> _RRsetState:
        state = self.sets.get(key)
        if state is None:
            state = _RRsetState(ttl=self.head.default_ttl, contents={})
            self.put(key, state)
        return state

    def put(self, key: RRsetKey, state: _RRsetState) -> None:
        if key not in self.found:
            self.found[key] = self.sets.get(key)
        self._set(key, state)

    def _set(self, key: RRsetKey, state: _RRsetState) -> None:
        self.sets[key] = state
        self.by_name.setdefault(key[0], {})[key[1]] = state

    def types_at(self, name: str) -> set[str]:
        return {rdtype for rdtype, state in self.by_name.get(name, {}).items() if state.contents}

    def change_set_begin(self) -> None:
        self.found = {}

    def change_set_undo(self) -> None:
        """Put back every RRset the change set being staged touched."""
        for key, state in self.found.items():
            if state is None:
                del self.sets[key]
                del self.by_name[key[0]][key[1]]
            else:
                self._set(key, state)
        self.found = {}

    @property
    def change_set_delta(self) -> int:
        """How many records the change set being staged adds (negative: removes)."""
        return sum(
            len(self.sets[key].contents) - (len(state.contents) if state else 0) for key, state in self.found.items()
        )

    def change_set_entries(self) -> tuple[list[RRsetEntry], list[RRsetEntry]]:
        """The journal's before and after of the RRsets the change set being staged changed, sorted."""
        before: list[RRsetEntry] = []
        after: list[RRsetEntry] = []
        for key, state in sorted(self.found.items()):
            now = self.sets[key]
            if not now.changed_from(state):
                continue
            if state is not None and (entry := state.entry(key)) is not None:
                before.append(entry)
            if (entry := now.entry(key)) is not None:
                after.append(entry)
        return before, after


# --- zone_apply --------------------------------------------------------------------------------------------------


class PreconditionFailed(ZoneError):
    """The zone's row, read under its lock, no longer satisfies what the caller checked before (a credential that
    was rotated meanwhile): nothing was applied."""


@dataclass
class _Job:
    """One caller's change set on its way through a group: its operations parsed, then its outcome."""

    zone: Zone
    origin: dns.name.Name
    parsed: list[Operation | str]
    actor: Actor
    precondition: Callable[[ZoneHead], bool] | None = None
    gate: sql.Read[Exception | None] | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    entries: tuple[list[RRsetEntry], list[RRsetEntry]] | None = None  # before, after; None: nothing to journal
    record_count: int = 0  # the zone's record count after this change set
    change: Change | None = None
    result: ApplyResult | None = None
    error: Exception | None = None


# At most this many change sets are applied in one transaction (see zones/grouping.py).
GROUP_MAX = 64
_GROUPS: GroupCommit[_Job] = GroupCommit(max_group=GROUP_MAX)


def zone_apply(
    *,
    zone: Zone,
    changes: Sequence[Operation],
    actor: Actor,
    dry_run: bool = False,
    precondition: Callable[[ZoneHead], bool] | None = None,
    gate: sql.Read[Exception | None] | None = None,
) -> ApplyResult:
    """Apply `changes` to `zone` as one transaction, or nothing of them if any is invalid.

    The result has one outcome per change, in order, so a caller can report every problem at once. A change set that
    leaves the zone as it was succeeds without a new version (no journal row, no push). `dry_run` validates only.
    `precondition`, given the zone's row as read under the lock, must hold for anything to be applied; when it does
    not, PreconditionFailed is raised. `gate` is a read that must let the request through at all (a throttle's
    counts), sent with the zone's lock so that it costs no round trip of its own: when its result is an exception,
    that is raised and nothing is applied.

    Change sets of one zone that arrive together in this process are applied in one transaction (group commit,
    zones/grouping.py), each still validated against the state the earlier ones left, journaled as a version of its
    own, and failing alone. A caller inside a transaction of its own is served alone, in that transaction.
    """
    if gate is not None and gate.statement is None:  # nothing to send with the lock: asked now, not under it
        refusal = gate.result([])
        if refusal is not None:
            raise refusal
        gate = None
    origin = records.zone_origin(zone.name)
    # Parsing needs no database state: done before the lock, so that a large import does not hold up other writers.
    job = _Job(zone, origin, [_parse(op, origin) for op in changes], actor, precondition, gate)
    if dry_run or connection.in_atomic_block:
        _apply_group([job], dry_run=dry_run)
    else:
        _GROUPS.run((connection.alias, zone.pk), job, _apply_group)
    if job.error is not None:
        raise job.error
    if job.result is None:  # the thread that led the group was interrupted (BaseException) before it got here
        raise ZoneError("the change was interrupted; it may or may not have been applied")
    return job.result


def _apply_group(jobs: list[_Job], *, dry_run: bool = False) -> None:
    """Give every job its result or its error. Never raises (but for BaseException)."""
    try:
        _apply_together(jobs, dry_run=dry_run)
    except Exception as exc:
        if len(jobs) == 1:
            jobs[0].error = exc
            return
        # Something broke the transaction (a constraint the checks did not foresee, a lost connection): apply each
        # change set alone, so that the one at fault fails alone and the others are not lost.
        for job in jobs:
            _apply_group([job], dry_run=dry_run)


def _apply_together(jobs: list[_Job], *, dry_run: bool) -> None:
    zone_id, origin = jobs[0].zone.pk, jobs[0].origin
    names = _with_ancestors({op.name for job in jobs for op in job.parsed if not isinstance(op, str)}, origin)
    refused: dict[int, Exception] = {}
    now = timezone.now()
    # The gates' reads go with the lock (zone_apply asked those without a statement before).
    gates = {id(job): job.gate.statement for job in jobs if job.gate is not None and job.gate.statement is not None}
    with store.zone_locked(zone_id, sorted(names), list(gates.values())) as locked:
        # The row lock serialises every writer of this zone; everything below reads state that cannot move under it.
        head = locked.head
        if head is None:
            raise Zone.DoesNotExist(f"zone {zone_id} does not exist")
        gate_rows = dict(zip(gates, locked.before, strict=True))
        staged = _Staged(zone_id=zone_id, origin=origin, head=head, record_count=head.record_count)
        _load(staged, locked.rows)
        applied: list[_Job] = []
        for index, job in enumerate(jobs):
            refusal = job.gate.result(gate_rows.get(id(job), [])) if job.gate is not None else None
            if refusal is not None:
                refused[index] = refusal
            elif job.precondition is not None and not job.precondition(head):
                refused[index] = PreconditionFailed(f"the zone {head.name} changed under the request")
            elif _stage_change_set(staged, job) and not dry_run:
                applied.append(job)
        if applied:
            if head.pushed:
                locked.on_commit(lambda: push_enqueue(zone_id=zone_id))
            _write(locked, staged, applied, now)  # the transaction's last statement
    for index, job in enumerate(jobs):
        if index in refused:
            job.error = refused[index]
            continue
        job.result = ApplyResult(outcomes=job.outcomes, change=job.change)
        if job.change is not None:
            _zone_moved(job.zone, job.change, job.record_count, now)


def _zone_moved(zone: Zone, change: Change, record_count: int, updated: datetime.datetime) -> None:
    """Give the caller's Zone object the fields its change set moved."""
    zone.version, zone.serial, zone.record_count, zone.updated = change.version, change.serial, record_count, updated


def _stage_change_set(staged: _Staged, job: _Job) -> bool:
    """Stage the job's change set on top of the earlier ones; True if it is valid and changes something. An invalid
    one is taken back out, so the next change set of the group sees the state before it."""
    staged.change_set_begin()
    job.outcomes = [Outcome(op) if isinstance(op, str) else _stage(staged, op, job.actor) for op in job.parsed]
    _check_zone_size(staged, job.outcomes)
    _check_dnames(staged, job.parsed, job.outcomes)
    if not all(outcome.ok for outcome in job.outcomes):
        staged.change_set_undo()
        return False
    before, after = staged.change_set_entries()
    if not before and not after:
        return False  # valid, and leaves the zone as it was
    staged.record_count += staged.change_set_delta
    job.entries, job.record_count = (before, after), staged.record_count
    return True


def _parse(op: Operation, origin: dns.name.Name) -> Operation | str:
    """Canonicalise an operation's name, type, TTL and content; return the reason as a string if it is invalid."""
    try:
        name = records.owner_parse(op.name, apex=origin, origin=origin)
        rdtype = records.type_parse(op.type)
        if isinstance(op, Replace):
            contents = tuple(dict.fromkeys(records.content_canonical(rdtype, c, origin) for c in op.contents))
            return Replace(name, rdtype, contents, ttl=_ttl(op.ttl), keep=op.keep, ttl_new=_ttl(op.ttl_new))
        content = records.content_canonical(rdtype, op.content, origin)
    except RecordError as exc:
        return str(exc)
    if isinstance(op, Add):
        try:
            return Add(name=name, type=rdtype, content=content, ttl=_ttl(op.ttl))
        except RecordError as exc:
            return str(exc)
    return Delete(name=name, type=rdtype, content=content)


def _ttl(ttl: int | None) -> int | None:
    return None if ttl is None else _ttl_checked(ttl)


def _ttl_checked(ttl: int) -> int:
    value = records.ttl_parse(ttl)
    if value < settings.ZONE_MIN_TTL:
        raise RecordError(f"TTL {value} is below the minimum of {settings.ZONE_MIN_TTL}")
    return value


def _load(staged: _Staged, rows: Iterable[store.RRsetRow]) -> None:
    """Stage the RRsets read at the touched names (all types: the CNAME rule looks across them) with their records."""
    for rrset_id, name, rdtype, ttl, record_id, content in rows:
        state = staged.sets.get((name, rdtype))
        if state is None:
            state = _RRsetState(ttl=ttl, contents={}, rrset_id=rrset_id, original_ttl=ttl)
            staged.put((name, rdtype), state)
        if record_id is not None and content is not None:  # an RRset without records should not exist
            state.original[content] = record_id
            state.contents[content] = None
    staged.found = {}


def _stage(staged: _Staged, op: Operation, actor: Actor) -> Outcome:
    key = (op.name, op.type)
    before = staged.get(key)
    after = before.copy()
    if isinstance(op, Add):
        if op.content in after.contents:
            return Outcome(DUPLICATE_RECORD)
        after.contents[op.content] = None
        after.ttl = op.ttl if op.ttl is not None else (before.ttl if before.contents else staged.head.default_ttl)
    elif isinstance(op, Delete):
        if op.content not in after.contents:
            return Outcome("No such record")
        del after.contents[op.content]
    else:
        kept = [content for content in before.contents if op.keep(content)] if op.keep is not None else []
        after.contents = dict.fromkeys([*kept, *op.contents])
        if op.ttl is not None:
            after.ttl = op.ttl
        elif not before.contents:
            after.ttl = op.ttl_new if op.ttl_new is not None else staged.head.default_ttl
    staged.put(key, after)
    error = _rule_violation(staged, op.name, op.type, actor)
    if error:
        staged.put(key, before)
        return Outcome(error)
    return Outcome()


def _rule_violation(staged: _Staged, name: str, rdtype: str, actor: Actor) -> str | None:
    """The DNS rule the staged state of this name breaks, if any."""
    state = staged.get((name, rdtype))
    types = staged.types_at(name)
    if (name, rdtype) == records.APEX_NS and not actor.is_staff:
        return "the apex NS records belong to the provider and cannot be changed"
    if name == "@" and rdtype in {"CNAME", "DS"} and state.contents:
        return f"a {rdtype} record cannot be at the zone apex"
    if state.contents and state.ttl > settings.DNSSEC_MAX_TTL and _signed(staged.zone_id):
        return f"a signed zone's TTLs may be at most {settings.DNSSEC_MAX_TTL} seconds (the signer's max-zone-ttl)"
    if "CNAME" in types and len(types) > 1:
        return "a CNAME cannot share its name with other data"
    if "ANAME" in types and types & {"A", "AAAA"}:
        return "an ANAME cannot share its name with A or AAAA records"
    if rdtype in {"CNAME", "ANAME", "DNAME"} and len(state.contents) > 1:  # DNAME: RFC 6672 §2.4
        return f"a name can have only one {rdtype} record"
    if len(state.contents) > max(settings.ZONE_MAX_RRSET_RECORDS, len(state.original)):
        # Compared with the stored size too: after the limit is lowered, an oversized RRset may still shrink.
        return f"an RRset may hold at most {settings.ZONE_MAX_RRSET_RECORDS} records"
    return None


def _signed(zone_id: int) -> bool:
    # Asked only for a TTL above the limit, so ordinary change sets pay no query for it.
    return ZoneDnssec.objects.filter(zone_id=zone_id).exclude(state=ZoneDnssec.State.UNSIGNED).exists()


def _with_ancestors(names: set[str], origin: dns.name.Name) -> set[str]:
    """The names and every name above them up to the apex: read with them, a DNAME there is seen (RFC 6672 §2.3)."""
    found = set(names)
    for name in names:
        parent = records.owner_absolute(name, origin)
        while parent != origin:
            parent = parent.parent()
            found.add(records.owner_relative(parent, origin))
    return found


def _check_dnames(staged: _Staged, parsed: Sequence[Operation | str], outcomes: list[Outcome]) -> None:
    """Nothing may exist below a DNAME (RFC 6672 §2.3): Knot refuses such an UPDATE outright, so the zone would never
    reach it again. Checked on the state the change set leaves, so that one request may swap a subtree for a DNAME.

    The names below a DNAME that the change set adds are in `staged` (their ancestors were read with them); the names
    below a DNAME not in the database yet are read here, in one query per such DNAME (none for change sets without)."""
    owners = {name for (name, rdtype), state in staged.sets.items() if rdtype == "DNAME" and state.contents}
    if not owners:
        return
    occupied = {name for name in staged.by_name if staged.types_at(name)}
    for owner in owners:
        if not staged.sets[(owner, "DNAME")].original:
            occupied |= _names_below(staged, owner) - {name for name in staged.by_name if not staged.types_at(name)}
    below = {name: owner for name in occupied for owner in owners if _is_below(name, owner, staged.origin)}
    for index, op in enumerate(parsed):
        if isinstance(op, str) or not outcomes[index].ok or isinstance(op, Delete):
            continue
        if op.name in below and (isinstance(op, Add) or op.contents):
            outcomes[index] = Outcome(f"{op.name} is below the DNAME at {below[op.name]}: nothing may be below one")
        elif op.type == "DNAME" and op.name in owners:
            under = sorted(name for name, owner in below.items() if owner == op.name)
            if under:
                outcomes[index] = Outcome(f"a DNAME cannot have names below it, and {under[0]} is")


def _names_below(staged: _Staged, owner: str) -> set[str]:
    rrsets = RRset.objects.filter(zone_id=staged.zone_id)
    rrsets = rrsets.exclude(name="@") if owner == "@" else rrsets.filter(name__endswith=f".{owner}")
    return set(rrsets.values_list("name", flat=True).distinct())


def _is_below(name: str, owner: str, origin: dns.name.Name) -> bool:
    absolute = records.owner_absolute(name, origin)
    return absolute != records.owner_absolute(owner, origin) and absolute.is_subdomain(
        records.owner_absolute(owner, origin)
    )


def _check_zone_size(staged: _Staged, outcomes: list[Outcome]) -> None:
    """Refuse a change set that grows the zone beyond the limit (one that shrinks it is always allowed)."""
    limit = settings.ZONE_MAX_RECORDS
    delta = staged.change_set_delta
    if delta > 0 and staged.record_count + delta > limit:
        for index, outcome in enumerate(outcomes):
            if outcome.ok:
                outcomes[index] = Outcome(f"the zone may hold at most {limit} records")


def _write(locked: store.LockedZone, staged: _Staged, applied: list[_Job], now: datetime.datetime) -> None:
    """Write the difference between the database and the staged state, move the zone row past the change sets, and
    journal each as a version (and serial) of its own: zones/store.py says in how few statements."""
    difference = store.Difference(record_count=staged.record_count, updated=now)
    for key, state in staged.sets.items():
        if state.changed:
            _difference_add(difference, key, state)
    head = staged.head
    version, serial = head.version, head.serial
    for job in applied:
        version, serial = version + 1, journal.serial_next(serial)
        before, after = job.entries or ([], [])
        job.change = journal.change_of(
            zone_id=staged.zone_id, zone_name=head.name, version=version, serial=serial, actor=job.actor
        )
        job.change.before, job.change.after, job.change.created = before, after, now
    difference.version, difference.serial = version, serial
    changes = [job.change for job in applied if job.change is not None]
    journal.changes_inserted(changes, locked.write(difference, journal.changes_insert(changes)))


def _difference_add(difference: store.Difference, key: RRsetKey, state: _RRsetState) -> None:
    difference.gone_records += state.gone_ids
    if state.rrset_id is not None and not state.contents:
        difference.gone_rrsets.append(state.rrset_id)  # its records are among gone_records
    elif state.rrset_id is not None and state.ttl != state.original_ttl:
        difference.retimed.append((state.rrset_id, state.ttl))
    elif state.rrset_id is None and state.contents:
        difference.new_rrsets.append((key[0], key[1], state.ttl))
    difference.new_records += [
        (state.rrset_id, key[0], key[1], content) for content in state.contents if content not in state.original
    ]


def push_enqueue(*, zone_id: int) -> None:
    """Ask a worker to push the zone. A broker outage must not fail the committed request: the sweeper catches up."""
    try:
        tasks.push_zone_enqueue(zone_id)
    except Exception:  # the broker is down or unreachable; the change is safe in the database
        log.warning("could not enqueue the push of zone %s; the sweeper will deliver it", zone_id, exc_info=True)


def zone_deprovision_enqueue(*, zone_name: str) -> None:
    """Ask a worker to delete the zone from the nameservers that create zones (BIND, Knot). Like push_enqueue."""
    try:
        tasks.zone_deprovision.delay(zone_name)
    except Exception:  # the broker is down; the zone stays on the servers until deleted there by hand
        log.warning("could not enqueue the removal of %s from the nameservers", zone_name, exc_info=True)


# --- zones and accounts ------------------------------------------------------------------------------------------


def zone_create(
    *, name: str, account: Account, actor: Actor, default_ttl: int | None = None, allow_reserved: bool = False
) -> Zone:
    """Create a zone with the provider's SOA and apex NS set.

    It may not cover or sit inside another account's zone (that would let one customer answer for another's names).
    A zone inside one of the same account's zones is allowed: a customer may split off a sub-zone, as at a registrar.
    Reserved names (public suffixes, the provider's domains, reverse zones outside the account's space: see
    zones.reserved) are refused unless a staff actor passes `allow_reserved` (the command line's --allow-reserved).
    """
    try:
        zone_name = records.zone_name_normalize(name)
        ttl = _ttl_checked(default_ttl if default_ttl is not None else settings.ZONE_DEFAULT_TTL)
    except RecordError as exc:
        raise ZoneError(str(exc)) from None
    if allow_reserved and not actor.is_staff:
        raise ZoneError("only staff may create reserved zone names")
    refusal = None if allow_reserved else zone_name_refusal(zone_name, account)
    if refusal is not None:
        raise ZoneError(refusal)
    with transaction.atomic():
        _lock_zone_names()
        _check_zone_free(zone_name, account)
        zone = Zone.objects.create(
            name=zone_name,
            account=account,
            default_ttl=ttl,
            soa_mname=settings.ZONE_SOA_MNAME,
            soa_rname=settings.ZONE_SOA_RNAME,
            serial=journal.serial_next(0),
        )
        ns = tuple(settings.ZONE_NAMESERVERS)
        result = zone_apply(zone=zone, changes=[Replace(name="@", type="NS", contents=ns)], actor=_as_staff(actor))
        if not result.ok:
            raise ZoneError("; ".join(result.errors))
        security_event_record(
            action=SecurityEvent.Action.ZONE_CREATED,
            actor=actor,
            account=account,
            subject=zone_name,
            detail={"default_ttl": ttl},
        )
    return zone


# An arbitrary constant naming the PostgreSQL advisory lock that serialises zone creation.
_ZONE_NAMES_LOCK = 0x7A6F6E65


def _lock_zone_names() -> None:
    """Serialise zone creations: two accounts creating example.com and a.example.com at once would each pass the
    overlap check. On SQLite the IMMEDIATE transaction already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ZONE_NAMES_LOCK])


def _check_zone_free(zone_name: str, account: Account) -> None:
    if Zone.objects.filter(name=zone_name).exists():
        raise ZoneError(f"the zone {zone_name} exists already")
    labels = zone_name.split(".")
    parents = [".".join(labels[i:]) for i in range(1, len(labels))]
    overlapping = Zone.objects.filter(Q(name__in=parents) | Q(name__endswith="." + zone_name)).exclude(account=account)
    other = overlapping.first()
    if other is not None:
        raise ZoneError(f"{zone_name} overlaps the zone {other.name} of another account")


def _as_staff(actor: Actor) -> Actor:
    return Actor(interface=actor.interface, label=actor.label, user=actor.user, address=actor.address, is_staff=True)


def zone_delete(*, zone: Zone, actor: Actor) -> None:
    """Delete the zone, its RRsets and its nameserver state. Its journal stays (`Change.zone` becomes empty, the
    name stays): the security log's deletion row names the range of journal rows that were this zone's, so its
    history can still be read, and a zone created again under the same name starts with none of it."""
    with transaction.atomic():
        locked = Zone.objects.select_for_update().select_related("account").filter(pk=zone.pk).first()
        if locked is not None:
            _zone_deletion_record(locked, actor)
        Zone.objects.filter(pk=zone.pk).delete()
        # Creation needs no hook of its own: the first push of a zone creates it on servers that lack it.
        transaction.on_commit(lambda: zone_deprovision_enqueue(zone_name=zone.name))
    log.info("zone %s deleted by %s", zone.name, actor.label)


def _zone_deletion_record(zone: Zone, actor: Actor) -> None:
    ids = Change.objects.filter(zone=zone).aggregate(first=Min("id"), last=Max("id"))
    security_event_record(
        action=SecurityEvent.Action.ZONE_DELETED,
        actor=actor,
        account=zone.account,
        subject=zone.name,
        detail={"version": zone.version, "serial": zone.serial, "changes": [ids["first"], ids["last"]]},
    )


MIN_API_PASSWORD_LENGTH = 8


def zone_set_api_password(*, zone: Zone, password: str, actor: Actor) -> None:
    """Set (or with an empty password, turn off) the zone's Primary DNS API v1 password. Stored hashed."""
    if password and len(password) < MIN_API_PASSWORD_LENGTH:
        raise ZoneError(f"the API password must have at least {MIN_API_PASSWORD_LENGTH} characters")
    if any(ord(ch) < 0x20 for ch in password):
        raise ZoneError("the API password may not contain control characters")
    if not password and not zone.api_password:
        return  # off already: nothing changes, so there is nothing to record
    action = _api_password_action(had_one=bool(zone.api_password), setting=bool(password))
    zone.api_password = make_password(password) if password else ""
    with transaction.atomic():
        zone.save(update_fields=["api_password", "updated"])
        security_event_record(action=action, actor=actor, account=zone.account, subject=zone.name)
    log.info("API password of %s %s by %s", zone.name, "set" if password else "removed", actor.label)


def _api_password_action(*, had_one: bool, setting: bool) -> SecurityEvent.Action:
    if not setting:
        return SecurityEvent.Action.API_PASSWORD_REMOVED
    return SecurityEvent.Action.API_PASSWORD_ROTATED if had_one else SecurityEvent.Action.API_PASSWORD_SET


def zone_import(*, zone: Zone, text: str, actor: Actor, dry_run: bool = False) -> ApplyResult:
    """Make the zone's records exactly those of an RFC 1035 master file, as one zone_apply: all or nothing.

    The SOA and the apex NS set stay the provider's; the file's are ignored. Raises ZoneError when the file does not
    parse; a record the service refuses is reported in the result like any other change.
    """
    try:
        origin = records.zone_origin(zone.name)
        wanted = records.master_file_rrsets(text, origin, max_records=settings.ZONE_MAX_RECORDS)
    except RecordError as exc:
        raise ZoneError(str(exc)) from None
    # Read without the zone lock: an RRset another writer adds meanwhile at a name the file does not hold survives,
    # exactly as if that write had come just after the import; zone_apply re-checks every touched name under the lock.
    existing = set(RRset.objects.filter(zone=zone).values_list("name", "type"))
    changes: list[Replace] = [
        Replace(name=name, type=rdtype, contents=tuple(contents), ttl=ttl)
        for (name, rdtype), (ttl, contents) in sorted(wanted.items())
        if (name, rdtype) not in records.PROVIDER_RRSETS
    ]
    gone = existing - wanted.keys() - records.PROVIDER_RRSETS
    changes += [Replace(name=name, type=rdtype, contents=()) for name, rdtype in sorted(gone)]
    result = zone_apply(zone=zone, changes=changes, actor=actor, dry_run=dry_run)
    # A file has no command lines to echo: name the RRset in each reason instead.
    result.outcomes = [
        outcome if outcome.ok else Outcome(f"{change.name} {change.type}: {outcome.error}")
        for change, outcome in zip(changes, result.outcomes, strict=True)
    ]
    return result


def zone_restore(*, zone: Zone, version: int, actor: Actor) -> ApplyResult:
    """Make the zone's records what they were at `version`, as one zone_apply (so the restore is itself journaled,
    audited and pushed like any change).

    The state at a version comes from the journal: every RRset a later change touched goes back to its `before` in the
    earliest such change. The SOA stays the zone's; the apex NS set belongs to the provider and is restored only by
    staff. Raises ZoneError for a version the zone never had or has now, and for one whose journal was pruned.
    """
    with transaction.atomic():
        # Locked while the journal is read, so that no change can land between reading it and applying the inverse.
        locked = Zone.objects.select_for_update().get(pk=zone.pk)
        if not 0 <= version < locked.version:
            raise ZoneError(f"version {version} is not an earlier version of {locked.name} (now {locked.version})")
        past = journal.rrsets_at(zone=locked, version=version)
        if past is None:
            raise ZoneError(retention.restore_refusal(zone=locked, version=version))
        changes = [
            _replace_with(key, rrset) for key, rrset in sorted(past.items()) if actor.is_staff or key != records.APEX_NS
        ]
        return zone_apply(zone=zone, changes=changes, actor=actor)


def _replace_with(key: RRsetKey, rrset: RRsetEntry | None) -> Replace:
    """The change that makes the RRset `key` what the journal entry says (None: absent)."""
    if rrset is None:
        return Replace(name=key[0], type=key[1], contents=())
    return Replace(name=key[0], type=key[1], contents=tuple(rrset["records"]), ttl=rrset["ttl"])
