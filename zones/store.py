"""The statements zone_apply runs inside its transaction, written out as SQL, and the transaction itself.

Every write to a zone runs these, and every writer of a zone waits for the zone's row lock while another runs them,
so their number and cost bound both a request's time and how many writes one zone takes a second. The ORM spent more
time compiling them than the database spent running them, and sent one statement per kind of write. Here:

- PostgreSQL: the zone's row is locked and read with the touched RRsets in one round trip, then one statement writes
  the difference, moves the zone row and inserts the journal (data-modifying WITH clauses). Arrays carry any number of
  rows in one fixed text. The statements are prepared once per connection (accounts.sql), so the server neither
  parses nor plans them again. A transaction of its own (zone_apply not called inside the caller's) is two round
  trips in all: BEGIN with the lock and the read, the write with COMMIT.
- SQLite: the same statements one by one (it runs in the process: no round trips to save), lists of parameters in
  chunks below its bound-parameter limit.

Only zone_apply's path is here; everything else reads and writes through the ORM.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, transaction

from accounts import sql

# Bound parameters per SQLite statement: below the 999 of old builds.
SQLITE_PARAMETERS = 900

T = TypeVar("T")
Statement = tuple[str, list[Any]]
Clause = tuple[str, str, list[Any]]  # a named part of a WITH: name, statement, parameters


@dataclass(frozen=True)
class ZoneHead:
    """The zone row as its lock read it: what a change set is validated against and moves forward."""

    name: str
    version: int
    serial: int
    record_count: int
    default_ttl: int
    api_password: str
    pushed: bool  # some nameserver is enabled: a committed change has somewhere to go
    account_id: int  # whose zone it is: a caller that did not read the zone first checks it here (precondition)


RRsetRow = tuple[int, str, str, int, int | None, str | None]  # rrset id, name, type, ttl, record id, content


@dataclass
class Difference:
    """What a group of change sets writes: rows of zones_record and zones_rrset, and the zone row's new state."""

    gone_records: list[int] = field(default_factory=list)
    gone_rrsets: list[int] = field(default_factory=list)
    retimed: list[tuple[int, int]] = field(default_factory=list)  # rrset id, ttl
    new_rrsets: list[tuple[str, str, int]] = field(default_factory=list)  # name, type, ttl
    # rrset id (None: one of new_rrsets, found by name and type), name, type, content
    new_records: list[tuple[int | None, str, str, str]] = field(default_factory=list)
    version: int = 0
    serial: int = 0
    record_count: int = 0
    updated: datetime.datetime | None = None


def _postgres() -> bool:
    return connection.vendor == "postgresql"


_HEAD = (
    "SELECT name, version, serial, record_count, default_ttl, api_password,"
    " EXISTS (SELECT 1 FROM zones_nameserver WHERE enabled), account_id FROM zones_zone WHERE id = %s"
)
_RRSETS = (
    "SELECT s.id, s.name, s.type, s.ttl, r.id, r.content FROM zones_rrset s"
    " LEFT JOIN zones_record r ON r.rrset_id = s.id WHERE s.zone_id = %s AND s.name"
)


_HEAD_LOCKED = f"{_HEAD} FOR NO KEY UPDATE OF zones_zone"
_RRSETS_AT = f"{_RRSETS} = ANY(%s::varchar[])"


class LockedZone:
    """A zone's row locked for one transaction (zone_locked): the row as the lock read it (None: no such zone), the
    RRsets read with it, the rows of the reads sent before the lock, the transaction's one write, and what is to run
    once it has committed."""

    def __init__(self, zone_id: int, head: ZoneHead | None, rows: list[RRsetRow], before: list[sql.Rows]) -> None:
        self.zone_id = zone_id
        self.head = head
        self.rows = rows
        self.before = before

    def write(self, difference: Difference, journal: Statement) -> list[tuple[Any, ...]]:
        """Write the difference, move the zone row, and run the `journal` insert; return the rows it returned.
        Nothing else is run in the transaction after it."""
        return zone_write(self.zone_id, difference, journal)

    def on_commit(self, action: Callable[[], None]) -> None:
        transaction.on_commit(action)


def zone_locked(
    zone_id: int, names: Sequence[str], before: Sequence[sql.Statement] = ()
) -> contextlib.AbstractContextManager[LockedZone]:
    """A transaction that locks the zone's row and reads it and every RRset at `names` (all types) once per record
    (once with no record if it has none): the one transaction of a zone_apply. The `before` statements run first, in
    the same round trip where the database allows (the reads of zone_apply's gates).

    FOR NO KEY UPDATE on PostgreSQL: it excludes every other writer of the zone (they lock the row too) but not the
    rows that merely refer to the zone (a ZoneSync the push confirms). On SQLite the transaction is IMMEDIATE: it holds
    the database's write lock already. Whether any nameserver is enabled comes in the same row, so that a change with
    nowhere to go costs no query and no task after commit.

    A transaction of its own on PostgreSQL is two round trips (_OwnTransaction); inside the caller's transaction, or
    on SQLite, it is Django's atomic block.
    """
    if _postgres() and connection.get_autocommit() and not connection.in_atomic_block:
        return _OwnTransaction(zone_id, names, before)
    return _atomic_locked(zone_id, names, before)


@contextlib.contextmanager
def _atomic_locked(zone_id: int, names: Sequence[str], before: Sequence[sql.Statement]) -> Iterator[LockedZone]:
    with transaction.atomic():
        yield LockedZone(zone_id, *zone_lock(zone_id, names, before))


def zone_lock(
    zone_id: int, names: Sequence[str], before: Sequence[sql.Statement] = ()
) -> tuple[ZoneHead | None, list[RRsetRow], list[sql.Rows]]:
    """Inside a transaction: zone_locked's lock and read, in one round trip on PostgreSQL with the `before` statements
    (each statement of one query string takes its snapshot after the one before: the RRsets are read after the lock
    is held, so every write committed before is seen)."""
    if _postgres():
        *earlier, heads, rows = sql.batch([*before, (_HEAD_LOCKED, [zone_id]), (_RRSETS_AT, [zone_id, list(names)])])
        return _head(heads[0] if heads else None), rows if heads else [], earlier
    with connection.cursor() as cursor:
        earlier = []
        for statement in before:
            cursor.execute(*statement)
            earlier.append(list(cursor.fetchall()))
        cursor.execute(_HEAD, [zone_id])
        head = cursor.fetchone()
        rows = []
        for chunk in _chunks(names, SQLITE_PARAMETERS - 1):
            cursor.execute(f"{_RRSETS} IN ({_marks(len(chunk))})", [zone_id, *chunk])
            rows += cursor.fetchall()
    return _head(head), rows if head is not None else [], earlier


def _head(row: tuple[Any, ...] | None) -> ZoneHead | None:
    if row is None:
        return None
    name, version, serial, record_count, default_ttl, api_password, pushed, account_id = row
    return ZoneHead(name, version, serial, record_count, default_ttl, api_password, bool(pushed), account_id)


class _OwnTransaction(LockedZone):
    """zone_locked's transaction on PostgreSQL when it is a transaction of its own: two round trips in all.

    BEGIN, the lock and the read are sent together (accounts.sql.batch: one query string, the statements prepared),
    and so are the write's statements and COMMIT. Django's atomic block cannot do this: psycopg sends its BEGIN alone
    and waits for it, and Django's COMMIT is a round trip of its own. So Django's connection stays in autocommit mode
    and this sends BEGIN and COMMIT (or ROLLBACK) itself; ORM queries made meanwhile (zone_apply's rare checks) run
    inside the transaction all the same. A transaction that wrote nothing is rolled back (it only held the lock); on any
    error or interruption it is rolled back. What on_commit was given runs after COMMIT, in order. Nothing run inside
    may open an atomic block of Django's (psycopg refuses to leave autocommit mode inside a transaction).
    """

    def __init__(self, zone_id: int, names: Sequence[str], before: Sequence[sql.Statement]) -> None:
        super().__init__(zone_id, None, [], [])
        self._names = list(names)
        self._before = list(before)
        self._after_commit: list[Callable[[], None]] = []
        self._written = False

    def __enter__(self) -> LockedZone:
        try:
            _, *earlier, head, rows = sql.batch(
                [
                    ("BEGIN", []),
                    *self._before,
                    (_HEAD_LOCKED, [self.zone_id]),
                    (_RRSETS_AT, [self.zone_id, self._names]),
                ]
            )
        except BaseException:
            sql.rollback()
            raise
        self.head = _head(head[0] if head else None)
        self.rows = rows if self.head is not None else []
        self.before = earlier
        return self

    def write(self, difference: Difference, journal: Statement) -> list[tuple[Any, ...]]:
        if self._written:
            raise RuntimeError("a zone_locked transaction writes once")
        self._written = True
        results = sql.batch([*_postgres_statements(self.zone_id, difference, journal), ("COMMIT", [])])
        return results[-2]

    def on_commit(self, action: Callable[[], None]) -> None:
        self._after_commit.append(action)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if kind is not None or not self._written:
            sql.rollback()
        if kind is None:
            for action in self._after_commit:
                action()


def zone_write(zone_id: int, difference: Difference, journal: Statement) -> list[tuple[Any, ...]]:
    """Write the difference, move the zone row, and run the `journal` insert; return the rows it returned.

    Deletions come first, so that no constraint sees old and new rows side by side: on SQLite by order; on
    PostgreSQL, where the parts of one statement run in no set order, by a statement of their own whenever RRsets
    go and others come (a CNAME that replaces an A RRset must not meet it in the exclusion constraint).
    """
    if _postgres():
        return _postgres_write(zone_id, difference, journal)
    with connection.cursor() as cursor:
        for table, ids in (("zones_record", difference.gone_records), ("zones_rrset", difference.gone_rrsets)):
            for some in _chunks(ids, SQLITE_PARAMETERS):
                cursor.execute(f"DELETE FROM {table} WHERE id IN ({_marks(len(some))})", some)  # noqa: S608
        if difference.retimed:
            cursor.executemany("UPDATE zones_rrset SET ttl = %s WHERE id = %s", [(t, i) for i, t in difference.retimed])
        created = _sqlite_rrsets_insert(cursor, zone_id, difference.new_rrsets)
        records = [
            (zone_id, rrset_id or created[(name, rdtype)], content)
            for rrset_id, name, rdtype, content in difference.new_records
        ]
        for chunk in _chunks(records, SQLITE_PARAMETERS // 3):
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO zones_record (zone_id, rrset_id, content) VALUES {values}",  # noqa: S608
                [value for row in chunk for value in row],
            )
        cursor.execute(*_zone_advance(zone_id, difference))
        cursor.execute(*journal)
        return list(cursor.fetchall())


def _sqlite_rrsets_insert(cursor: Any, zone_id: int, rrsets: list[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    ids: dict[tuple[str, str], int] = {}
    for chunk in _chunks(rrsets, SQLITE_PARAMETERS // 4):
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        cursor.execute(
            f"INSERT INTO zones_rrset (zone_id, name, type, ttl) VALUES {values} RETURNING id, name, type",  # noqa: S608
            [value for rrset in chunk for value in (zone_id, *rrset)],
        )
        ids.update(((name, rdtype), rrset_id) for rrset_id, name, rdtype in cursor.fetchall())
    return ids


def _zone_advance(zone_id: int, difference: Difference) -> Statement:
    return (
        "UPDATE zones_zone SET version = %s, serial = %s, record_count = %s, updated = %s WHERE id = %s",
        [
            difference.version,
            difference.serial,
            difference.record_count,
            connection.ops.adapt_datetimefield_value(difference.updated),
            zone_id,
        ],
    )


def _postgres_write(zone_id: int, difference: Difference, journal: Statement) -> list[tuple[Any, ...]]:
    return sql.batch(_postgres_statements(zone_id, difference, journal))[-1]


def _postgres_statements(zone_id: int, difference: Difference, journal: Statement) -> list[Statement]:
    """The write's statements: one, or two when RRsets go and others come (the deletions first); the last one ends
    with `journal` and returns its rows."""
    statements: list[Statement] = []
    parts: list[Clause] = []
    deletions = _postgres_deletions(difference)
    if deletions and difference.new_rrsets:
        statements.append(_with(deletions, ("SELECT 1", [])))
    else:
        parts += deletions
    parts += _postgres_insertions(zone_id, difference)
    parts.append(("zone", *_zone_advance(zone_id, difference)))
    return [*statements, _with(parts, journal)]


def _postgres_deletions(difference: Difference) -> list[Clause]:
    parts: list[Clause] = []
    if difference.gone_records:
        parts.append(
            ("gone_records", "DELETE FROM zones_record WHERE id = ANY(%s::bigint[])", [difference.gone_records])
        )
    if difference.gone_rrsets:
        parts.append(("gone_rrsets", "DELETE FROM zones_rrset WHERE id = ANY(%s::bigint[])", [difference.gone_rrsets]))
    return parts


def _postgres_insertions(zone_id: int, difference: Difference) -> list[Clause]:
    parts: list[Clause] = []
    if difference.retimed:
        ids, ttls = zip(*difference.retimed, strict=True)
        parts.append(
            (
                "retimed",
                "UPDATE zones_rrset AS s SET ttl = v.ttl FROM unnest(%s::bigint[], %s::integer[]) AS v(id, ttl)"
                " WHERE s.id = v.id",
                [list(ids), list(ttls)],
            )
        )
    if difference.new_rrsets:
        names, types, ttls = zip(*difference.new_rrsets, strict=True)
        parts.append(
            (
                "new_rrsets",
                "INSERT INTO zones_rrset (zone_id, name, type, ttl)"
                " SELECT %s, * FROM unnest(%s::varchar[], %s::varchar[], %s::integer[]) RETURNING id, name, type",
                [zone_id, list(names), list(types), list(ttls)],
            )
        )
    if difference.new_records:
        rrset_ids, names, types, contents = zip(*difference.new_records, strict=True)
        # A record of a new RRset takes the id that RRset's insert returned.
        source = "unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[]) AS v(rrset_id, name, type, content)"
        join = " LEFT JOIN new_rrsets AS n ON v.rrset_id IS NULL AND n.name = v.name AND n.type = v.type"
        rrset_id = "coalesce(v.rrset_id, n.id)"
        if not difference.new_rrsets:
            join, rrset_id = "", "v.rrset_id"
        parts.append(
            (
                "new_records",
                "INSERT INTO zones_record (zone_id, rrset_id, content)"  # noqa: S608
                f" SELECT %s, {rrset_id}, v.content FROM {source}{join}",
                [zone_id, list(rrset_ids), list(names), list(types), list(contents)],
            )
        )
    return parts


def _with(parts: list[Clause], last: Statement) -> Statement:
    """One statement: each part a data-modifying WITH clause of its name, then `last`."""
    if not parts:
        return last
    clauses = ", ".join(f"{name} AS ({sql})" for name, sql, _ in parts)
    params = [value for _, _, values in parts for value in values]
    return f"WITH {clauses} {last[0]}", params + last[1]


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
