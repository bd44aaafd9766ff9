"""Reads of zones and records, shaped for the interfaces that show them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.db.models import QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from accounts.memory import Remembered, credential_digest
from accounts.models import SecurityEvent
from zones import records
from zones.models import Change, Record, Zone

# An unknown zone costs the same hash as a known one, so timing does not reveal which exist. One dummy hash per
# hasher (the tests change hashers), made with the first at import: panel/wsgi.py loads the URL configuration, and so
# this module, at start-up, so that a worker's first unknown zone does not also pay for making it.
_DUMMY_HASHES: dict[str, str] = {}


def dummy_hash() -> str:
    """A hash, by the default hasher, of a password nobody is given."""
    algorithm = get_hasher().algorithm or ""
    if algorithm not in _DUMMY_HASHES:
        _DUMMY_HASHES[algorithm] = make_password("dummy password for timing")
    return _DUMMY_HASHES[algorithm]


dummy_hash()


class RecordRow(NamedTuple):
    # A named tuple, not a dataclass: an export of 50,000 records builds 50,000 of them, at a third of the cost.
    name: str
    ttl: int
    type: str
    content: str


def records_of(zone: Zone | int) -> QuerySet[Record]:
    """The records of one zone, their RRsets joinable. Both tables are filtered by the zone, so that each is read
    through its zone index and the two are joined by hash: the planner does not carry record.zone_id over to the
    RRsets, and a 50,000-record zone would otherwise be joined to every RRset of every zone."""
    return Record.objects.filter(zone=zone, rrset__zone=zone)


def records_at(zone: Zone, hosts: Collection[str] | None) -> QuerySet[Record]:
    """The zone's records at `hosts` (None: all of them, records_of). A few hosts are found through the RRsets' (zone,
    name, type) key and their records through (rrset, content): filtered by Record.zone as well, the records of a
    large zone would all be read to find one RRset's, as the planner does not know that the key is unique."""
    return records_of(zone) if hosts is None else Record.objects.filter(rrset__zone=zone, rrset__name__in=hosts)


def zone_records(*, zone: Zone) -> list[RecordRow]:
    """Every record of the zone in one query, ordered by name ('@' first), type, then data."""
    rows = records_of(zone).values_list("rrset__name", "rrset__ttl", "rrset__type", "content")
    return [RecordRow._make(row) for row in _apex_first(sorted(rows, key=itemgetter(0, 2, 3)))]


_Row = TypeVar("_Row", bound=tuple[object, ...])


def _apex_first(ordered: list[_Row]) -> list[_Row]:
    """Rows sorted with the owner name first, the apex's ('@') moved to the front keeping that order: sorted by a key
    of C (itemgetter or none), this is a third of the time of a key function that puts '@' first itself."""
    return [row for row in ordered if row[0] == "@"] + [row for row in ordered if row[0] != "@"]


def changes_of_deleted_zone(*, event: SecurityEvent) -> QuerySet[Change]:
    """The journal of the zone whose deletion `event` records, newest first.

    The rows lost their zone, so they are found by name within the range of ids the zone had when it was deleted: a
    zone of the same name before or after (of this account or another) has rows outside that range.
    """
    span = deleted_zone_span(event.detail) if event.action == SecurityEvent.Action.ZONE_DELETED else None
    if span is None:
        return Change.objects.none()
    found = Change.objects.filter(zone__isnull=True, zone_name=event.subject, id__gte=span[0], id__lte=span[1])
    return found.order_by("-version")


def deleted_zone_span(detail: object) -> tuple[int, int] | None:
    """The first and last journal row id a zone deletion's security log `detail` names (None: the zone had none)."""
    span = detail.get("changes") if isinstance(detail, dict) else None
    if isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span):
        return span[0], span[1]
    return None


@dataclass
class RRsetView:
    ttl: int
    contents: list[str] = field(default_factory=list)


RRsets = dict[tuple[str, str], RRsetView]


def zone_for_fqdn(fqdn: str) -> tuple[Zone, str] | None:
    """The zone holding the domain name `fqdn` (the longest matching zone name) and the name relative to it."""
    labels = fqdn.lower().rstrip(".").split(".")
    suffixes = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    candidates = sorted(Zone.objects.filter(name__in=suffixes), key=lambda z: len(z.name), reverse=True)
    zone = candidates[0] if candidates else None
    if zone is None:
        return None
    relative = ".".join(labels[: len(labels) - len(zone.name.split("."))]) or "@"
    return zone, relative


def rrsets_matching(*, zone: Zone, host: str | None = None, rdtype: str | None = None) -> RRsets:
    """The zone's RRsets at `host` of `rdtype` (None: any), in one query, keyed by (host, type)."""
    rows = records_at(zone, None if host is None else [host])
    if rdtype is not None:
        rows = rows.filter(rrset__type=rdtype)
    return rrsets_from_rows(rows)


def rrsets_from_rows(rows: QuerySet[Record]) -> RRsets:
    """Records (with their RRset joined) grouped by (host, type), in the order the rows come."""
    result: RRsets = defaultdict(lambda: RRsetView(ttl=0))
    for name, rtype, ttl, content in rows.values_list("rrset__name", "rrset__type", "rrset__ttl", "content"):
        view = result[(name, rtype)]
        view.ttl = ttl
        view.contents.append(content)
    return dict(result)


def zone_by_name(name: str) -> Zone | None:
    return Zone.objects.filter(name=name).select_related("account").first()


@dataclass(frozen=True)
class ApiCredential:
    """A zone whose legacy API password a request gave correctly, and the hash it matched. Enough to apply a change
    set without reading the zone first: the hash is compared again with the zone's row under its lock."""

    zone_id: int
    zone_name: str
    stored: str


def zone_api_credential(*, name: str | None, password: str) -> ApiCredential | None:
    """The zone `name` if `password` is its legacy API password, else None.

    Costs one hash whether or not the zone exists or has a password, so that timing does not reveal which zones
    exist. A correct password is remembered for a few minutes (zone_api_credential_remembered), so that a Dynamic DNS
    client or an ACME hook calling every few seconds pays neither the deliberately slow hash nor a read of the zone
    each time; a password rotated meanwhile is caught by the comparison under the lock.
    """
    zone = zone_by_name(name) if name is not None else None
    if zone is None or not zone.api_password:
        check_password(password, dummy_hash())
        return None
    if not check_password(password, zone.api_password):
        return None
    credential = ApiCredential(zone_id=zone.pk, zone_name=zone.name, stored=zone.api_password)
    _REMEMBERED.put(_credential_key(name, password), credential)
    return credential


def zone_api_credential_remembered(*, name: str | None, password: str) -> ApiCredential | None:
    """The credential if this process remembers `password` as the API password of zone `name`; no hash, no query."""
    return _REMEMBERED.get(_credential_key(name, password))


def zone_api_credential_forget(*, name: str | None, password: str) -> None:
    """Forget a remembered credential (the zone's row no longer matches it)."""
    _REMEMBERED.forget(_credential_key(name, password))


# Remembered successes (failures never are). The key is an HMAC over the zone name and the password: nothing here is
# reversible, and a password that was rotated is refused under the lock however long its entry lives.
_REMEMBERED: Remembered[bytes, ApiCredential] = Remembered(ttl=300.0)


def _credential_key(name: str | None, password: str) -> bytes:
    return credential_digest(str(name), password)


def zone_listed(*, credential: ApiCredential, checked: bool) -> Zone | None:
    """The zone a legacy LIST shows; None if it was deleted or, unless the credential was `checked` already, if its
    password changed."""
    zone = Zone.objects.filter(pk=credential.zone_id).first()
    return zone if zone is not None and (checked or zone.api_password == credential.stored) else None


def zone_master_file(*, zone: Zone) -> str:
    """The zone in RFC 1035 master-file format: $ORIGIN, $TTL, the SOA, then every record (names relative) in
    zone_records' order.

    Each record's line is written by the database, next to the name, type and data it is sorted by (the database's
    own sort of text follows its collation, and spills to disk at this size): one string per record made in Python,
    not four values and a RecordRow, a third of the time on a 50,000-record zone."""
    line = Concat(
        "rrset__name",
        Value(" "),
        Cast("rrset__ttl", TextField()),
        Value(" IN "),
        "rrset__type",
        Value(" "),
        "content",
        output_field=TextField(),
    )
    rows = sorted(records_of(zone).values_list("rrset__name", "rrset__type", "content", line))
    header = [f"$ORIGIN {zone.name}.", f"$TTL {zone.default_ttl}", f"@ {zone.soa_ttl} IN SOA {zone.soa_content}"]
    return "\n".join([*header, *(row[3] for row in _apex_first(rows))]) + "\n"


@dataclass(frozen=True)
class RRsetDiff:
    """One RRset that an import would change: as it is, and as the file has it (absent: ttl None, no records)."""

    name: str
    type: str
    ttl_before: int | None
    before: list[str]
    ttl_after: int | None
    after: list[str]

    @property
    def kind(self) -> str:
        return "add" if not self.before else "delete" if not self.after else "change"


def zone_import_diff(*, zone: Zone, text: str) -> list[RRsetDiff]:
    """What `zone_import(text=...)` would change, RRset by RRset (the SOA and apex NS set stay as they are).

    Raises RecordError when the file does not parse. A record that does not parse is shown as the file has it; the
    dry run of zone_import names the error."""
    origin = records.zone_origin(zone.name)
    wanted = records.master_file_rrsets(text, origin, max_records=settings.ZONE_MAX_RECORDS)
    current: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for row in zone_records(zone=zone):
        current.setdefault((row.name, row.type), (row.ttl, []))[1].append(row.content)
    diffs = []
    for key in sorted((wanted.keys() | current.keys()) - records.PROVIDER_RRSETS):
        ttl_before, before = current.get(key, (None, []))
        ttl_after, raw = wanted.get(key, (None, []))
        after = []
        for content in raw:
            try:
                after.append(records.content_canonical(key[1], content, origin))
            except records.RecordError:
                after.append(content)
        if sorted(before) != sorted(set(after)) or (after and ttl_before != ttl_after):
            diffs.append(RRsetDiff(key[0], key[1], ttl_before, sorted(before), ttl_after, sorted(set(after))))
    return diffs
