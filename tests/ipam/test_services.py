"""The allocator and the other address-space services: behaviour, bad input, audit, and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account
from ipam.models import Allocation, Event, FreeBlock, Pool, SpaceRequestStatus, Status
from ipam.selectors import account_utilisation, pool_utilisation
from ipam.services import (
    IpamError,
    PoolExhausted,
    Unavailable,
    pool_create,
    pool_delete,
    prefix_allocate,
    prefix_release,
    prefix_reserve,
    quarantine_expire,
    space_request_approve,
    space_request_decline,
    space_request_file,
)
from tests.ipam.conftest import assert_pool_consistent


def test_first_allocations_are_the_lowest_blocks_in_order(pool6: Pool, account: Account, cli_actor: Actor) -> None:
    got = [prefix_allocate(pool=pool6, account=account, actor=cli_actor).prefix for _ in range(3)]
    assert got == ["2001:db8::/48", "2001:db8:1::/48", "2001:db8:2::/48"]
    assert_pool_consistent(pool6)


def test_first_fit_refills_the_lowest_hole_after_quarantine_ends(
    pool6: Pool, account: Account, cli_actor: Actor
) -> None:
    first, _second = (prefix_allocate(pool=pool6, account=account, actor=cli_actor) for _ in range(2))
    prefix_release(allocation=first, actor=cli_actor)
    assert prefix_allocate(pool=pool6, account=account, actor=cli_actor).prefix == "2001:db8:2::/48"
    Allocation.objects.filter(pk=first.pk).update(quarantined_until=timezone.now() - datetime.timedelta(seconds=1))
    assert prefix_allocate(pool=pool6, account=account, actor=cli_actor).prefix == "2001:db8::/48"
    assert_pool_consistent(pool6)


def test_sparse_allocations_bisect_the_pool(pool6: Pool, account: Account, cli_actor: Actor) -> None:
    got = [prefix_allocate(pool=pool6, account=account, actor=cli_actor, strategy="sparse").prefix for _ in range(4)]
    assert got == ["2001:db8::/48", "2001:db8:8000::/48", "2001:db8:4000::/48", "2001:db8:c000::/48"]


def test_a_specific_prefix_is_allocated_exactly_and_only_once(
    pool6: Pool, account: Account, other_account: Account, cli_actor: Actor
) -> None:
    got = prefix_allocate(pool=pool6, account=account, prefix="2001:db8:abcd::/48", actor=cli_actor)
    assert got.prefix == "2001:db8:abcd::/48"
    with pytest.raises(Unavailable, match="overlaps 2001:db8:abcd::/48"):
        prefix_allocate(pool=pool6, account=other_account, prefix="2001:db8:abcd:ef00::/56", actor=cli_actor)
    with pytest.raises(Unavailable, match="contains 2001:db8:abcd::/48"):
        prefix_reserve(pool=pool6, prefix="2001:db8:a000::/36", actor=cli_actor)


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("2001:db8::1/48", "host bits set"),
        ("2001:db9::/48", "not inside the pool"),
        ("2001:db8::", "needs a length"),
        ("banana/48", "not a valid prefix"),
    ],
)
def test_bad_prefixes_are_refused_and_nothing_changes(
    pool6: Pool, account: Account, cli_actor: Actor, prefix: str, message: str
) -> None:
    with pytest.raises(IpamError, match=message):
        prefix_allocate(pool=pool6, account=account, prefix=prefix, actor=cli_actor)
    assert not Allocation.objects.exists()
    assert list(Event.objects.values_list("action", flat=True)) == ["pool_create"]


def test_a_length_the_pool_does_not_hand_out_is_refused(pool6: Pool, account: Account, cli_actor: Actor) -> None:
    with pytest.raises(IpamError, match="hands out /48, /56, /64, not /52"):
        prefix_allocate(pool=pool6, account=account, length=52, actor=cli_actor)
    # A reservation may take any length: the provider's own ranges need not be customer-sized.
    assert prefix_reserve(pool=pool6, length=52, actor=cli_actor).prefix == "2001:db8::/52"


def test_an_exhausted_pool_says_so_and_keeps_its_state(account: Account, cli_actor: Actor) -> None:
    pool = pool_create(prefix="192.0.2.0/30", default_length=31, actor=cli_actor)
    prefix_allocate(pool=pool, account=account, actor=cli_actor)
    prefix_allocate(pool=pool, account=account, actor=cli_actor)
    with pytest.raises(PoolExhausted, match="no free /31 left"):
        prefix_allocate(pool=pool, account=account, actor=cli_actor)
    assert Allocation.objects.filter(pool=pool).count() == 2
    pool.refresh_from_db()
    assert pool_utilisation(pool=pool).largest_free is None
    assert_pool_consistent(pool)


def test_reserved_ranges_are_never_handed_out(pool4: Pool, account: Account, cli_actor: Actor) -> None:
    prefix_reserve(pool=pool4, prefix="198.51.100.0/26", description="routers", actor=cli_actor)
    got = prefix_allocate(pool=pool4, account=account, length=26, actor=cli_actor)
    assert got.prefix == "198.51.100.64/26"


def test_released_space_stays_quarantined_until_its_time(pool4: Pool, account: Account, cli_actor: Actor) -> None:
    block = prefix_allocate(pool=pool4, account=account, length=24, actor=cli_actor)
    released = prefix_release(allocation=block, actor=cli_actor)
    assert released is not None
    assert released.quarantined_until is not None
    assert released.quarantined_until - timezone.now() > datetime.timedelta(days=6)
    with pytest.raises(PoolExhausted):
        prefix_allocate(pool=pool4, account=account, length=32, actor=cli_actor)
    assert quarantine_expire(pool=pool4, actor=cli_actor) == 0
    Allocation.objects.filter(pk=block.pk).update(quarantined_until=timezone.now())
    assert quarantine_expire(pool=pool4, actor=cli_actor) == 1
    assert list(FreeBlock.objects.filter(pool=pool4).values_list("length", flat=True)) == [24]


def test_releasing_twice_is_refused(pool4: Pool, account: Account, cli_actor: Actor) -> None:
    block = prefix_allocate(pool=pool4, account=account, actor=cli_actor)
    prefix_release(allocation=block, actor=cli_actor)
    with pytest.raises(Unavailable, match="not allocated"):
        prefix_release(allocation=block, actor=cli_actor)


def test_overlapping_pools_are_refused(pool6: Pool, cli_actor: Actor) -> None:
    with pytest.raises(Unavailable, match="overlaps the pool 2001:db8::/32"):
        pool_create(prefix="2001:db8:8000::/33", default_length=48, actor=cli_actor)
    with pytest.raises(Unavailable, match="overlaps"):
        pool_create(prefix="2001::/16", default_length=48, actor=cli_actor)
    assert Pool.objects.count() == 1


def test_a_pool_cannot_hand_out_lengths_that_do_not_fit(db, cli_actor: Actor) -> None:
    with pytest.raises(IpamError, match="/16 is not a length that fits"):
        pool_create(prefix="2001:db8::/32", default_length=16, actor=cli_actor)
    assert not Pool.objects.exists()


def test_a_pool_with_allocations_cannot_be_deleted(pool4: Pool, account: Account, cli_actor: Actor) -> None:
    prefix_allocate(pool=pool4, account=account, actor=cli_actor)
    with pytest.raises(Unavailable, match="still holds allocations"):
        pool_delete(pool=pool4, actor=cli_actor)


def test_utilisation_counts_addresses_prefixes_and_the_largest_free_block(
    pool4: Pool, account: Account, cli_actor: Actor
) -> None:
    prefix_allocate(pool=pool4, account=account, length=26, actor=cli_actor)
    prefix_allocate(pool=pool4, account=account, length=29, actor=cli_actor)
    prefix_reserve(pool=pool4, prefix="198.51.100.128/25", actor=cli_actor)
    pool4.refresh_from_db()
    usage = pool_utilisation(pool=pool4)
    assert (usage.active.prefixes, usage.active.addresses) == (2, 64 + 8)
    assert usage.reserved.addresses == 128
    assert usage.free.addresses == 256 - 64 - 8 - 128
    assert usage.largest_free == 27
    assert round(usage.percent_used, 2) == 78.12
    (v4,) = account_utilisation(account=account)
    assert (v4.family, v4.active.prefixes, v4.active.addresses) == (4, 2, 72)


def test_ipv6_addresses_are_counted_exactly_beyond_64_bits(pool6: Pool, account: Account, cli_actor: Actor) -> None:
    prefix_allocate(pool=pool6, account=account, actor=cli_actor)
    pool6.refresh_from_db()
    usage = pool_utilisation(pool=pool6)
    assert usage.active.addresses == 2**80
    assert usage.free.addresses == 2**96 - 2**80


def test_every_change_is_audited(pool4: Pool, account: Account, cli_actor: Actor) -> None:
    block = prefix_allocate(pool=pool4, account=account, actor=cli_actor)
    prefix_release(allocation=block, actor=cli_actor)
    events = list(Event.objects.order_by("id").values_list("action", "prefix", "actor"))
    assert events == [
        ("pool_create", "198.51.100.0/24", "test suite"),
        ("allocate", "198.51.100.0/29", "test suite"),
        ("release", "198.51.100.0/29", "test suite"),
    ]


def test_a_request_approved_allocates_and_one_declined_carries_the_reason(
    pool6: Pool, account: Account, cli_actor: Actor, customer_actor: Actor
) -> None:
    wanted = space_request_file(account=account, family=6, length=56, purpose="VM host", actor=customer_actor)
    approved = space_request_approve(space_request=wanted, pool=pool6, actor=cli_actor)
    assert approved.status == SpaceRequestStatus.APPROVED
    assert approved.allocation is not None
    assert approved.allocation.account == account
    assert approved.allocation.length == 56
    with pytest.raises(Unavailable, match="approved already"):
        space_request_decline(space_request=wanted, reason="changed my mind", actor=cli_actor)
    other = space_request_file(account=account, family=6, length=48, purpose="more", actor=customer_actor)
    declined = space_request_decline(space_request=other, reason="use the /56 first", actor=cli_actor)
    assert (declined.status, declined.reason) == (SpaceRequestStatus.DECLINED, "use the /56 first")


def test_approving_into_a_pool_of_the_other_family_is_refused(pool4: Pool, account: Account, cli_actor: Actor) -> None:
    wanted = space_request_file(account=account, family=6, length=56, purpose="VM host", actor=cli_actor)
    with pytest.raises(IpamError, match="IPv6 space"):
        space_request_approve(space_request=wanted, pool=pool4, actor=cli_actor)
    wanted.refresh_from_db()
    assert wanted.status == SpaceRequestStatus.PENDING


def test_allocating_costs_a_fixed_number_of_queries(
    pool6: Pool, account: Account, cli_actor: Actor, django_assert_max_num_queries
) -> None:
    for _ in range(20):
        prefix_allocate(pool=pool6, account=account, length=64, actor=cli_actor)
    # savepoint, lock, find, delete + insert free blocks, insert, counts, audit, release
    with django_assert_max_num_queries(9):
        prefix_allocate(pool=pool6, account=account, length=64, actor=cli_actor)
    assert Allocation.objects.filter(status=Status.ACTIVE).count() == 21
