"""The REST API's writes: v2 record lists turned into one zone_apply call, inside the API key's scope.

Each function is one transaction: the zone row is locked first, so what is read to compute the change (the records
a PUT replaces, those a DELETE matches) cannot move before zone_apply writes it. All or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.actors import Actor
from accounts.models import ApiKey
from accounts.selectors import OutOfScope, apikey_allows_record
from zones import records
from zones.api import codec
from zones.api.selectors import GENERATED, RRsets, rrsets_matching, rrsets_visible
from zones.models import Change, Zone
from zones.records import RecordError
from zones.services import Add, ApplyResult, Delete, Operation, Replace, ZoneError, zone_apply, zone_import


class RequestError(Exception):
    """The request's records are invalid; `errors` lists every problem (400)."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Selector:
    """The part of a zone a request addresses: /records, /records/{host} or /records/{host}/{type}."""

    host: str | None = None
    rdtype: str | None = None

    def covers(self, host: str, rdtype: str) -> bool:
        return (self.host is None or self.host == host) and (self.rdtype is None or self.rdtype == rdtype)


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


def selector_parse(zone: Zone, host: str | None, rdtype: str | None) -> Selector:
    """Canonicalise the host and type of a URL; RequestError if either is malformed."""
    origin = records.zone_origin(zone.name)
    try:
        name = records.owner_parse(host, apex=origin, origin=origin) if host is not None else None
        rtype = _type_parse(rdtype) if rdtype is not None else None
    except RecordError as exc:
        raise RequestError([str(exc)]) from None
    return Selector(host=name, rdtype=rtype)


def records_add(
    *, zone: Zone, key: ApiKey, selector: Selector, items: Sequence[Mapping[str, Any]], actor: Actor
) -> Counts:
    """Add the records (POST). A record that exists already is left as it is and not counted."""
    wanted = _parse_all(zone, selector, items)
    _check_scope(key, wanted)
    with transaction.atomic():
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        existing = _existing_at(zone, wanted)
        operations: list[Operation] = []
        seen: set[tuple[str, str, str]] = set()
        for item in wanted:
            identity = (item.host, item.rdtype, item.content)
            present = existing.get((item.host, item.rdtype))
            if identity in seen or (present is not None and item.content in present.contents):
                continue
            seen.add(identity)
            operations.append(Add(name=item.host, type=item.rdtype, content=item.content, ttl=item.ttl))
        _apply(zone, operations, actor)
    return Counts(added=len(operations))


def records_replace(
    *, zone: Zone, key: ApiKey, selector: Selector, items: Sequence[Mapping[str, Any]], actor: Actor
) -> Counts:
    """Make the records the key can see under `selector` exactly `items` (PUT): RRsets not named are removed."""
    wanted = _parse_all(zone, selector, items)
    _check_scope(key, wanted)
    groups = _group(wanted)
    with transaction.atomic():
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        current = rrsets_visible(zone=zone, key=key, host=selector.host, rdtype=selector.rdtype)
        # Only the apex NS set can arrive unchanged from a GET (SOA items were dropped while parsing).
        generated = rrsets_matching(zone=zone, host="@", rdtype="NS") if ("@", "NS") in groups else {}
        groups = {k: v for k, v in groups.items() if not _unchanged_generated(k, v[1], generated)}
        operations: list[Operation] = [
            Replace(name=host, type=rdtype, contents=tuple(contents), ttl=ttl)
            for (host, rdtype), (ttl, contents) in groups.items()
        ]
        gone = [k for k in current if k not in groups and k not in GENERATED]
        operations += [Replace(name=host, type=rdtype, contents=()) for host, rdtype in gone]
        counts = _diff_counts(current, groups)
        _apply(zone, operations, actor)
    return counts


def records_delete(*, zone: Zone, key: ApiKey, selector: Selector, data: str | None, actor: Actor) -> Counts:
    """Remove the records the key can see under `selector` (DELETE), only those whose `data` equals `data` if given.

    The provider's records (SOA, apex NS) are never removed; they are not counted either. A host and type the key may
    not touch at all is refused (403), as a POST there would be, rather than answered with an empty success."""
    if selector.host is not None and selector.rdtype is not None:
        _check_scope(key, [Wanted(host=selector.host, rdtype=selector.rdtype, content="", ttl=None)])
    with transaction.atomic():
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        current = rrsets_visible(zone=zone, key=key, host=selector.host, rdtype=selector.rdtype)
        operations: list[Operation] = [
            Delete(name=host, type=rdtype, content=content)
            for (host, rdtype), view in current.items()
            if (host, rdtype) not in GENERATED
            for content in view.contents
            if data is None or codec.content_to_api(host, view.ttl, rdtype, content)["data"] == data
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
    before = {(s["name"], s["type"], c) for s in change.before for c in s["records"]}
    after = {(s["name"], s["type"], c) for s in change.after for c in s["records"]}
    return Counts(added=len(after - before), removed=len(before - after))


# --- helpers -------------------------------------------------------------------------------------------------------


def _type_parse(text: str) -> str:
    rdtype = text.upper()
    if rdtype == "SOA":
        return rdtype  # readable, never writable: zone_apply refuses it
    return records.type_parse(text)


def _parse_all(zone: Zone, selector: Selector, items: Sequence[Mapping[str, Any]]) -> list[Wanted]:
    origin = records.zone_origin(zone.name)
    wanted: list[Wanted] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        if str(item.get("type", "")).upper() == "SOA":
            continue  # the provider's record, as a GET shows it: ignored, so that a GET can be sent back as a PUT
        try:
            wanted.append(_parse_one(item, selector, origin))
        except RecordError as exc:
            errors.append(f"records[{index}]: {exc}")
    if errors:
        raise RequestError(errors)
    return wanted


def _parse_one(item: Mapping[str, Any], selector: Selector, origin: Any) -> Wanted:
    host_text = item.get("host") or selector.host
    type_text = item.get("type") or selector.rdtype
    if not isinstance(host_text, str) or not host_text:
        raise RecordError("host is required")
    if not isinstance(type_text, str) or not type_text:
        raise RecordError("type is required")
    host = records.owner_parse(host_text, apex=origin, origin=origin)
    rdtype = records.type_parse(type_text)
    if not selector.covers(host, rdtype):
        raise RecordError(f"{host} {rdtype} is outside the host and type named in the URL")
    content = records.content_canonical(rdtype, codec.content_from_api(rdtype, item), origin)
    ttl = item.get("ttl")
    return Wanted(host=host, rdtype=rdtype, content=content, ttl=records.ttl_parse(ttl) if ttl is not None else None)


def _check_scope(key: ApiKey, wanted: Sequence[Wanted]) -> None:
    for item in wanted:
        if not apikey_allows_record(key, host=item.host, rdtype=item.rdtype):
            raise OutOfScope(f"this API key may not change {item.host} {item.rdtype}")


def _existing_at(zone: Zone, wanted: Sequence[Wanted]) -> RRsets:
    found: RRsets = {}
    for host, rdtype in {(w.host, w.rdtype) for w in wanted}:
        found.update(rrsets_matching(zone=zone, host=host, rdtype=rdtype))
    return found


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


def _unchanged_generated(key: tuple[str, str], contents: list[str], generated: RRsets) -> bool:
    """A PUT that repeats the provider's records as they are (a GET sent back) is not an attempt to change them."""
    return key in generated and sorted(generated[key].contents) == sorted(contents)


def _diff_counts(current: RRsets, groups: Mapping[tuple[str, str], tuple[int | None, list[str]]]) -> Counts:
    added = removed = 0
    for key in set(current) | set(groups):
        if key in GENERATED and key not in groups:
            continue
        old = set(current[key].contents) if key in current else set()
        new = set(groups[key][1]) if key in groups else set()
        added += len(new - old)
        removed += len(old - new)
    return Counts(added=added, removed=removed)


def _apply(zone: Zone, operations: Sequence[Operation], actor: Actor) -> ApplyResult:
    if not operations:
        return ApplyResult(outcomes=[])
    result = zone_apply(zone=zone, changes=operations, actor=actor)
    if not result.ok:
        raise RequestError(result.errors)
    return result
