"""What only real parallel transactions and PostgreSQL's exclusion constraints can show."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.actors import Actor
from accounts.models import Account
from ipam.models import Allocation, Pool
from ipam.prefixes import Block, prefix_parse
from ipam.services import Strategy, pool_create, prefix_allocate
from tests.ipam.conftest import assert_pool_consistent

THREADS = 32


def _in_parallel(work: Callable[[int], str]) -> tuple[list[str], list[BaseException]]:
    """Run `work(i)` in THREADS threads released together; each closes its own connection."""
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append(work(index))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_allocations_from_one_pool_are_distinct_and_disjoint(account: Account, cli_actor: Actor) -> None:
    pool = pool_create(prefix="2001:db8::/32", default_length=64, allowed_lengths=[48, 56, 64], actor=cli_actor)

    def allocate(index: int) -> str:
        strategy: Strategy = "sparse" if index % 3 == 0 else "first-fit"
        length = (48, 56, 64)[index % 3]
        return prefix_allocate(pool=pool, account=account, length=length, strategy=strategy, actor=cli_actor).prefix

    results, errors = _in_parallel(allocate)
    assert errors == []
    assert len(results) == len(set(results)) == THREADS
    blocks = sorted(prefix_parse(p) for p in results)
    assert all(a.last < b.start for a, b in itertools.pairwise(blocks))
    assert Allocation.objects.filter(pool=pool).count() == THREADS
    assert_pool_consistent(pool)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_first_fit_allocations_fill_the_pool_from_the_bottom(account: Account, cli_actor: Actor) -> None:
    pool = pool_create(prefix="198.51.100.0/24", default_length=29, actor=cli_actor)
    results, errors = _in_parallel(lambda _: prefix_allocate(pool=pool, account=account, actor=cli_actor).prefix)
    assert errors == []
    assert sorted(results, key=lambda p: prefix_parse(p).start) == [f"198.51.100.{8 * i}/29" for i in range(THREADS)]


@pytest.mark.postgres
def test_the_database_refuses_an_overlapping_allocation_written_behind_the_services(
    account: Account, cli_actor: Actor
) -> None:
    pool = pool_create(prefix="2001:db8::/32", default_length=48, actor=cli_actor)
    prefix_allocate(pool=pool, account=account, prefix="2001:db8:1::/48", actor=cli_actor)
    inside = Block(6, prefix_parse("2001:db8:1:ff00::/56").start, 56)
    covering = Block(6, prefix_parse("2001:db8::/40").start, 40)
    for block in (inside, covering):
        row = Allocation(pool=pool, prefix=str(block), start=block.key, length=block.length, account=account)
        with pytest.raises(IntegrityError, match="allocation_no_overlap"), transaction.atomic():
            row.save()
    # IPv4 keys are the same small numbers as those of ::/96; the constraint keeps the families apart.
    low6 = pool_create(prefix="::/64", default_length=96, actor=cli_actor)
    low4 = pool_create(prefix="0.0.0.0/8", default_length=8, actor=cli_actor)
    assert prefix_allocate(pool=low6, account=account, actor=cli_actor).prefix == "::/96"
    assert prefix_allocate(pool=low4, account=account, actor=cli_actor).prefix == "0.0.0.0/8"


@pytest.mark.postgres
def test_the_database_refuses_an_overlapping_pool_written_behind_the_services(db, cli_actor: Actor) -> None:
    pool_create(prefix="10.0.0.0/8", default_length=24, actor=cli_actor)
    with pytest.raises(IntegrityError, match="pool_no_overlap"), transaction.atomic():
        Pool.objects.create(prefix="10.1.0.0/16", family=4, start="0" * 24 + "0a010000", length=16, default_length=24)
