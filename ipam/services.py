"""Every write to address space: pools, allocations, space requests. Each call is one transaction with its audit row.

The allocator keeps a buddy-style free table (`FreeBlock`) beside the allocations: the maximal aligned free blocks of
each pool. Finding space is one indexed lookup there, taking it splits one free block into at most (length - pool
length) pieces, giving it back merges with free buddies; none of it reads the allocations, so the cost stays flat as a
pool fills to millions. Every change locks the pool row first (`select_for_update`), which serialises the writers of
one pool; on PostgreSQL an exclusion constraint also refuses any overlapping allocation written behind our back.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import Literal

import dns.name
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account, ApiKey
from accounts.selectors import OutOfScope, apikey_account_wide, apikey_allows_reverse_record
from ipam import reverse
from ipam.models import Allocation, Event, Family, FreeBlock, Pool, SpaceRequest, SpaceRequestStatus, Status
from ipam.prefixes import BITS, Block, PrefixError, address_parse, buddy_candidates, carve, key, prefix_parse
from zones.models import Zone
from zones.services import ApplyResult, Operation, Replace, zone_apply

log = logging.getLogger(__name__)

Strategy = Literal["first-fit", "sparse"]
STRATEGIES: tuple[Strategy, ...] = ("first-fit", "sparse")
# Quarantined blocks whose time is up are freed by the next change to their pool; this many at most per change, so
# that one request never pays for a mass release.
EXPIRE_BATCH = 200
# First-fit scans free blocks in address order while at most this many are too small for the request (see _first_fit).
SCAN_LIMIT = 64


class IpamError(Exception):
    """A request that cannot be carried out as given (bad prefix, length not allowed, ...): the message says why."""


class Unavailable(IpamError):
    """The space asked for is taken or the pool is full: a conflict with the current state (HTTP 409)."""


class PoolExhausted(Unavailable):
    """No free block of the requested length is left in the pool."""


# --- pools ----------------------------------------------------------------------------------------------------------


def pool_create(
    *,
    prefix: str,
    default_length: int,
    actor: Actor,
    allowed_lengths: Iterable[int] = (),
    description: str = "",
    site: str = "",
    quarantine: datetime.timedelta | None = None,
) -> Pool:
    """Create a pool; it may not overlap another pool. Its whole prefix starts as one free block."""
    block = _parse(prefix)
    lengths = sorted(set(allowed_lengths) | {default_length})
    for length in lengths:
        if not block.length <= length <= block.bits:
            raise IpamError(f"/{length} is not a length that fits in {block} (/{block.length} to /{block.bits})")
    with transaction.atomic():
        _check_pool_free(block)
        pool = Pool(
            prefix=str(block),
            family=block.family,
            start=block.key,
            length=block.length,
            default_length=default_length,
            allowed_lengths=lengths,
            description=description,
            site=site,
            counts={"free": {str(block.length): 1}},
        )
        if quarantine is not None:
            pool.quarantine = quarantine
        pool.save()
        FreeBlock.objects.create(pool=pool, start=block.key, length=block.length)
        _audit("pool_create", actor, pool=pool, prefix=pool.prefix, detail={"allowed_lengths": lengths})
    return pool


def _check_pool_free(block: Block) -> None:
    # Pools are few (tens, not millions): reading those of the family is simpler than a range query on hex keys.
    for other in Pool.objects.filter(family=block.family):
        if other.block.overlaps(block):
            raise Unavailable(f"{block} overlaps the pool {other.prefix}")


def pool_delete(*, pool: Pool, actor: Actor) -> None:
    """Delete an empty pool (no allocations, reservations or quarantined blocks)."""
    with transaction.atomic():
        locked = _lock(pool)
        if Allocation.objects.filter(pool=locked).exists():
            raise Unavailable(f"the pool {locked.prefix} still holds allocations")
        _audit("pool_delete", actor, pool=locked, prefix=locked.prefix)
        locked.delete()


# --- allocations ----------------------------------------------------------------------------------------------------


def prefix_allocate(
    *,
    pool: Pool,
    account: Account,
    actor: Actor,
    length: int | None = None,
    strategy: Strategy = "first-fit",
    prefix: str | None = None,
    description: str = "",
) -> Allocation:
    """Allocate a block of `pool` to `account`: the given `prefix`, or the next free block of `length` (the pool's
    default length if not given).

    `first-fit` takes the lowest free block; `sparse` takes the start of the largest free block (bisection), which
    leaves each allocation as much room as possible to grow into. Raises IpamError for bad input, Unavailable when the
    prefix is taken, PoolExhausted when no block of that length is free.
    """
    return _take(
        pool=pool,
        account=account,
        actor=actor,
        length=length,
        strategy=strategy,
        prefix=prefix,
        description=description,
        status=Status.ACTIVE,
    )


def prefix_reserve(
    *,
    pool: Pool,
    actor: Actor,
    prefix: str | None = None,
    length: int | None = None,
    account: Account | None = None,
    description: str = "",
) -> Allocation:
    """Reserve a block so that the allocator never hands it out: the provider's own ranges (no account), or room kept
    for a customer. Any length that fits in the pool may be reserved, not only the allowed ones."""
    return _take(
        pool=pool,
        account=account,
        actor=actor,
        length=length,
        strategy="first-fit",
        prefix=prefix,
        description=description,
        status=Status.RESERVED,
    )


def prefix_release(*, allocation: Allocation, actor: Actor) -> Allocation | None:
    """Release a block. A customer's block rests in quarantine for the pool's quarantine time (so that traffic or
    reverse DNS meant for the old holder does not reach the next one); a provider reservation, or any block of a pool
    without quarantine, is free at once. Returns the quarantined allocation, or None when the block is free."""
    with transaction.atomic():
        pool = _lock(allocation.pool)
        current = Allocation.objects.select_for_update().filter(pk=allocation.pk).first()
        if current is None or current.status == Status.QUARANTINED:
            raise Unavailable(f"{allocation.prefix} is not allocated")
        counts = _Counts(pool)
        _audit("release", actor, pool=pool, prefix=current.prefix, account=current.account)
        if current.account_id is not None:
            _reverse_clear(current, actor)
        if current.account_id is None or not pool.quarantine:
            _free(pool, counts, current)
            counts.save()
            return None
        counts.add(current.status, current.length, -1)
        counts.add(Status.QUARANTINED, current.length, 1)
        current.status = Status.QUARANTINED
        current.quarantined_until = timezone.now() + pool.quarantine
        current.save(update_fields=["status", "quarantined_until"])
        counts.save()
    allocation.status, allocation.quarantined_until = current.status, current.quarantined_until
    return current


def quarantine_expire(*, pool: Pool, actor: Actor) -> int:
    """Free the pool's quarantined blocks whose time is up; returns how many. Changes to a pool do this on the way."""
    with transaction.atomic():
        locked = _lock(pool)
        counts = _Counts(locked)
        freed = _expire(locked, counts, actor)
        counts.save()
    return freed


def _take(
    *,
    pool: Pool,
    account: Account | None,
    actor: Actor,
    length: int | None,
    strategy: Strategy,
    prefix: str | None,
    description: str,
    status: Status,
) -> Allocation:
    wanted = _parse(prefix) if prefix is not None else None
    if strategy not in STRATEGIES:
        raise IpamError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    with transaction.atomic():
        locked = _lock(pool)
        length = _check_length(locked, wanted, length, status)
        counts = _Counts(locked)
        _expire(locked, counts, actor)
        block = _claim(locked, counts, wanted, length, strategy)
        allocation = Allocation(
            pool=locked,
            prefix=str(block),
            start=block.key,
            length=block.length,
            account=account,
            status=status,
            description=description,
            allocated_by=actor.label[:200],
        )
        _insert(allocation)
        counts.add(status, block.length, 1)
        counts.save()
        action = "allocate" if status == Status.ACTIVE else "reserve"
        _audit(action, actor, pool=locked, prefix=allocation.prefix, account=account, detail={"strategy": strategy})
    return allocation


def _check_length(pool: Pool, wanted: Block | None, length: int | None, status: Status) -> int:
    if wanted is not None:
        if not pool.block.contains(wanted):
            raise IpamError(f"{wanted} is not inside the pool {pool.prefix}")
        if length is not None and length != wanted.length:
            raise IpamError(f"{wanted} is a /{wanted.length}, not a /{length}")
        length = wanted.length
    if length is None:
        length = pool.default_length
    if status == Status.ACTIVE and length not in pool.allowed_lengths:
        allowed = ", ".join(f"/{n}" for n in pool.allowed_lengths)
        raise IpamError(f"the pool {pool.prefix} hands out {allowed}, not /{length}")
    if not pool.length <= length <= BITS[pool.family]:
        raise IpamError(f"/{length} does not fit in the pool {pool.prefix}")
    return length


def _insert(allocation: Allocation) -> None:
    # No savepoint of its own: the error leaves through the caller's atomic block, which rolls the whole change back.
    try:
        allocation.save()
    except IntegrityError:
        # The free table said the block was free, yet the database refuses it: a row was written around the services.
        log.exception("free table of pool %s disagrees with its allocations", allocation.pool_id)
        raise Unavailable(f"{allocation.prefix} overlaps an existing allocation") from None


# --- the free table ---------------------------------------------------------------------------------------------------


def _claim(pool: Pool, counts: _Counts, wanted: Block | None, length: int, strategy: Strategy) -> Block:
    """Find a free block for the request, take it out of the free table, and return it."""
    if wanted is not None:
        holder = _free_block_containing(pool, wanted)
        if holder is None:
            raise Unavailable(_why_taken(pool, wanted))
        target = wanted
    else:
        holder = _first_fit(pool, length) if strategy == "first-fit" else _largest(pool, length)
        if holder is None:
            raise PoolExhausted(f"the pool {pool.prefix} has no free /{length} left")
        target = holder.first(length)
    pieces = carve(holder, target)
    FreeBlock.objects.filter(pool=pool, start=holder.key).delete()
    FreeBlock.objects.bulk_create([FreeBlock(pool=pool, start=p.key, length=p.length) for p in pieces])
    counts.add("free", holder.length, -1)
    for piece in pieces:
        counts.add("free", piece.length, 1)
    return target


def _first_fit(pool: Pool, length: int) -> Block | None:
    """The lowest free block of at least the requested size.

    A scan in address order skips every free block too small for the request; the counts on the pool row say how
    many there are. When they are few, that scan is the cheapest query; when fragmentation has made them many, ask
    instead for the lowest free block of each length that fits (one index probe per length, one UNION query).
    """
    free: dict[str, int] = pool.counts.get("free", {})
    fitting = sorted(int(n) for n in free if int(n) <= length)
    if not fitting:
        return None
    too_small = sum(count for n, count in free.items() if int(n) > length)
    if too_small <= SCAN_LIMIT:
        row = (
            FreeBlock.objects.filter(pool=pool, length__lte=length)
            .order_by("start")
            .values_list("start", "length")
            .first()
        )
        return None if row is None else Block(pool.family, int(row[0], 16), row[1])
    return _lowest_of_lengths(pool, fitting)


def _lowest_of_lengths(pool: Pool, lengths: list[int]) -> Block | None:
    table = FreeBlock._meta.db_table
    parts = [
        f"SELECT * FROM (SELECT start, length FROM {table} WHERE pool_id = %s AND length = %s ORDER BY start LIMIT 1) "  # noqa: S608 (no user text in the SQL)
        f"AS f{n}"
        for n in lengths
    ]
    params: list[int] = []
    for n in lengths:
        params += [pool.pk, n]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    if not rows:
        return None
    start, found = min(rows)
    return Block(pool.family, int(start, 16), found)


def _largest(pool: Pool, length: int) -> Block | None:
    row = (
        FreeBlock.objects.filter(pool=pool, length__lte=length)
        .order_by("length", "start")
        .values_list("start", "length")
        .first()
    )
    return None if row is None else Block(pool.family, int(row[0], 16), row[1])


def _free_block_containing(pool: Pool, wanted: Block) -> Block | None:
    # Free blocks are disjoint: the only one that can contain `wanted` is the last one starting at or below it.
    row = (
        FreeBlock.objects.filter(pool=pool, start__lte=wanted.key)
        .order_by("-start")
        .values_list("start", "length")
        .first()
    )
    if row is None:
        return None
    holder = Block(pool.family, int(row[0], 16), row[1])
    return holder if holder.contains(wanted) else None


def _why_taken(pool: Pool, wanted: Block) -> str:
    below = Allocation.objects.filter(pool=pool, start__lte=wanted.key).order_by("-start").first()
    if below is not None and below.block.overlaps(wanted):
        return f"{wanted} is not free: it overlaps {below.prefix} ({below.status})"
    inside = (
        Allocation.objects.filter(pool=pool, start__gt=wanted.key, start__lte=key(wanted.last))
        .order_by("start")
        .first()
    )
    if inside is not None:
        return f"{wanted} is not free: it contains {inside.prefix} ({inside.status})"
    return f"{wanted} is not free"


def _free(pool: Pool, counts: _Counts, allocation: Allocation) -> None:
    """Delete the allocation and give its block back to the free table, merged with every free buddy on the way up."""
    block = allocation.block
    counts.add(allocation.status, block.length, -1)
    allocation.delete()
    candidates = buddy_candidates(block, pool.length)
    free = dict(
        FreeBlock.objects.filter(pool=pool, start__in=[c.key for c in candidates]).values_list("start", "length")
    )
    merged: list[Block] = []
    for buddy in candidates:
        if free.get(buddy.key) != buddy.length:
            break
        merged.append(buddy)
        block = block.parent()
    if merged:
        FreeBlock.objects.filter(pool=pool, start__in=[b.key for b in merged]).delete()
    FreeBlock.objects.create(pool=pool, start=block.key, length=block.length)
    for buddy in merged:
        counts.add("free", buddy.length, -1)
    counts.add("free", block.length, 1)


def _expire(pool: Pool, counts: _Counts, actor: Actor) -> int:
    if not pool.counts.get(Status.QUARANTINED):
        return 0  # nothing rests in quarantine: spare the query
    due = list(
        Allocation.objects.filter(pool=pool, status=Status.QUARANTINED, quarantined_until__lte=timezone.now())
        .select_related("pool", "account")
        .order_by("quarantined_until")[:EXPIRE_BATCH]
    )
    for allocation in due:
        _free(pool, counts, allocation)
        _audit("quarantine_end", actor, pool=pool, prefix=allocation.prefix, account=allocation.account)
    return len(due)


class _Counts:
    """The pool's prefix counts per state and length, changed in memory and written once with the pool row."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def add(self, state: str, length: int, delta: int) -> None:
        per_length: dict[str, int] = self.pool.counts.setdefault(str(state), {})
        value = per_length.get(str(length), 0) + delta
        if value:
            per_length[str(length)] = value
        else:
            per_length.pop(str(length), None)

    def save(self) -> None:
        self.pool.save(update_fields=["counts", "updated"])


def _lock(pool: Pool) -> Pool:
    """Lock the pool row: every writer of one pool waits here, so what it reads below cannot move under it."""
    locked = Pool.objects.select_for_update().filter(pk=pool.pk).first()
    if locked is None:
        raise IpamError(f"the pool {pool.prefix} no longer exists")
    return locked


def _parse(text: str) -> Block:
    try:
        return prefix_parse(text)
    except PrefixError as exc:
        raise IpamError(str(exc)) from None


# --- space requests -------------------------------------------------------------------------------------------------


def space_request_file(
    *, account: Account, family: int, length: int, purpose: str, actor: Actor, key: ApiKey | None = None
) -> SpaceRequest:
    """A customer asks for a block of `length`; staff decide (space_request_approve, space_request_decline).

    With `key` (the API key the actor uses), only a writable key of `account` that is restricted to no zones, hosts
    or record types may: a key made for some DNS records is not one for address space.
    """
    _key_may_write(key, account)
    if key is not None and not apikey_account_wide(key):
        raise OutOfScope("an API key restricted to zones, hosts or record types cannot request address space")
    if family not in Family.values:
        raise IpamError("the family must be 4 or 6")
    if not 0 < length <= BITS[family]:
        raise IpamError(f"/{length} is not a valid IPv{family} prefix length")
    if not purpose.strip():
        raise IpamError("say what the space is for")
    with transaction.atomic():
        filed = SpaceRequest.objects.create(
            account=account, family=family, length=length, purpose=purpose.strip()[:500], requested_by=actor.label
        )
        _audit("space_request_file", actor, account=account, detail={"space_request": filed.pk, "length": length})
    return filed


def space_request_approve(
    *, space_request: SpaceRequest, pool: Pool, actor: Actor, strategy: Strategy = "sparse", prefix: str | None = None
) -> SpaceRequest:
    """Approve a pending request by allocating from `pool` (the next free block, or the given prefix)."""
    with transaction.atomic():
        current = _pending(space_request)
        if pool.family != current.family:
            raise IpamError(f"the request is for IPv{current.family} space; {pool.prefix} is IPv{pool.family}")
        allocation = prefix_allocate(
            pool=pool,
            account=current.account,
            actor=actor,
            length=current.length,
            strategy=strategy,
            prefix=prefix,
            description=current.purpose[:200],
        )
        _decide(current, SpaceRequestStatus.APPROVED, actor, allocation=allocation)
    return current


def space_request_decline(*, space_request: SpaceRequest, reason: str, actor: Actor) -> SpaceRequest:
    """Decline a pending request; the customer sees `reason`."""
    if not reason.strip():
        raise IpamError("give the customer a reason")
    with transaction.atomic():
        current = _pending(space_request)
        current.reason = reason.strip()[:500]
        _decide(current, SpaceRequestStatus.DECLINED, actor)
    return current


def _pending(space_request: SpaceRequest) -> SpaceRequest:
    current = SpaceRequest.objects.select_for_update().select_related("account").get(pk=space_request.pk)
    if current.status != SpaceRequestStatus.PENDING:
        raise Unavailable(f"the request was {current.status} already")
    return current


def _decide(
    space_request: SpaceRequest, status: SpaceRequestStatus, actor: Actor, allocation: Allocation | None = None
) -> None:
    space_request.status = status
    space_request.allocation = allocation
    space_request.decided_by = actor.label[:200]
    space_request.decided = timezone.now()
    space_request.save()
    _audit(
        f"space_request_{'approve' if status == SpaceRequestStatus.APPROVED else 'decline'}",
        actor,
        pool=allocation.pool if allocation else None,
        prefix=allocation.prefix if allocation else "",
        account=space_request.account,
        detail={"space_request": space_request.pk, "reason": space_request.reason},
    )


# --- reverse DNS -----------------------------------------------------------------------------------------------------
# The provider's reverse zones (ip6.arpa, in-addr.arpa) are ordinary zones. A customer changes the part of them that
# covers their own allocation, always through zones.services.zone_apply, so that each change is validated, journalled
# and pushed to the nameservers like any other.


def ptr_set(
    *, allocation: Allocation, address: str, hostname: str | None, actor: Actor, key: ApiKey | None = None
) -> ApplyResult:
    """Set (or with no hostname, remove) the PTR record of one address inside `allocation`.

    With `key` (the API key the actor uses): a writable key of the allocation's account, whose scope allows a PTR at
    that name of that reverse zone (`accounts.selectors.apikey_allows_reverse_record`).
    """
    _key_may_write(key, allocation.account)
    family, value = _address(address)
    if family != allocation.pool.family or not allocation.block.contains_address(value):
        raise IpamError(f"{address} is not inside {allocation.prefix}")
    if allocation.status != Status.ACTIVE:
        raise IpamError(f"{allocation.prefix} is not active")
    owner = reverse.address_name(family, value)
    zone = _reverse_zone(owner)
    _key_may_change(key, zone, reverse.relative(zone, owner), "PTR")
    if reverse.delegation_above(zone, owner):
        raise IpamError(f"the reverse DNS of {address} is delegated to other nameservers; set the PTR there")
    contents = (reverse.absolute(hostname),) if hostname else ()
    change = Replace(name=reverse.relative(zone, owner), type="PTR", contents=contents)
    with transaction.atomic():
        result = _apply(zone, [change], actor)
        _audit(
            "ptr_set",
            actor,
            pool=allocation.pool,
            prefix=allocation.prefix,
            account=allocation.account,
            detail={"address": address, "hostname": hostname or ""},
        )
    return result


def reverse_delegate(
    *, allocation: Allocation, nameservers: Sequence[str], actor: Actor, key: ApiKey | None = None
) -> list[ApplyResult]:
    """Delegate the reverse DNS of `allocation` to the customer's nameservers (none: remove the delegation).

    NS records go at every nibble (IPv6) or octet (IPv4) boundary name the allocation covers; an IPv4 block smaller
    than a /24 gets RFC 2317 classless delegation: NS records at '<first>-<last>' below the /24 name, and one CNAME per
    address pointing into it (any PTR at those addresses makes way for the CNAME).

    With `key` (the API key the actor uses): a writable key of the allocation's account whose scope allows every one
    of those records (NS, and for RFC 2317 also CNAME and PTR) in its reverse zone; otherwise nothing changes.
    """
    _key_may_write(key, allocation.account)
    if allocation.status != Status.ACTIVE:
        raise IpamError(f"{allocation.prefix} is not active")
    targets = tuple(reverse.absolute(ns) for ns in nameservers)
    plan = reverse.delegation_plan(allocation.block, targets)
    grouped = _by_zone(plan)
    for zone_owner, changes in grouped.items():
        for change in changes:
            _key_may_change(key, zone_owner, change.name, change.type)
    results = []
    with transaction.atomic():
        for zone_owner, changes in grouped.items():
            results.append(_apply(zone_owner, changes, actor))
        _audit(
            "reverse_delegate",
            actor,
            pool=allocation.pool,
            prefix=allocation.prefix,
            account=allocation.account,
            detail={"nameservers": list(targets)},
        )
    return results


def _reverse_clear(allocation: Allocation, actor: Actor) -> None:
    """Remove the holder's PTR records and delegation from the provider's reverse zones when they give the block
    back, so that the next holder does not inherit names that point at someone else."""
    block = allocation.block
    plan = reverse.delegation_plan(block, ())
    zone = reverse.zone_for(reverse.address_name(block.family, block.start))
    if zone is not None:
        for address, _hostname in reverse.ptr_records(zone=zone, block=block):
            plan.append((reverse.address_name(*address_parse(address)), "PTR", ()))
    for target, changes in _by_zone(plan, missing_ok=True).items():
        _apply(target, changes, actor)


def _by_zone(
    plan: list[tuple[dns.name.Name, str, tuple[str, ...]]], *, missing_ok: bool = False
) -> dict[Zone, list[Replace]]:
    """Group the plan's RRsets by the reverse zone holding each; a name in no zone is an error unless `missing_ok`
    (then it, and a name that is a zone's apex, which belongs to the provider, are left alone)."""
    grouped: dict[Zone, list[Replace]] = {}
    zones = reverse.zones_for([owner for owner, _, _ in plan])
    for owner, rdtype, contents in plan:
        zone = zones[owner]
        if missing_ok and (zone is None or reverse.relative(zone, owner) == "@"):
            continue
        if zone is None:
            raise IpamError(
                f"there is no reverse zone for {owner.to_text(omit_final_dot=True)}; ask staff to create it"
            )
        grouped.setdefault(zone, []).append(Replace(name=reverse.relative(zone, owner), type=rdtype, contents=contents))
    return grouped


def _key_may_write(key: ApiKey | None, account: Account | None) -> None:
    """A change made with an API key needs a writable key of the account concerned (None: no key, a session or the
    command line, whose rights the caller has checked)."""
    if key is None:
        return
    if key.read_only:
        raise OutOfScope("this API key is read-only")
    if account is None or key.account_id != account.pk:
        raise OutOfScope("this API key belongs to another account")


def _key_may_change(key: ApiKey | None, zone: Zone, host: str, rdtype: str) -> None:
    if key is not None and not apikey_allows_reverse_record(key, zone_name=zone.name, host=host, rdtype=rdtype):
        raise OutOfScope(f"this API key may not change {rdtype} records at {host} in {zone.name}")


def _reverse_zone(owner: dns.name.Name) -> Zone:
    zone = reverse.zone_for(owner)
    if zone is None:
        raise IpamError(f"there is no reverse zone for {owner.to_text(omit_final_dot=True)}; ask staff to create it")
    return zone


def _apply(zone: Zone, changes: Sequence[Operation], actor: Actor) -> ApplyResult:
    # A customer never acts as staff here, whatever interface they came through: the zone's apex stays the provider's.
    customer = Actor(interface=actor.interface, label=actor.label, user=actor.user, address=actor.address)
    result = zone_apply(zone=zone, changes=changes, actor=customer)
    if not result.ok:
        raise IpamError("; ".join(result.errors))
    return result


def _address(text: str) -> tuple[int, int]:
    try:
        return address_parse(text)
    except PrefixError as exc:
        raise IpamError(str(exc)) from None


# --- audit ----------------------------------------------------------------------------------------------------------


def _audit(
    action: str,
    actor: Actor,
    *,
    pool: Pool | None = None,
    prefix: str = "",
    account: Account | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    Event.objects.create(  # type: ignore[misc]  # actor.user is the AUTH_USER_MODEL instance the stubs cannot see
        action=action,
        pool=pool,
        prefix=prefix,
        account=account,
        detail=detail or {},
        actor=actor.label[:200],
        user=user,
        interface=actor.interface.value,
        client_address=actor.address,
    )


__all__: Sequence[str] = [
    "IpamError",
    "PoolExhausted",
    "Unavailable",
    "pool_create",
    "pool_delete",
    "prefix_allocate",
    "prefix_release",
    "prefix_reserve",
    "ptr_set",
    "quarantine_expire",
    "reverse_delegate",
    "space_request_approve",
    "space_request_decline",
    "space_request_file",
]
