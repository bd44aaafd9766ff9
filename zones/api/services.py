"""The REST API's writes: v2 record lists turned into one zone_apply call, inside the API key's scope.

A POST adds its records with one zone_apply and nothing else: whether one is there already is decided under the
zone's lock. So is a PUT or DELETE whose selection names every RRset it touches (host and type, with or without a
data filter: the common `/records/{host}/{type}`): each RRset a Replace whose `keep` says which of its records stay,
decided under the zone's lock, and the counts taken from the change it journals. The caller may pass a zone it has
not read (`owner`: the account it must belong to, checked under the lock; PreconditionFailed otherwise). Other
selections (a host or type left open, the provider's RRsets) lock the zone first and read what they replace or
remove in the same transaction, so it cannot move before zone_apply writes it. All or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dns.name
from django.db import transaction

from accounts.actors import Actor
from accounts.models import ApiKey
from accounts.selectors import OutOfScope, apikey_allows_record
from zones import journal, records
from zones.api import codec
from zones.api.selection import RequestError, Selection
from zones.api.selectors import rrsets_selected
from zones.models import Change, Zone
from zones.records import RecordError
from zones.selectors import RRsetView
from zones.services import (
    DUPLICATE_RECORD,
    Add,
    ApplyResult,
    Delete,
    Operation,
    PreconditionFailed,
    Replace,
    ZoneError,
    zone_apply,
    zone_import,
)
from zones.store import ZoneHead


@dataclass(frozen=True)
class Wanted:
    host: str
    rdtype: str
    content: str
    ttl: int | None


@dataclass(frozen=True)
class Counts:
    added: int = 0
    removed: int = 0


def records_add(
    *,
    zone: Zone,
    key: ApiKey,
    selection: Selection,
    items: Sequence[Mapping[str, Any]],
    actor: Actor,
    owner: int | None = None,
) -> Counts:
    """Add the records (POST), each inside the selection. A record the zone has already, or one given twice, is a
    400 whose first error starts "Duplicate record" (dns-lexicon looks for it); nothing is added then. One zone_apply
    and nothing else: whether a record is there already is decided under the zone's lock."""
    if any(clause.data is not None for clause in selection.clauses):
        raise RequestError(["data selects records that exist; a POST adds records (filter by host and type)"])
    wanted = _parse_all(zone, selection, items)
    _check_scope(key, wanted)
    operations: list[Operation] = [
        Add(name=item.host, type=item.rdtype, content=item.content, ttl=item.ttl) for item in wanted
    ]
    result = _apply(zone, operations, actor, owner, refuse=False)
    if not result.ok:
        duplicates: list[str] = []
        others: list[str] = []
        seen: set[tuple[str, str, str]] = set()
        for item, outcome in zip(wanted, result.outcomes, strict=True):
            identity = (item.host, item.rdtype, item.content)
            if outcome.error == DUPLICATE_RECORD:
                where = "given twice" if identity in seen else "in the zone already"
                duplicates.append(f"Duplicate record: {item.host} {item.rdtype} {item.content} is {where}")
            elif outcome.error is not None:
                others.append(outcome.error)
            seen.add(identity)
        raise RequestError(duplicates + others)
    return Counts(added=len(operations))


def records_replace(
    *,
    zone: Zone,
    key: ApiKey,
    selection: Selection,
    items: Sequence[Mapping[str, Any]],
    actor: Actor,
    owner: int | None = None,
) -> Counts:
    """Make the records the key can see inside the selection exactly `items` (PUT); records outside it stay.

    RRset by RRset: the selected records go, the body's come, the rest of the RRset stays (a data filter selects some
    records of an RRset). A TTL in the body sets the RRset's TTL. The provider's RRsets are never removed; the apex NS
    set may come back unchanged (a GET sent back as a PUT), and a change to it is refused by zone_apply."""
    origin = records.zone_origin(zone.name)
    wanted = _parse_all(zone, selection, items)
    _check_scope(key, wanted)
    groups = _group(wanted)
    named = _named_rrsets(selection, key)
    if named is not None:
        replacements: list[Operation] = [
            Replace(
                name=host,
                type=rdtype,
                contents=tuple(groups.get((host, rdtype), (None, []))[1]),
                ttl=groups.get((host, rdtype), (None, []))[0],
                keep=_unselected(selection, (host, rdtype), origin),
            )
            for host, rdtype in named
        ]
        # Those without records of the body first: www's TXT must be gone before a CNAME comes.
        replacements.sort(key=lambda op: isinstance(op, Replace) and bool(op.contents))
        return counts_from_change(_apply(zone, replacements, actor, owner).change)
    owned(zone, owner)
    with transaction.atomic():
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        current = rrsets_selected(zone=zone, key=key, selection=selection)
        operations: list[Operation] = []
        added = removed = 0
        for rrset_key in sorted(set(current) | set(groups)):
            old, (ttl, given) = current.get(rrset_key), groups.get(rrset_key, (None, []))
            before = old.contents if old is not None else []
            if rrset_key in records.PROVIDER_RRSETS and (rrset_key not in groups or sorted(given) == sorted(before)):
                continue  # never removed by a PUT; repeated as it is, it is not an attempt to change it
            after = _replacement(selection, rrset_key, old, given, origin)
            if sorted(after) == sorted(before) and (ttl is None or old is None or ttl == old.ttl):
                continue
            operations.append(Replace(name=rrset_key[0], type=rrset_key[1], contents=tuple(after), ttl=ttl))
            added += len(set(after) - set(before))
            removed += len(set(before) - set(after))
        # RRsets that go first: zone_apply checks each change in turn, and www's TXT must be gone before a CNAME comes.
        operations.sort(key=lambda op: isinstance(op, Replace) and bool(op.contents))
        _apply(zone, operations, actor)
    return Counts(added=added, removed=removed)


def records_delete(*, zone: Zone, key: ApiKey, selection: Selection, actor: Actor, owner: int | None = None) -> Counts:
    """Remove the records the key can see inside the selection (DELETE).

    The provider's records (SOA, apex NS) are never removed; they are not counted either. A host and type the key may
    not touch at all is refused (403), as a POST there would be, rather than answered with an empty success."""
    origin = records.zone_origin(zone.name)
    for clause in selection.clauses:
        if clause.host is not None and clause.rdtype is not None:
            _check_scope(key, [Wanted(host=clause.host, rdtype=clause.rdtype, content="", ttl=None)])
    named = _named_rrsets(selection, key)
    if named is not None:
        removals: list[Operation] = [
            Replace(name=host, type=rdtype, contents=(), keep=_unselected(selection, (host, rdtype), origin))
            for host, rdtype in named
        ]
        return Counts(removed=counts_from_change(_apply(zone, removals, actor, owner).change).removed)
    owned(zone, owner)
    with transaction.atomic():
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        current = rrsets_selected(zone=zone, key=key, selection=selection)
        operations: list[Operation] = [
            Delete(name=rrset_key[0], type=rrset_key[1], content=content)
            for rrset_key, view in sorted(current.items())
            if rrset_key not in records.PROVIDER_RRSETS
            for content in view.contents
            if _selected(selection, rrset_key, content, origin)
        ]
        _apply(zone, operations, actor)
    return Counts(removed=len(operations))


def zone_replace_from_master_file(*, zone: Zone, text: str, actor: Actor) -> Counts:
    """PUT of a whole zone as an RFC 1035 master file (Content-Type: text/dns)."""
    try:
        result = zone_import(zone=zone, text=text, actor=actor)
    except ZoneError as exc:
        raise RequestError([str(exc)]) from None
    if not result.ok:
        raise RequestError(result.errors)
    return counts_from_change(result.change)


def counts_from_change(change: Change | None) -> Counts:
    if change is None:
        return Counts()
    before = {(s["name"], s["type"], c) for s in journal.entries_parse(change.before) for c in s["records"]}
    after = {(s["name"], s["type"], c) for s in journal.entries_parse(change.after) for c in s["records"]}
    return Counts(added=len(after - before), removed=len(before - after))


# --- helpers -------------------------------------------------------------------------------------------------------


def _parse_all(zone: Zone, selection: Selection, items: Sequence[Mapping[str, Any]]) -> list[Wanted]:
    origin = records.zone_origin(zone.name)
    wanted: list[Wanted] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        try:
            wanted.append(_parse_one(item, selection, origin))
        except RecordError as exc:
            errors.append(f"records[{index}]: {exc}")
    if errors:
        raise RequestError(errors)
    return wanted


def _parse_one(item: Mapping[str, Any], selection: Selection, origin: dns.name.Name) -> Wanted:
    host_text = item.get("host", selection.host)
    type_text = item.get("type") or selection.rdtype
    if not isinstance(host_text, str):
        raise RecordError("host is required")
    if not isinstance(type_text, str) or not type_text:
        raise RecordError("type is required")
    # An empty host is the apex, as a filter's is (dns-lexicon's name for the zone itself).
    host = records.owner_parse(host_text or "@", apex=origin, origin=origin)
    rdtype = records.type_parse(type_text)
    codec.fields_check(rdtype, item)
    content = records.content_canonical(rdtype, codec.content_from_api(rdtype, item), origin)
    # The body's records replace the selected ones or join them: they must be at a host and type the selection
    # names. A data filter picks which records a PUT replaces, never which it may write.
    if not selection.covers_rrset(host, rdtype):
        raise RecordError(f"{host} {rdtype} is outside the records this request selects")
    ttl = item.get("ttl")
    return Wanted(host=host, rdtype=rdtype, content=content, ttl=records.ttl_parse(ttl) if ttl is not None else None)


def _check_scope(key: ApiKey, wanted: Sequence[Wanted]) -> None:
    for item in wanted:
        if not apikey_allows_record(key, host=item.host, rdtype=item.rdtype):
            raise OutOfScope(f"this API key may not change {item.host} {item.rdtype}")


def _group(wanted: Sequence[Wanted]) -> dict[tuple[str, str], tuple[int | None, list[str]]]:
    """Records by RRset. An RRset has one TTL: given several, the lowest wins (RFC 2181 §5.2 asks for one)."""
    groups: dict[tuple[str, str], tuple[int | None, list[str]]] = {}
    for item in wanted:
        ttl, contents = groups.get((item.host, item.rdtype), (None, []))
        if item.content not in contents:
            contents.append(item.content)
        if item.ttl is not None:
            ttl = item.ttl if ttl is None else min(ttl, item.ttl)
        groups[(item.host, item.rdtype)] = (ttl, contents)
    return groups


def _replacement(
    selection: Selection, rrset_key: tuple[str, str], old: RRsetView | None, given: list[str], origin: dns.name.Name
) -> list[str]:
    """The RRset after a PUT: its records outside the selection, then the body's."""
    kept = [c for c in (old.contents if old else []) if not _selected(selection, rrset_key, c, origin)]
    return list(dict.fromkeys([*kept, *given]))


def _selected(selection: Selection, rrset_key: tuple[str, str], content: str, origin: dns.name.Name) -> bool:
    host, rdtype = rrset_key
    return selection.covers(host, rdtype, codec.data_of(rdtype, content), origin)


def _named_rrsets(selection: Selection, key: ApiKey) -> list[tuple[str, str]] | None:
    """The RRsets a selection touches when every clause names its host and type (those the key may see), sorted; None
    when one leaves either open or names a provider RRset or the SOA type (then the zone is read under the lock)."""
    named: set[tuple[str, str]] = set()
    for clause in selection.clauses:
        if clause.host is None or clause.rdtype is None or clause.rdtype == "SOA":
            return None
        if (clause.host, clause.rdtype) in records.PROVIDER_RRSETS:
            return None
        named.add((clause.host, clause.rdtype))
    return sorted(rrset for rrset in named if apikey_allows_record(key, host=rrset[0], rdtype=rrset[1]))


def _unselected(selection: Selection, rrset_key: tuple[str, str], origin: dns.name.Name) -> Callable[[str], bool]:
    """Whether a record of the RRset (canonical content) lies outside the selection, and so stays."""
    return lambda content: not _selected(selection, rrset_key, content, origin)


def owned(zone: Zone, owner: int | None) -> None:
    """For a zone the caller has not read: raise PreconditionFailed unless it exists by that name in that account."""
    if owner is not None and not Zone.objects.filter(pk=zone.pk, name=zone.name, account_id=owner).exists():
        raise PreconditionFailed(f"the zone {zone.name} changed under the request")


def _apply(
    zone: Zone, operations: Sequence[Operation], actor: Actor, owner: int | None = None, *, refuse: bool = True
) -> ApplyResult:
    """zone_apply for the REST API; the result's errors are a 400 (RequestError) unless `refuse` is false (the
    caller words them)."""
    if not operations:
        owned(zone, owner)  # nothing to apply: the zone is not locked, and must be checked here
        return ApplyResult(outcomes=[])
    precondition = None
    if owner is not None:
        name = zone.name

        def precondition(head: ZoneHead) -> bool:
            return head.name == name and head.account_id == owner

    result = zone_apply(zone=zone, changes=operations, actor=actor, precondition=precondition)
    if refuse and not result.ok:
        raise RequestError(result.errors)
    return result
