"""Benchmark: allocate the next free /64 from a /32 pool that already holds 10k, 100k and 1M allocations.

Usage: .venv/bin/python bench/ipam_allocate.py [--sizes 10000,100000,1000000] [--samples 500]
       DATABASE_URL=postgres://postgres@127.0.0.1:5432/ipam_bench (the default; the database is created if missing and
       its ipam tables are emptied between sizes). Any other DATABASE_URL (SQLite) works too, only slower to load.

Each size bulk-loads the pool as first-fit would have left it (N /64s from the bottom, the free table its buddy
decomposition, the counts on the pool row) with COPY on PostgreSQL, then times `samples` calls of the real service
`prefix_allocate` (each its own transaction, like a request) for both strategies, and the utilisation report.
Prints a table and the command that produced it.

Loading the 1M pool takes a minute or two on PostgreSQL, most of it building the exclusion constraint's GiST index
once after the COPY; the timed allocations run with the constraint in place.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
import psycopg
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ipam_bench"
POOL = "2001:db8::/32"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the pool the last run left (no reload: on a busy machine, "
        "repeat the measurement when it is quiet)",
    )
    args = parser.parse_args()
    url = _setup()
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.reuse:
        from ipam.models import Allocation

        sizes = [Allocation.objects.count()]
        args.sizes = "(reused)"
    rows = [_measure(size, args.samples, reload=not args.reuse) for size in sizes]
    _print(rows, url, args)


def _setup() -> str:
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if url.startswith("postgres"):
        _create_database(url)

    django.setup()

    call_command("migrate", verbosity=0)
    return url


def _create_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _measure(size: int, samples: int, *, reload: bool = True) -> dict[str, Any]:
    from accounts.actors import Actor
    from accounts.models import Account
    from ipam.models import Pool
    from ipam.selectors import pool_utilisation
    from ipam.services import prefix_allocate

    account = _reset() if reload else Account.objects.get(name="bench")
    load_seconds = _load(size, account) if reload else 0.0
    actor = Actor.cli("benchmark")
    pool = Pool.objects.get(prefix=POOL)
    row: dict[str, Any] = {"size": size, "load": load_seconds}
    for strategy in ("first-fit", "sparse"):

        def allocate(strategy: Any = strategy) -> None:
            prefix_allocate(pool=pool, length=64, account=account, actor=actor, strategy=strategy)

        row[strategy] = _timed(allocate, samples)
    # The same call inside a transaction that is rolled back: the allocator's work without the commit's WAL flush,
    # which is the disk's latency (and, on a shared machine, its queue), not the allocator's.
    row["work"] = _timed(lambda: _rolled_back(allocate), samples)
    row["report"] = _timed(lambda: pool_utilisation(pool=Pool.objects.get(pk=pool.pk)), 50)
    row["scan"] = _timed(lambda: _recount(pool.pk), 3)
    return row


def _reset() -> Any:
    from accounts.models import Account

    tables = ["ipam_event", "ipam_request", "ipam_freeblock", "ipam_allocation", "ipam_pool"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    account, _ = Account.objects.get_or_create(name="bench")
    return account


def _load(size: int, account: Any) -> float:
    """Write the state first-fit leaves after `size` /64s: allocations from the bottom, free table, counts."""
    from accounts.actors import Actor
    from ipam.models import FreeBlock
    from ipam.prefixes import decompose, prefix_parse
    from ipam.services import pool_create

    started = time.perf_counter()
    outer = prefix_parse(POOL)
    step = 1 << 64
    with transaction.atomic():
        pool = pool_create(prefix=POOL, default_length=64, allowed_lengths=[48, 56, 64], actor=Actor.cli("benchmark"))
        FreeBlock.objects.filter(pool=pool).delete()
        free = list(decompose(6, outer.start + size * step, outer.last))
        FreeBlock.objects.bulk_create([FreeBlock(pool=pool, start=b.key, length=b.length) for b in free])
        counts: dict[str, dict[str, int]] = {"active": {"64": size}, "free": {}}
        for block in free:
            counts["free"][str(block.length)] = counts["free"].get(str(block.length), 0) + 1
        pool.counts = counts
        pool.save(update_fields=["counts"])
        now = timezone.now().isoformat()
        rows = (_allocation_row(outer.start + i * step, pool.pk, account.pk, now) for i in range(size))
        if connection.vendor == "postgresql":
            # One GiST build after the load takes seconds; a million single inserts into it take minutes.
            overlap = importlib.import_module("ipam.migrations.0004_allocation_non_overlap_as_numeric_range")
            # The rows are consistent by construction: skip the per-row foreign key triggers (superuser, bench only).
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE ipam_allocation DROP CONSTRAINT allocation_no_overlap")
                cursor.execute("SET LOCAL session_replication_role = replica")
            _copy(rows)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
                cursor.execute(overlap.CONSTRAINT)
        else:
            _insert(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As autovacuum would (it may be off on a test server): statistics and the visibility map of the load.
            for table in ("ipam_allocation", "ipam_freeblock", "ipam_pool"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def _allocation_row(start: int, pool_id: int, account_id: int, now: str) -> tuple[Any, ...]:
    from ipam.prefixes import Block

    block = Block(6, start, 64)
    return (pool_id, str(block), block.key, 64, account_id, "active", "", "benchmark", now)


COLUMNS = "pool_id, prefix, start, length, account_id, status, description, allocated_by, created"


def _copy(rows: Any) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(str(value) for value in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY ipam_allocation ({COLUMNS}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)


def _insert(rows: Any) -> None:
    batch: list[tuple[Any, ...]] = []
    sql = f"INSERT INTO ipam_allocation ({COLUMNS}) VALUES ({', '.join(['%s'] * 9)})"
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def _rolled_back(call: Callable[[], object]) -> None:
    with transaction.atomic():
        call()
        transaction.set_rollback(True)


def _recount(pool_id: int) -> None:
    """What the report would cost without the counts kept on the pool row: a GROUP BY over every allocation."""
    from ipam.models import Allocation

    list(Allocation.objects.filter(pool_id=pool_id).values("status", "length").annotate(n=Count("id")))


def _timed(call: Callable[[], object], samples: int) -> dict[str, float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "max": times[-1],
    }


def _print(rows: list[dict[str, Any]], url: str, args: argparse.Namespace) -> None:
    print(f"\nipam allocate benchmark: next free /64 from {POOL}; {args.samples} samples per cell; {connection.vendor}")
    header = f"{'allocations':>12} {'load s':>7} {'first-fit p50/p99':>18} {'sparse p50/p99':>16}"
    print(header + f" {'no-commit p50/p99':>18} {'report p50/p99':>15} {'GROUP BY scan':>14}   (ms)")
    for row in rows:
        cells = " ".join(
            f"{row[k]['p50']:>{w - 9}.2f} / {row[k]['p99']:<6.2f}"
            for k, w in (("first-fit", 18), ("sparse", 16), ("work", 18), ("report", 15))
        )
        print(f"{row['size']:>12,} {row['load']:>7.1f} {cells} {row['scan']['p50']:>14.1f}")
    options = "--reuse" if args.reuse else f"--sizes {args.sizes}"
    print(f"\ncommand: DATABASE_URL={url} .venv/bin/python bench/ipam_allocate.py {options} --samples {args.samples}")


if __name__ == "__main__":
    main()
