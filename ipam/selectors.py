"""Reads of address space: utilisation per pool and per account, lookups by address, reverse DNS views."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import Account, ApiKey
from accounts.selectors import apikey_allows_reverse_record
from ipam import reverse
from ipam.models import Allocation, Pool, Status
from ipam.prefixes import BITS, Block, address_parse, key
from zones import records
from zones.models import RRset


@dataclass(frozen=True)
class Usage:
    """Addresses and prefixes in one state (or in several added up)."""

    prefixes: int = 0
    addresses: int = 0


@dataclass(frozen=True)
class PoolUtilisation:
    pool: Pool
    size: int
    active: Usage
    reserved: Usage
    quarantined: Usage
    free: Usage
    largest_free: int | None  # the length of the largest free block, None when the pool is full

    @property
    def used(self) -> Usage:
        return _sum([self.active, self.reserved, self.quarantined])

    @property
    def percent_used(self) -> float:
        return 100.0 * self.used.addresses / self.size


def _usage(family: int, per_length: dict[str, int]) -> Usage:
    bits = BITS[family]
    return Usage(
        prefixes=sum(per_length.values()),
        addresses=sum(count << (bits - int(length)) for length, count in per_length.items()),
    )


def _sum(usages: Iterable[Usage]) -> Usage:
    usages = list(usages)
    return Usage(sum(u.prefixes for u in usages), sum(u.addresses for u in usages))


def pool_utilisation(*, pool: Pool) -> PoolUtilisation:
    """From the counts the services keep on the pool row: no scan, however many allocations the pool holds."""
    counts: dict[str, dict[str, int]] = pool.counts
    free = counts.get("free", {})
    return PoolUtilisation(
        pool=pool,
        size=pool.block.size,
        active=_usage(pool.family, counts.get(Status.ACTIVE, {})),
        reserved=_usage(pool.family, counts.get(Status.RESERVED, {})),
        quarantined=_usage(pool.family, counts.get(Status.QUARANTINED, {})),
        free=_usage(pool.family, free),
        largest_free=min((int(length) for length in free), default=None),
    )


def pools_utilisation() -> list[PoolUtilisation]:
    return [pool_utilisation(pool=pool) for pool in Pool.objects.all()]


@dataclass(frozen=True)
class AccountUtilisation:
    account: Account
    family: int
    active: Usage
    reserved: Usage


def account_utilisation(*, account: Account) -> list[AccountUtilisation]:
    """Per address family, what the account holds (active) and what is kept for it (reserved). One grouped query."""
    return accounts_utilisation(accounts=[account])


def accounts_utilisation(*, accounts: Sequence[Account] | QuerySet[Account]) -> list[AccountUtilisation]:
    """`account_utilisation` of many accounts in one grouped query (and one for the accounts when given a QuerySet
    rather than the accounts themselves), ordered by account name and family."""
    rows = (
        Allocation.objects.filter(account__in=accounts, status__in=[Status.ACTIVE, Status.RESERVED])
        .values_list("account_id", "pool__family", "status", "length")
        .annotate(n=Count("id"))
    )
    grouped: dict[tuple[int, int, str], dict[str, int]] = {}
    for account_id, family, status, length, count in rows:
        grouped.setdefault((account_id, family, status), {})[str(length)] = count
    keys = {(account_id, family) for account_id, family, _ in grouped}
    if isinstance(accounts, QuerySet):
        by_id = Account.objects.in_bulk({account_id for account_id, _ in keys})
    else:
        by_id = {account.pk: account for account in accounts}
    result = [
        AccountUtilisation(
            account=by_id[account_id],
            family=family,
            active=_usage(family, grouped.get((account_id, family, Status.ACTIVE), {})),
            reserved=_usage(family, grouped.get((account_id, family, Status.RESERVED), {})),
        )
        for account_id, family in keys
    ]
    return sorted(result, key=lambda row: (row.account.name, row.family))


def accounts_visible(*, user: Any, key: ApiKey | None) -> QuerySet[Account]:
    """The accounts whose space a principal sees: an API key its own account only (a key is never staff, whatever
    its scope), a staff user every account, a customer the accounts they are a member of, anyone else none."""
    if key is not None:
        return Account.objects.filter(pk=key.account_id)
    if user is None or not getattr(user, "is_authenticated", False):
        return Account.objects.none()
    if user.is_staff:
        return Account.objects.all()
    return Account.objects.filter(members__id=user.pk)


def allocation_ptrs(*, allocation: Allocation, key: ApiKey | None = None) -> list[tuple[str, str]]:
    """(address, hostname) of the PTR records inside `allocation`; with `key`, only those the key could change (as
    the DNS API shows a key only the records its scope covers)."""
    block = allocation.block
    zone = reverse.zone_for(reverse.address_name(block.family, block.start))
    if zone is None:
        return []
    rows = reverse.ptr_records(zone=zone, block=block)
    if key is None:
        return rows
    return [
        (address, hostname)
        for address, hostname in rows
        if apikey_allows_reverse_record(
            key,
            zone_name=zone.name,
            host=reverse.relative(zone, reverse.address_name(*address_parse(address))),
            rdtype="PTR",
        )
    ]


def allocations_of(*, accounts: Sequence[Account] | QuerySet[Account]) -> QuerySet[Allocation]:
    """The allocations a customer may see: active and reserved blocks of their accounts (not quarantined ones)."""
    return (
        Allocation.objects.filter(account__in=accounts, status__in=[Status.ACTIVE, Status.RESERVED])
        .select_related("pool", "account")
        .order_by("pool__family", "start")
    )


def allocations_ptr_counts(*, allocations: Sequence[Allocation]) -> dict[int, int]:
    """How many PTR records lie inside each of `allocations` (by id; `pool` selected with them): two queries however
    many allocations, one for the reverse zones of them all and one for those zones' PTR records under them."""
    owners = {a.pk: reverse.address_name(a.pool.family, a.block.start) for a in allocations}
    zones = reverse.zones_for(list(owners.values())) if owners else {}
    inside: dict[int, list[tuple[int, Allocation]]] = {}  # per reverse zone: its allocations by first address
    match = Q()
    for allocation in allocations:
        zone = zones[owners[allocation.pk]]
        if zone is not None:
            inside.setdefault(zone.pk, []).append((allocation.block.start, allocation))
            match |= Q(zone=zone) & reverse.ptr_names(zone=zone, block=allocation.block)
    counts = dict.fromkeys(owners, 0)
    if not inside:
        return counts
    origins = {zone.pk: records.zone_origin(zone.name) for zone in zones.values() if zone is not None}
    for held in inside.values():
        held.sort(key=lambda item: item[0])
    rows = RRset.objects.filter(match, type="PTR").values_list("zone_id", "name", "records__content")
    for zone_id, name, _ in rows:
        holder = _holder(inside[zone_id], reverse.ptr_address(name, origins[zone_id]))
        if holder is not None:
            counts[holder.pk] += 1
    return counts


def _holder(held: list[tuple[int, Allocation]], address: int) -> Allocation | None:
    """The allocation of `held` (sorted by first address, not overlapping) that contains `address`."""
    at = bisect.bisect_right(held, address, key=lambda item: item[0]) - 1
    return held[at][1] if at >= 0 and held[at][1].block.contains_address(address) else None


def allocation_containing(*, family: int, address: int) -> Allocation | None:
    """The allocation (any pool of the family) that holds `address`, in two indexed lookups."""
    pool = _pool_containing(family, address)
    if pool is None:
        return None
    allocation = (
        Allocation.objects.filter(pool=pool, start__lte=key(address)).select_related("pool").order_by("-start").first()
    )
    if allocation is None or not allocation.block.contains_address(address):
        return None
    return allocation


def _pool_containing(family: int, address: int) -> Pool | None:
    pool = Pool.objects.filter(family=family, start__lte=key(address)).order_by("-start").first()
    if pool is None or not pool.block.contains_address(address):
        return None
    return pool


def reverse_zone_within_allocations(zone_name: str, account: Account) -> bool:
    """True when the reverse zone `zone_name` stands for a block inside an active or reserved allocation of
    `account`: the reverse zones a customer may create (registered with zones.reserved by IpamConfig.ready)."""
    block = reverse.block_of_name(zone_name)
    if block is None:
        return False
    held = Allocation.objects.filter(
        account=account, status__in=[Status.ACTIVE, Status.RESERVED], pool__family=block.family
    )
    return any(
        Block(block.family, int(start, 16), length).contains(block)
        for start, length in held.values_list("start", "length")
    )
