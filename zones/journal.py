"""The journal: what a `Change` row holds, its one writer and the one parser every reader uses, and SOA serials.

`Change.before` and `Change.after` are JSON lists of RRset entries: the RRsets a change set touched as they were and
as they became (an RRset absent on one side did not exist there). zone_apply builds them with `rrset_entry` and
writes the row with `change_write`; pushes, restores, the REST API's counts and the audit page read them through
`entries_parse`, which refuses anything not in this form rather than guess at it.

The push pipeline uses this module, not zones.services: zones.services enqueues pushes through zones.tasks, which
runs zones.push, so an import of zones.services from there would be a cycle.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any, TypedDict

from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from zones.models import Change, Zone

# RFC 1982 serial number arithmetic with SERIAL_BITS = 32.
SERIAL_MODULUS = 2**32
SERIAL_HALF = 2**31

RRsetKey = tuple[str, str]  # (owner relative to the apex, '@' for the apex; type)


class RRsetEntry(TypedDict):
    """One RRset as the journal stores it: owner name relative to the apex ('@'), type, TTL, records (sorted)."""

    name: str
    type: str
    ttl: int
    records: list[str]


class JournalError(ValueError):
    """A Change row holds RRsets that are not in the journal's form (written by hand or by a bug)."""


def rrset_entry(key: RRsetKey, *, ttl: int, records: Iterable[str]) -> RRsetEntry:
    """The journal entry of one RRset; records sorted, so that equal RRsets are stored alike."""
    return {"name": key[0], "type": key[1], "ttl": ttl, "records": sorted(records)}


def entries_parse(value: object) -> list[RRsetEntry]:
    """`Change.before` or `Change.after` as typed entries; JournalError if it is not a list of RRset entries."""
    if not isinstance(value, list):
        raise JournalError(f"a journal side is a list of RRsets, not {type(value).__name__}")
    return [_entry_parse(item) for item in value]


def _entry_parse(item: object) -> RRsetEntry:
    if isinstance(item, dict):
        name, rdtype, ttl, records = item.get("name"), item.get("type"), item.get("ttl"), item.get("records")
        if (
            isinstance(name, str)
            and isinstance(rdtype, str)
            and isinstance(ttl, int)
            and not isinstance(ttl, bool)
            and isinstance(records, list)
            and all(isinstance(record, str) for record in records)
        ):
            return {"name": name, "type": rdtype, "ttl": ttl, "records": records}
    raise JournalError(f"not a journal RRset: {item!r}")


def entries_by_key(entries: Iterable[RRsetEntry]) -> dict[RRsetKey, RRsetEntry]:
    return {(entry["name"], entry["type"]): entry for entry in entries}


# --- writing the journal ------------------------------------------------------------------------------------------


def change_write(
    *, zone: Zone, actor: Actor, before: list[RRsetEntry] | None = None, after: list[RRsetEntry] | None = None
) -> Change:
    """Journal the zone's version and serial as they are now: the caller has bumped them under the zone's row lock,
    in the same transaction."""
    change = change_of(
        zone_id=zone.pk, zone_name=zone.name, version=zone.version, serial=zone.serial, actor=actor, before=before
    )
    change.after = after or []
    changes_write([change])
    return change


def change_of(
    *, zone_id: int, zone_name: str, version: int, serial: int, actor: Actor, before: list[RRsetEntry] | None = None
) -> Change:
    """An unsaved journal row of one change set, attributed to `actor`."""
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    return Change(
        zone_id=zone_id,
        zone_name=zone_name,
        version=version,
        serial=serial,
        before=before or [],
        actor=actor.label[:200],
        user=user,  # type: ignore[misc]  # an authenticated user is the project's user model
        interface=actor.interface.value,
        client_address=actor.address,
        created=timezone.now(),
    )


_CHANGE_COLUMNS = (
    "zone_id, zone_name, version, serial, before, after, actor, user_id, interface, client_address, created"
)
# PostgreSQL takes the JSON and the address as text and casts them; SQLite stores text as it is.
_CHANGE_ROW_POSTGRESQL = "(%s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s::inet, %s)"
_CHANGE_ROW_SQLITE = "(" + ", ".join(["%s"] * 11) + ")"


def changes_write(changes: list[Change]) -> None:
    """Insert journal rows in one statement and give each its id."""
    sql, params = changes_insert(changes)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changes_inserted(changes, cursor.fetchall())


def changes_insert(changes: list[Change]) -> tuple[str, list[Any]]:
    """The statement that inserts journal rows, returning (id, zone_id, version) of each: for changes_write, or to end
    a statement of zone_apply's that writes a zone's records and its journal at once. Written out rather than
    bulk_create: every write to a zone ends here, and the ORM's compilation of the insert cost more than the insert."""
    row = _CHANGE_ROW_POSTGRESQL if connection.vendor == "postgresql" else _CHANGE_ROW_SQLITE
    params: list[Any] = []
    for change in changes:
        params += [
            change.zone_id,
            change.zone_name,
            change.version,
            change.serial,
            json.dumps(change.before),
            json.dumps(change.after),
            change.actor,
            change.user_id,
            change.interface,
            change.client_address,
            connection.ops.adapt_datetimefield_value(change.created),
        ]
    values = ", ".join([row] * len(changes))
    return f"INSERT INTO zones_change ({_CHANGE_COLUMNS}) VALUES {values} RETURNING id, zone_id, version", params  # noqa: S608


def changes_inserted(changes: list[Change], rows: Iterable[tuple[Any, ...]]) -> None:
    """Give the journal rows the ids their insert returned."""
    ids = {(zone_id, version): row_id for row_id, zone_id, version in rows}
    for change in changes:
        change.pk = ids[(change.zone_id, change.version)]
        change._state.adding = False


def zone_fields_copy(*, source: Zone, target: Zone) -> None:
    """Give the caller's Zone object the fields a journaled change moved on the locked copy."""
    for name in ("version", "serial", "record_count", "updated"):
        setattr(target, name, getattr(source, name))


def zone_serial_raise(*, zone: Zone, above: int, actor: Actor) -> None:
    """Move the zone's SOA serial past `above` as a change set of its own (journaled, no records touched).

    The push pipeline calls it when a nameserver's serial is ahead of ours (the zone was changed on the server behind
    our back): a server ignores an SOA whose serial is not greater than its own, so the repair needs a higher one.
    The caller delivers the new version; nothing is enqueued here.
    """
    with transaction.atomic():
        locked = Zone.objects.select_for_update().get(pk=zone.pk)
        if serial_greater(locked.serial, above):
            return
        locked.version += 1
        locked.serial = serial_next(above)
        locked.save(update_fields=["version", "serial", "updated"])
        change_write(zone=locked, actor=actor)
    zone_fields_copy(source=locked, target=zone)


# --- reading the journal of a zone ---------------------------------------------------------------------------------


def rrsets_changed(*, zone: Zone, since: int, until: int) -> tuple[dict[RRsetKey, RRsetEntry | None], int] | None:
    """Every RRset changed after version `since` up to `until`, as it is at `until` (None: gone), and the serial at
    `until`. None when the journal does not hold every version in between (nothing to read, or a gap)."""
    rows = list(
        Change.objects.filter(zone=zone, version__gt=since, version__lte=until)
        .order_by("version")
        .values_list("serial", "before", "after")
    )
    if len(rows) != until - since or not rows:
        return None
    final: dict[RRsetKey, RRsetEntry | None] = {}
    for _, before, after in rows:  # oldest first, so the latest change has the last word
        final.update(dict.fromkeys(entries_by_key(entries_parse(before))))
        final.update(entries_by_key(entries_parse(after)))
    return final, rows[-1][0]


def rrsets_at(*, zone: Zone, version: int) -> dict[RRsetKey, RRsetEntry | None] | None:
    """Every RRset changed after `version`, as it was at `version` (None: absent then). None when the journal no
    longer holds every change after `version` (pruned: zones/retention.py): the state then cannot be known."""
    past: dict[RRsetKey, RRsetEntry | None] = {}
    later = list(
        Change.objects.filter(zone=zone, version__gt=version).order_by("-version").values_list("before", "after")
    )
    if len(later) != zone.version - version:
        return None
    for before, after in later:  # newest first, so the earliest change after `version` has the last word
        was = entries_by_key(entries_parse(before))
        for key in was.keys() | entries_by_key(entries_parse(after)).keys():
            past[key] = was.get(key)
    return past


# --- SOA serials ---------------------------------------------------------------------------------------------------


def serial_next(serial: int, today: datetime.date | None = None) -> int:
    """The next SOA serial: the date form YYYYMMDDnn while it fits, else plus one (RFC 1982 arithmetic wraps)."""
    day = (today or timezone.now().date()).strftime("%Y%m%d")
    dated = int(day) * 100
    candidate = serial + 1
    if candidate < dated and dated - serial < SERIAL_HALF:
        candidate = dated
    return candidate % SERIAL_MODULUS or 1


def serial_add(serial: int, n: int) -> int:
    """RFC 1982 §3.1 addition: `serial` plus `n` (0 <= n < 2**31), wrapping at 2**32."""
    return (serial + n) % SERIAL_MODULUS


def serial_greater(a: int, b: int) -> bool:
    """RFC 1982 serial number arithmetic: is `a` after `b`?"""
    return a != b and ((a - b) % SERIAL_MODULUS) < SERIAL_HALF


def serial_at_least(a: int, b: int) -> bool:
    """RFC 1982: is `a` equal to `b` or after it?"""
    return a == b or serial_greater(a, b)
