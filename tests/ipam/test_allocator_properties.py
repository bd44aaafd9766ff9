"""Property tests: whatever sequence of allocate, reserve, release and time passing, the pool stays exact, and the
allocator answers as a brute-force model of the same small pool does."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.actors import Actor
from accounts.models import Account
from ipam import services
from ipam.models import Allocation, Pool, Status
from ipam.prefixes import Block, prefix_parse
from ipam.services import (
    IpamError,
    PoolExhausted,
    Strategy,
    Unavailable,
    pool_create,
    prefix_allocate,
    prefix_release,
    prefix_reserve,
)
from tests.ipam.conftest import assert_pool_consistent

# Small pools, so that the model can try every aligned block; one IPv6 pool high in the address space, so that the
# 128-bit arithmetic and the hex keys are exercised where a float or a 64-bit integer would break.
POOLS = ["192.0.2.0/24", "2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120"]


@dataclass
class Model:
    """The pool as a set of taken blocks: start -> (block, status, expirable)."""

    pool: Block
    taken: dict[int, tuple[Block, str, bool]] = field(default_factory=dict)

    def busy(self) -> list[Block]:
        return [block for block, _status, expirable in self.taken.values() if not expirable]

    def is_free(self, candidate: Block) -> bool:
        return not any(candidate.overlaps(block) for block in self.busy())

    def aligned(self, length: int) -> list[Block]:
        size = 1 << (self.pool.bits - length)
        return [Block(self.pool.family, s, length) for s in range(self.pool.start, self.pool.last + 1, size)]

    def first_fit(self, length: int) -> Block | None:
        return next((b for b in self.aligned(length) if self.is_free(b)), None)

    def sparse(self, length: int) -> Block | None:
        # The start of the largest maximal free block (free, and its parent not free), the lowest of equals.
        for level in range(self.pool.length, length + 1):
            for block in self.aligned(level):
                if self.is_free(block) and (level == self.pool.length or not self.is_free(block.parent())):
                    return block.first(length)
        return None

    def expire(self) -> None:
        for start in [s for s, (_, _, expirable) in self.taken.items() if expirable]:
            del self.taken[start]


lengths = st.integers(min_value=0, max_value=8)  # added to the pool length; /24../32 or /120../128
operations = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), lengths, st.sampled_from(["first-fit", "sparse"])),
        st.tuples(st.just("allocate_at"), lengths, st.integers(0, 255)),
        st.tuples(st.just("reserve"), lengths, st.integers(0, 255)),
        st.tuples(st.just("release"), st.integers(0, 1000), st.booleans()),
        st.tuples(st.just("time_passes"), st.just(0), st.just(0)),
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool_prefix=st.sampled_from(POOLS), ops=operations, scan_limit=st.sampled_from([0, 64]))
def test_any_sequence_keeps_the_pool_exact_and_first_fit_lowest(
    pool_prefix: str, ops: list[tuple[str, int, object]], scan_limit: int, account: Account, cli_actor: Actor
) -> None:
    # Both ways first-fit finds the lowest block: the address-order scan, and the per-length probes (limit 0).
    saved, services.SCAN_LIMIT = services.SCAN_LIMIT, scan_limit
    try:
        with transaction.atomic():
            _run(pool_prefix, ops, account, cli_actor)
            transaction.set_rollback(True)  # every example starts from an empty database
    finally:
        services.SCAN_LIMIT = saved


def _run(pool_prefix: str, ops: list[tuple[str, int, object]], account: Account, actor: Actor) -> None:
    outer = prefix_parse(pool_prefix)
    pool = pool_create(
        prefix=pool_prefix,
        default_length=outer.length + 8,
        allowed_lengths=range(outer.length, outer.bits + 1),
        quarantine=datetime.timedelta(days=1),
        actor=actor,
    )
    model = Model(outer)
    for op, extra, arg in ops:
        length = outer.length + extra
        if op == "allocate":
            strategy: Strategy = "sparse" if arg == "sparse" else "first-fit"
            expected = model.first_fit(length) if strategy == "first-fit" else model.sparse(length)
            call = partial(prefix_allocate, pool=pool, length=length, account=account, strategy=strategy)
            _expect(model, expected, call, actor, Status.ACTIVE)
        elif op in {"allocate_at", "reserve"}:
            assert isinstance(arg, int)
            size = outer.first(length).size
            wanted = Block(outer.family, outer.start + (arg * size) % outer.size, length)
            expected = wanted if model.is_free(wanted) else None
            if op == "allocate_at":
                call = partial(prefix_allocate, pool=pool, prefix=str(wanted), account=account)
                _expect(model, expected, call, actor, Status.ACTIVE)
            else:
                owner = account if arg % 2 else None
                call = partial(prefix_reserve, pool=pool, prefix=str(wanted), account=owner)
                _expect(model, expected, call, actor, Status.RESERVED)
        elif op == "release":
            _release(model, pool, extra, actor)
        else:
            # Time passes: every quarantine ends; the next allocation or reservation frees those blocks first.
            Allocation.objects.filter(pool=pool, status=Status.QUARANTINED).update(
                quarantined_until=timezone.now() - datetime.timedelta(seconds=1)
            )
            model.taken = {s: (b, st_, st_ == Status.QUARANTINED) for s, (b, st_, _) in model.taken.items()}
        assert_pool_consistent(pool)
        in_db = {(a.start, a.length, a.status) for a in Allocation.objects.filter(pool=pool)}
        assert in_db == {(b.key, b.length, s) for b, s, _ in model.taken.values()}


def _release(model: Model, pool: Pool, pick: int, actor: Actor) -> None:
    live = sorted(s for s, (_, status, _) in model.taken.items() if status != Status.QUARANTINED)
    if not live:
        return
    start = live[pick % len(live)]
    block = model.taken[start][0]
    allocation = Allocation.objects.get(pool=pool, start=block.key)
    result = prefix_release(allocation=allocation, actor=actor)
    if allocation.account_id is None:  # a provider reservation is free at once
        assert result is None
        del model.taken[start]
    else:
        assert result is not None
        assert result.status == Status.QUARANTINED
        model.taken[start] = (block, Status.QUARANTINED, False)


def _expect(model: Model, expected: Block | None, call: Callable[..., Allocation], actor: Actor, status: str) -> None:
    if expected is None:
        with pytest.raises((PoolExhausted, Unavailable)):
            call(actor=actor)
        return
    try:
        allocation = call(actor=actor)
    except IpamError as exc:
        raise AssertionError(f"expected {expected}, got the error {exc}") from exc
    assert allocation.prefix == str(expected)
    model.expire()
    assert model.is_free(expected), "handed out space that is reserved, quarantined or allocated"
    model.taken[expected.start] = (expected, status, False)
