"""Reads for the web panel: what a person may see, the dashboard's overview, the zone editor's pages, the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import RowNumber

from accounts.models import Account, ApiKey
from ipam.models import Allocation, Status
from zones import records
from zones.models import Change, Record, RRset, Zone
from zones.push.selectors import (
    NameserverSummary,
    SyncState,
    SyncStatus,
    sync_overview,
    zone_state_of,
    zones_with_sync_counts,
)

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


def accounts_matching(*, text: str, limit: int) -> list[Account]:
    """At most `limit` accounts whose name or display name holds `text` (case-insensitive), those whose name starts
    with it first, then by name: the staff's account picker. One query, over the account table only."""
    text = text.strip()
    if not text:
        return []
    found = Account.objects.filter(Q(name__icontains=text) | Q(display_name__icontains=text))
    starts = Case(When(name__istartswith=text, then=Value(0)), default=Value(1))
    return list(found.annotate(starts=starts).order_by("starts", "name")[:limit])


def zones_of(user: User) -> QuerySet[Zone]:
    if getattr(user, "is_staff", False) and user.is_authenticated:
        return Zone.objects.all()
    return Zone.objects.filter(account__in=accounts_of(user))


def zone_visible(*, user: User, name: str) -> Zone | None:
    """The zone of that name if `user` may see it; None both when it does not exist and when it is another's."""
    return zones_of(user).filter(name=name.lower().rstrip(".")).select_related("account").first()


def apikeys_of(user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(account__in=accounts_of(user)).select_related("account").order_by("-created")


# --- the dashboard -------------------------------------------------------------------------------------------------

ZONES_PER_PAGE = 50


@dataclass(frozen=True)
class ZoneRow:
    zone: Zone
    last_change: datetime | None
    last_actor: str | None
    push: SyncState


def _last_change(field: str) -> Subquery:
    """The zone's latest journal row's `field` (through the (zone, version) unique index: one probe per zone)."""
    return Subquery(Change.objects.filter(zone=OuterRef("pk")).order_by("-version").values(field)[:1])


# The state rule of zones/push/selectors.py (_zone_state) as SQL conditions on the counts zones_with_sync_counts
# annotates (enabled servers; of them, current and failing on the zone): a filter and an order must be SQL, as the page
# is cut after them. Each count is a probe of the zone's sync rows by index, so a filter or an order by state costs in
# proportion to the accounts' zones, not the provider's. tests/panel/test_dashboard.py holds both to the same answers.
_SERVED = Q(sync_servers__gt=0)
_CURRENT = _SERVED & Q(sync_current=F("sync_servers"))
_BEHIND = _SERVED & Q(sync_current__lt=F("sync_servers"))
ZONE_STATES: dict[SyncState, Q] = {
    SyncState.IN_SYNC: _CURRENT,
    SyncState.PENDING: _BEHIND & Q(sync_failing=0),
    SyncState.FAILING: _BEHIND & Q(sync_failing__gt=0),
    SyncState.NO_NAMESERVER: ~_SERVED,
}
# Sorting by state puts trouble first: failing, pending, in sync, then the zones no nameserver serves yet. Each count
# appears once in the expression (PostgreSQL evaluates a subquery each time it is written).
STATE_ORDER = {SyncState.FAILING: 0, SyncState.PENDING: 1, SyncState.IN_SYNC: 2, SyncState.NO_NAMESERVER: 3}
_STATE_RANK = Case(
    When(~_SERVED, then=Value(STATE_ORDER[SyncState.NO_NAMESERVER])),
    When(sync_current=F("sync_servers"), then=Value(STATE_ORDER[SyncState.IN_SYNC])),
    When(sync_failing__gt=0, then=Value(STATE_ORDER[SyncState.FAILING])),
    default=Value(STATE_ORDER[SyncState.PENDING]),
)
# Every order ends with the (unique) name, so that a page boundary is the same in the count, the page and the next page.
ZONE_SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("name",),
    "-name": ("-name",),
    "records": ("record_count", "name"),
    "-records": ("-record_count", "name"),
    "changed": (F("last_change").asc(nulls_first=True), "name"),
    "-changed": (F("last_change").desc(nulls_last=True), "name"),
    "state": ("state_rank", "name"),
    "-state": ("-state_rank", "name"),
}
# The page's own rows are ordered by what they show; for the state, in Python (zones_page).
_PAGE_SORTS = {**ZONE_SORTS, "state": ("name",), "-state": ("name",)}


def _zones_sorted(zones: QuerySet[Zone], sort: str) -> QuerySet[Zone]:
    """`zones` in the order `sort` names, with the annotation that order needs (and no other)."""
    if sort.lstrip("-") == "changed":
        zones = zones.annotate(last_change=_last_change("created"))
    elif sort.lstrip("-") == "state":
        zones = _with_sync_counts(zones).annotate(state_rank=_STATE_RANK)
    return zones.order_by(*ZONE_SORTS[sort])


def _with_sync_counts(zones: QuerySet[Zone]) -> QuerySet[Zone]:
    """zones_with_sync_counts, once: a state filter has annotated them already when a state order asks."""
    return zones if "sync_current" in zones.query.annotations else zones_with_sync_counts(zones)


def zones_page(
    *,
    accounts: Sequence[Account],
    query: str = "",
    state: SyncState | None = None,
    sort: str = "name",
    page: Any = 1,
) -> Page[ZoneRow]:
    """One page of the accounts' zones with their last change and sync state, filtered by a name substring and a
    state, sorted by `sort` (a key of ZONE_SORTS); two queries however many zones the accounts hold.

    The count and the page's ids are selected in SQL over the accounts' zones (a state filter or order by the counts
    of their sync rows, a last-change order through the journal's (zone, version) index); the last change, its author
    and the sync state shown are computed for the page's zones only, in the statement that holds the page's LIMIT (the
    ids are its subquery)."""
    zones = Zone.objects.filter(account__in=accounts)
    if query.strip():
        zones = zones.filter(name__contains=query.strip().lower())
    if state is not None:
        zones = zones_with_sync_counts(zones).filter(ZONE_STATES[state])
    paginator = Paginator(_zones_sorted(zones, sort).values("pk"), ZONES_PER_PAGE)
    chosen = paginator.get_page(page)
    shown = zones_with_sync_counts(Zone.objects.filter(pk__in=chosen.object_list).select_related("account"))
    shown = shown.annotate(last_change=_last_change("created"), last_actor=_last_change("actor"))
    rows = [ZoneRow(z, z.last_change, z.last_actor, zone_state_of(z)) for z in shown.order_by(*_PAGE_SORTS[sort])]
    if sort.lstrip("-") == "state":  # by name, then (a stable sort) by the state shown: as the ids were chosen
        rows.sort(key=lambda row: STATE_ORDER[row.push], reverse=sort.startswith("-"))
    return Page(rows, chosen.number, paginator)  # type: ignore[arg-type]  # a page of rows, counted over the ids


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
        return (self.name, self.type) in records.PROVIDER_RRSETS


def rrsets_page(*, zone: Zone, query: str = "", rdtype: str = "", sort: str = "name", page: Any = 1) -> Page[RRsetRow]:
    """One page of the zone's RRsets, filtered by a name or content substring and a type, sorted; two queries plus
    one for the records of the page, however large the zone."""
    rrsets = RRset.objects.filter(zone=zone)
    if query:
        text = query.strip()
        # A subquery rather than a join: a join needs DISTINCT over the whole zone, which costs more than the page. The
        # records are those of the zone's index (Record.zone), so a search costs what the zone holds, not the table.
        # A text without letters (an address, a number) matches the same whatever the case: compared as it is, which
        # spares PostgreSQL folding the case of every record of the zone (36 -> 9 ms over 50,000 records).
        found = Q(content__contains=text) if text.lower() == text.upper() else Q(content__icontains=text)
        matching = Record.objects.filter(found, zone=zone).values("rrset_id")
        rrsets = rrsets.filter(Q(name__contains=text.lower()) | Q(id__in=matching))
    if rdtype:
        rrsets = rrsets.filter(type=rdtype.upper())
    rrsets = rrsets.order_by(*SORTS.get(sort, SORTS["name"]))
    if query:
        return _searched_page(zone, rrsets, page)
    paginator = Paginator(rrsets.values_list("id", "name", "type", "ttl"), RRSETS_PER_PAGE)
    result = paginator.get_page(page)
    return Page(_with_records(zone, list(result.object_list)), result.number, paginator)  # type: ignore[arg-type]


def _page_number(page: Any) -> int:
    """A page number as Paginator.get_page reads one: not a positive number is the first page."""
    return int(page) if str(page).isdigit() and int(page) > 0 else 1


def _searched_page(zone: Zone, rrsets: QuerySet[RRset], page: Any) -> Page[RRsetRow]:
    """A search's page and how many RRsets match, from one statement (a window count): a search reads every record of
    the zone whatever the page, and a Paginator's count, then its page, read them twice (2 x 50 ms in a zone of
    50,000 records). Pages as Paginator.get_page numbers them: not a number is the first, past the end the last."""
    number = _page_number(page)
    counted = rrsets.annotate(total=Window(Count("*"))).values_list("id", "name", "type", "ttl", "total")
    start = (number - 1) * RRSETS_PER_PAGE
    rows = list(counted[start : start + RRSETS_PER_PAGE])
    total = rows[0][4] if rows else 0
    if not rows and number > 1:  # past the end: the last page, as get_page gives it
        total = rrsets.count()
        number = max(1, -(-total // RRSETS_PER_PAGE))
        start = (number - 1) * RRSETS_PER_PAGE
        rows = list(counted[start : start + RRSETS_PER_PAGE])
    paginator: Paginator[RRsetRow] = Paginator(_Counted(total), RRSETS_PER_PAGE)  # type: ignore[arg-type]
    return Page(_with_records(zone, [row[:4] for row in rows]), number, paginator)


def _with_records(zone: Zone, rows: list[tuple[int, str, str, int]]) -> list[RRsetRow]:
    contents: dict[int, list[str]] = {}
    records = Record.objects.filter(zone=zone, rrset_id__in=[r[0] for r in rows])
    for rrset_id, content in records.values_list("rrset_id", "content"):
        contents.setdefault(rrset_id, []).append(content)
    return [RRsetRow(name, rdtype, ttl, sorted(contents.get(pk, []))) for pk, name, rdtype, ttl in rows]


def rrset_row(*, zone: Zone, name: str, rdtype: str) -> RRsetRow | None:
    rows = list(RRset.objects.filter(zone=zone, name=name, type=rdtype).values_list("id", "name", "type", "ttl"))
    return _with_records(zone, rows)[0] if rows else None


def zone_types(*, zone: Zone) -> list[str]:
    return list(RRset.objects.filter(zone=zone).order_by("type").values_list("type", flat=True).distinct())


# --- staff: accounts -----------------------------------------------------------------------------------------------

ACCOUNTS_PER_PAGE = 50
NAMES_SHOWN = 10  # an account's zones and prefixes shown on its row; the row says how many more there are


@dataclass(frozen=True)
class AccountRow:
    account: Account
    zones: list[tuple[str, int]]  # (name, record count) of its first zones by name
    zone_count: int
    prefixes: list[str]  # its first active allocations by family and address
    prefix_count: int

    @property
    def more_zones(self) -> int:
        return self.zone_count - len(self.zones)

    @property
    def more_prefixes(self) -> int:
        return self.prefix_count - len(self.prefixes)


def accounts_page(*, query: str = "", page: Any = 1) -> Page[AccountRow]:
    """One page of the accounts by name (a name or display name substring narrows them), each with its members, its
    first zones and active prefixes and how many it has: five queries, whatever the number of accounts and zones."""
    accounts = Account.objects.order_by("name")
    if query.strip():
        accounts = accounts.filter(Q(name__icontains=query.strip()) | Q(display_name__icontains=query.strip()))
    chosen = Paginator(accounts.prefetch_related("members"), ACCOUNTS_PER_PAGE).get_page(page)
    ids = [account.pk for account in chosen]
    zones = _first_per_account(Zone.objects.filter(account__in=ids), ("name",), ("name", "record_count"))
    active = Allocation.objects.filter(account__in=ids, status=Status.ACTIVE)
    prefixes = _first_per_account(active, ("pool__family", "start"), ("prefix",))
    rows = []
    for account in chosen:
        named, zone_count = zones.get(account.pk, ([], 0))
        held, prefix_count = prefixes.get(account.pk, ([], 0))
        rows.append(AccountRow(account, named, zone_count, [prefix for (prefix,) in held], prefix_count))
    return Page(rows, chosen.number, chosen.paginator)  # type: ignore[arg-type]  # rows built from the page


def _first_per_account(
    rows: QuerySet[Any], order: Sequence[str], fields: Sequence[str]
) -> dict[int, tuple[list[Any], int]]:
    """Per account: the `fields` of its first NAMES_SHOWN `rows` in `order`, and how many rows it has in all. One
    query; the ranking and the count run over the given accounts' rows only (their account_id index)."""
    ranked = rows.annotate(
        rank=Window(RowNumber(), partition_by=[F("account_id")], order_by=[F(name).asc() for name in order]),
        total=Window(Count("pk"), partition_by=[F("account_id")]),
    ).filter(rank__lte=NAMES_SHOWN)
    found: dict[int, tuple[list[Any], int]] = {}
    for account_id, total, *values in ranked.order_by("account_id", "rank").values_list("account_id", "total", *fields):
        found.setdefault(account_id, ([], total))[0].append(tuple(values))
    return found


# --- the audit trail -----------------------------------------------------------------------------------------------

CHANGES_PER_PAGE = 20


def changes_page(*, zone: Zone, page: Any = 1) -> Page[Change]:
    changes = Change.objects.filter(zone=zone).select_related("user").order_by("-version")
    return Paginator(changes, CHANGES_PER_PAGE).get_page(page)


# --- the staff nameserver page -------------------------------------------------------------------------------------

SYNC_ROWS_PER_PAGE = 50


@dataclass(frozen=True)
class _Counted:
    """What a Paginator needs of rows read elsewhere: how many there are."""

    total: int

    def count(self) -> int:
        return self.total


def sync_overview_page(*, page: Any = 1) -> tuple[list[NameserverSummary], Page[SyncStatus]]:
    """Every nameserver's summary and one page of the servers behind on a zone, ordered by zone then server, from one
    pass over the zones (zones/push/selectors.py, sync_overview). A page past the end is the last, as get_page does."""
    number = _page_number(page)
    overview = sync_overview(offset=(number - 1) * SYNC_ROWS_PER_PAGE, limit=SYNC_ROWS_PER_PAGE)
    paginator: Paginator[SyncStatus] = Paginator(_Counted(overview.behind), SYNC_ROWS_PER_PAGE)  # type: ignore[arg-type]
    if number > paginator.num_pages:
        return sync_overview_page(page=paginator.num_pages)
    return overview.summaries, Page(overview.window, number, paginator)
