"""Reads for the web panel: what a person may see, and the overviews the dashboard and staff pages show."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from accounts.models import Account, ApiKey
from zones.models import Change, Nameserver, Record, RRset, Zone, ZoneSync

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def accounts_of(user: User) -> QuerySet[Account]:
    """The accounts whose objects `user` may see: every account for staff, their own for customers."""
    if not user.is_authenticated:
        return Account.objects.none()
    if getattr(user, "is_staff", False):
        return Account.objects.all()
    return own_accounts(user)


def own_accounts(user: User) -> QuerySet[Account]:
    """The accounts `user` is a member of (staff too: their own, not everyone's)."""
    return Account.objects.filter(members__id=user.pk) if user.pk is not None else Account.objects.none()


def zones_of(user: User) -> QuerySet[Zone]:
    if getattr(user, "is_staff", False) and user.is_authenticated:
        return Zone.objects.all()
    return Zone.objects.filter(account__in=accounts_of(user))


def zone_visible(*, user: User, name: str) -> Zone | None:
    """The zone of that name if `user` may see it; None both when it does not exist and when it is another's."""
    return zones_of(user).filter(name=name.lower().rstrip(".")).select_related("account").first()


def apikeys_of(user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(account__in=accounts_of(user)).select_related("account").order_by("-created")


# --- push state ----------------------------------------------------------------------------------------------------


class PushState(enum.StrEnum):
    IN_SYNC = "in sync"
    PENDING = "pending"
    FAILING = "failing"
    UNCONFIGURED = "no nameserver"


@dataclass(frozen=True)
class ZoneRow:
    zone: Zone
    last_change: datetime | None
    last_actor: str | None
    push: PushState


def zones_overview(*, zones: QuerySet[Zone]) -> list[ZoneRow]:
    """Each zone with its last change and its push state over every enabled nameserver, in three queries."""
    latest = Change.objects.filter(zone=OuterRef("pk")).order_by("-version")
    rows = list(
        zones.select_related("account").annotate(
            last_change=Subquery(latest.values("created")[:1]), last_actor=Subquery(latest.values("actor")[:1])
        )
    )
    states = push_states(zones=rows)
    return [ZoneRow(z, getattr(z, "last_change", None), getattr(z, "last_actor", None), states[z.pk]) for z in rows]


def push_states(*, zones: Sequence[Zone]) -> dict[int, PushState]:
    """Per zone: failing if a nameserver reports errors, pending if one is behind, else in sync."""
    nameservers = list(Nameserver.objects.filter(enabled=True).values_list("pk", flat=True))
    if not nameservers:
        return {zone.pk: PushState.UNCONFIGURED for zone in zones}
    syncs: dict[int, list[tuple[int, int]]] = {}
    rows = ZoneSync.objects.filter(zone__in=[z.pk for z in zones], nameserver__in=nameservers)
    for zone_id, version, attempts in rows.values_list("zone_id", "version", "attempts"):
        syncs.setdefault(zone_id, []).append((version, attempts))
    return {zone.pk: _push_state(zone, syncs.get(zone.pk, []), len(nameservers)) for zone in zones}


def _push_state(zone: Zone, syncs: list[tuple[int, int]], nameservers: int) -> PushState:
    current = sum(1 for version, _ in syncs if version == zone.version)
    if current == nameservers:
        return PushState.IN_SYNC
    if any(attempts and version != zone.version for version, attempts in syncs):
        return PushState.FAILING
    return PushState.PENDING


# --- the zone editor -----------------------------------------------------------------------------------------------

SORTS = {
    "name": ("name", "type"),
    "-name": ("-name", "-type"),
    "type": ("type", "name"),
    "-type": ("-type", "-name"),
    "ttl": ("ttl", "name", "type"),
    "-ttl": ("-ttl", "name", "type"),
}
RRSETS_PER_PAGE = 50


@dataclass(frozen=True)
class RRsetRow:
    name: str
    type: str
    ttl: int
    records: list[str]

    @property
    def provider_owned(self) -> bool:
        return (self.name, self.type) == ("@", "NS")


def rrsets_page(*, zone: Zone, query: str = "", rdtype: str = "", sort: str = "name", page: Any = 1) -> Page[RRsetRow]:
    """One page of the zone's RRsets, filtered by a name or content substring and a type, sorted; two queries plus
    one for the records of the page, however large the zone."""
    rrsets = RRset.objects.filter(zone=zone)
    if query:
        text = query.strip()
        # A subquery rather than a join: a join needs DISTINCT over the whole zone, which costs more than the page.
        matching = Record.objects.filter(rrset__zone=zone, content__icontains=text).values("rrset_id")
        rrsets = rrsets.filter(Q(name__contains=text.lower()) | Q(id__in=matching))
    if rdtype:
        rrsets = rrsets.filter(type=rdtype.upper())
    rrsets = rrsets.order_by(*SORTS.get(sort, SORTS["name"]))
    paginator = Paginator(rrsets.values_list("id", "name", "type", "ttl"), RRSETS_PER_PAGE)
    result = paginator.get_page(page)
    return Page(_with_records(list(result.object_list)), result.number, paginator)  # type: ignore[arg-type]


def _with_records(rows: list[tuple[int, str, str, int]]) -> list[RRsetRow]:
    contents: dict[int, list[str]] = {}
    for rrset_id, content in Record.objects.filter(rrset_id__in=[r[0] for r in rows]).values_list(
        "rrset_id", "content"
    ):
        contents.setdefault(rrset_id, []).append(content)
    return [RRsetRow(name, rdtype, ttl, sorted(contents.get(pk, []))) for pk, name, rdtype, ttl in rows]


def rrset_row(*, zone: Zone, name: str, rdtype: str) -> RRsetRow | None:
    rows = list(RRset.objects.filter(zone=zone, name=name, type=rdtype).values_list("id", "name", "type", "ttl"))
    return _with_records(rows)[0] if rows else None


def zone_types(*, zone: Zone) -> list[str]:
    return list(RRset.objects.filter(zone=zone).order_by("type").values_list("type", flat=True).distinct())


# --- the audit trail -----------------------------------------------------------------------------------------------

CHANGES_PER_PAGE = 20


def changes_page(*, zone: Zone, page: Any = 1) -> Page[Change]:
    changes = Change.objects.filter(zone=zone).select_related("user").order_by("-version")
    return Paginator(changes, CHANGES_PER_PAGE).get_page(page)


# --- staff: nameserver sync state ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameserverSummary:
    nameserver: Nameserver
    zones: int
    in_sync: int
    failing: int

    @property
    def pending(self) -> int:
        return self.zones - self.in_sync - self.failing

    @property
    def percent_in_sync(self) -> float:
        return 100.0 * self.in_sync / self.zones if self.zones else 100.0


def nameserver_summaries() -> list[NameserverSummary]:
    """Per nameserver, how many zones it has current, how many it is failing on; three counts each, no scan in
    Python however many zones there are."""
    total = Zone.objects.count()
    summaries = []
    for nameserver in Nameserver.objects.all():
        syncs = ZoneSync.objects.filter(nameserver=nameserver)
        current = syncs.filter(version=F("zone__version")).count()
        failing = syncs.filter(attempts__gt=0).exclude(version=F("zone__version")).count()
        summaries.append(NameserverSummary(nameserver, total, current, failing))
    return summaries


def zones_not_in_sync(*, limit: int = 100) -> list[str]:
    """Names of zones (at most `limit`) that some enabled nameserver has not confirmed at their current version."""
    nameservers = Nameserver.objects.filter(enabled=True)
    current = ZoneSync.objects.filter(zone=OuterRef("pk"), version=OuterRef("version"), nameserver__enabled=True)
    count = nameservers.count()
    if not count:
        return []
    behind = Zone.objects.annotate(current=Subquery(current.values("zone").annotate(n=Count("pk")).values("n")[:1]))
    return list(behind.filter(Q(current__lt=count) | Q(current__isnull=True)).values_list("name", flat=True)[:limit])
