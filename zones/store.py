"""The statements zone_apply runs inside its transaction, written out as SQL.

Every write to a zone runs these, so their cost is the floor under every interface: the ORM spent more time
compiling them than the database spent running them (a third of a legacy REPLACE outside the database). Their text
is fixed, so the drivers reuse the prepared statement. PostgreSQL is given arrays (one text whatever the count);
SQLite, which takes no arrays, gets chunked lists of parameters, well below its bound-parameter limit.

Only zone_apply's path is here; everything else reads and writes through the ORM.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection

# Bound parameters per SQLite statement: below the 999 of old builds.
SQLITE_PARAMETERS = 900

T = TypeVar("T")


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


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def zone_lock(zone_id: int) -> ZoneHead | None:
    """Lock the zone's row for this transaction and read it; None when the zone does not exist.

    FOR NO KEY UPDATE on PostgreSQL: it excludes every other writer of the zone (they lock the row too) but not the
    rows that merely refer to the zone (a ZoneSync the push confirms). On SQLite the transaction is IMMEDIATE: it holds
    the database's write lock already. Whether any nameserver is enabled comes in the same row, so that a change with
    nowhere to go costs no query and no task after commit.
    """
    sql = (
        "SELECT name, version, serial, record_count, default_ttl, api_password,"
        " EXISTS (SELECT 1 FROM zones_nameserver WHERE enabled)"
        " FROM zones_zone WHERE id = %s"
    )
    if _postgres():
        sql += " FOR NO KEY UPDATE OF zones_zone"
    with connection.cursor() as cursor:
        cursor.execute(sql, [zone_id])
        row = cursor.fetchone()
    if row is None:
        return None
    name, version, serial, record_count, default_ttl, api_password, pushed = row
    return ZoneHead(name, version, serial, record_count, default_ttl, api_password, bool(pushed))


RRsetRow = tuple[int, str, str, int, int | None, str | None]  # rrset id, name, type, ttl, record id, content


def rrsets_read(zone_id: int, names: Sequence[str]) -> Iterator[RRsetRow]:
    """Every RRset at `names` in the zone (all types), once per record (once with no record if it has none)."""
    head = (
        "SELECT s.id, s.name, s.type, s.ttl, r.id, r.content FROM zones_rrset s"
        " LEFT JOIN zones_record r ON r.rrset_id = s.id WHERE s.zone_id = %s AND s.name"
    )
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(head + " = ANY(%s)", [zone_id, list(names)])
            yield from cursor.fetchall()
            return
        for chunk in _chunks(names, SQLITE_PARAMETERS - 1):
            cursor.execute(f"{head} IN ({_marks(len(chunk))})", [zone_id, *chunk])
            yield from cursor.fetchall()


def rows_delete(table: str, ids: Sequence[int]) -> None:
    """Delete rows of zones_record or zones_rrset by id (a record's RRset goes after its records)."""
    if not ids:
        return
    if table not in {"zones_record", "zones_rrset"}:
        raise ValueError(table)
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [list(ids)])  # noqa: S608 (a fixed table)
            return
        for chunk in _chunks(ids, SQLITE_PARAMETERS):
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({_marks(len(chunk))})", chunk)  # noqa: S608


def rrsets_retime(ttls: Sequence[tuple[int, int]]) -> None:
    """Set the TTL of RRsets: (rrset id, ttl) pairs."""
    if not ttls:
        return
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                "UPDATE zones_rrset AS s SET ttl = v.ttl FROM unnest(%s::bigint[], %s::integer[]) AS v(id, ttl)"
                " WHERE s.id = v.id",
                [[rrset_id for rrset_id, _ in ttls], [ttl for _, ttl in ttls]],
            )
            return
        cursor.executemany("UPDATE zones_rrset SET ttl = %s WHERE id = %s", [(ttl, rrset_id) for rrset_id, ttl in ttls])


def rrsets_insert(zone_id: int, rrsets: Sequence[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Insert RRsets (name, type, ttl) of the zone; their ids by (name, type)."""
    ids: dict[tuple[str, str], int] = {}
    if not rrsets:
        return ids
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                "INSERT INTO zones_rrset (zone_id, name, type, ttl)"
                " SELECT %s, * FROM unnest(%s::varchar[], %s::varchar[], %s::integer[])"
                " RETURNING id, name, type",
                [zone_id, *(list(column) for column in zip(*rrsets, strict=True))],
            )
            ids.update(((name, rdtype), rrset_id) for rrset_id, name, rdtype in cursor.fetchall())
            return ids
        for chunk in _chunks(rrsets, SQLITE_PARAMETERS // 4):
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO zones_rrset (zone_id, name, type, ttl) VALUES {values} RETURNING id, name, type",  # noqa: S608
                [value for rrset in chunk for value in (zone_id, *rrset)],
            )
            ids.update(((name, rdtype), rrset_id) for rrset_id, name, rdtype in cursor.fetchall())
    return ids


def records_insert(rows: Sequence[tuple[int, str]]) -> None:
    """Insert records: (rrset id, content) pairs."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(
                "INSERT INTO zones_record (rrset_id, content) SELECT * FROM unnest(%s::bigint[], %s::varchar[])",
                [[rrset_id for rrset_id, _ in rows], [content for _, content in rows]],
            )
            return
        for chunk in _chunks(rows, SQLITE_PARAMETERS // 2):
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO zones_record (rrset_id, content) VALUES {values}",  # noqa: S608
                [value for row in chunk for value in row],
            )


def zone_advance(zone_id: int, *, version: int, serial: int, record_count: int, updated: Any) -> None:
    """Move the locked zone row to its new version, serial and record count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE zones_zone SET version = %s, serial = %s, record_count = %s, updated = %s WHERE id = %s",
            [version, serial, record_count, connection.ops.adapt_datetimefield_value(updated), zone_id],
        )


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
