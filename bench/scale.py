"""Benchmark at provider size (issue 15): every page and command on 100,000 zones, 3 M records and 1 M changes.

Builds the data set of bench/scale_load.py in a database of its own on the PostgreSQL server of POSTGRES_URL (migrate,
then set-based SQL with the secondary indexes built after the load), then measures each row of the table below
in-process (pages through django.test.Client with force_login, commands through call_command, the services called
directly; server time around the call, median of 5 after one warm-up, queries counted with CaptureQueriesContext) and
the legacy API over HTTP (gunicorn, as bench/harness.py starts it). Pushes are enqueued on the Redis of --broker in a
queue of their own (purged at the end), as production does; the database is dropped at the end unless --keep.

  .venv/bin/python bench/scale.py                      # full size (load: minutes), measure, drop
  .venv/bin/python bench/scale.py --scale 0.02         # the quick run of `make bench`
  .venv/bin/python bench/scale.py --database scale_ref --keep --no-measure   # a loaded database for others to copy
  .venv/bin/python bench/scale.py --reuse scale_copy --only dashboard,search # measure a loaded database again
  .venv/bin/python bench/scale.py --reuse scale_copy --only verifier          # rows that write: on a copy, by name

A row is a function of `Bench` returning a `Measurement`; add one to ROWS and it is measured, printed and
selectable with --only. A row that writes (`verifier`: two BIND servers and the verifier's passes) is measured after
the others, and on a reused database only when --only names it: never on scale_ref itself, which others copy.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, manage, start_gunicorn, stop
from bench.scale_load import BIG_ACCOUNT, BIG_ZONE, BULK_TABLES, HISTORY_ZONE_ID, SPACE_ACCOUNT, Shape, load, progress

CUSTOMER_USER = "bigcorp-admin"  # member of bigcorp, the account of 5,000 zones
SPACE_USER = "spacecorp-admin"  # member of spacecorp, the account of ~100 allocations
STAFF_USER = "staff"
LEGACY_PASSWORD = "bench-scale-legacy-password"  # the Primary DNS API v1 password of one zone (see provision)
RUNS = 5
DEFAULT_TARGET_MS = 100.0


# --- the command line -----------------------------------------------------------------------------------------------


def main() -> None:
    args = _arguments()
    name = args.reuse or args.database
    server = args.postgres.rstrip("/")
    url = f"{server}/{name}"
    queue = f"bench-scale-{os.getpid()}"
    _environment(url, args.broker, queue)
    django.setup()
    built: dict[str, Any] = {}
    if not args.reuse:
        _create_database(server, name)  # refuses an existing one: only what this run created is dropped below
    try:
        if not args.reuse:
            built = _build(url, Shape.at(args.scale))
        if not args.no_measure:
            _report(_measure(_rows(args.only, reused=bool(args.reuse))), url, built)
    finally:
        _close_connections()
        _purge(args.broker, queue)
        if not args.reuse and not args.keep:
            _drop_database(server, name)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="bench_scale", help="the database to build (refused if it exists)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: issue 15's provider; 0.02 for a quick run")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", metavar="NAME", help="measure this loaded database (never dropped) instead")
    parser.add_argument("--only", metavar="ROW,...", help=f"measure these rows only: {', '.join(r.key for r in ROWS)}")
    parser.add_argument("--no-measure", action="store_true", help="build only (with --keep: a database to copy)")
    parser.add_argument(
        "--broker",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the cache and the pushes' queue (a queue of this run's own, purged at the end)",
    )
    args = parser.parse_args()
    if args.no_measure and not args.keep and not args.reuse:
        parser.error("--no-measure without --keep would build a database only to drop it")
    _rows(args.only)  # refuse unknown rows before a load of minutes
    return args


def _environment(url: str, broker: str, queue: str) -> None:
    """The product's settings (panel.settings) for this database: set before django.setup(), and inherited by the
    gunicorn of the legacy row. Staff pages without the TOTP step: force_login has no second factor to verify."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="60",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-scale-secret-key"),
        ALLOWED_HOSTS="testserver,127.0.0.1",
        SECURE_COOKIES="0",
        STAFF_REQUIRE_TOTP="0",
        LOG_LEVEL="WARNING",
        REDIS_URL=broker,
        CELERY_BROKER_URL=broker,
        CELERY_QUEUE=queue,
    )


# --- building -------------------------------------------------------------------------------------------------------


def _create_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"the database {name} exists: measure it with --reuse {name}, or drop it first")
        conn.execute(f'CREATE DATABASE "{name}"')


def _build(url: str, shape: Shape) -> dict[str, Any]:
    from django.conf import settings

    name = url.rsplit("/", 1)[1]
    progress(f"building {name} at scale {shape.scale} (issue 15's provider at 1.0)")
    started = time.perf_counter()
    # As an installation's `migrate` leaves it: with the default (database) cache, whose table a migration creates;
    # this process's settings use Redis, where that migration creates nothing.
    manage({k: v for k, v in os.environ.items() if k != "REDIS_URL"}, "migrate", "--noinput", "-v0")
    migrated = time.perf_counter() - started
    soa = (settings.ZONE_SOA_MNAME, settings.ZONE_SOA_RNAME)
    loaded = load(url, shape, nameservers=list(settings.ZONE_NAMESERVERS), soa=soa)
    _provision()
    total = time.perf_counter() - started
    progress(f"built in {total:.0f} s (migrate {migrated:.0f} s, load {loaded:.0f} s)")
    return {"scale": shape.scale, "seconds": total, "migrate": migrated, "load": loaded}


def _provision() -> None:
    """What a person sets up through the services: the panel users and the legacy API password of one zone."""
    import secrets

    from accounts.actors import Actor
    from accounts.models import Account
    from accounts.services import user_create
    from zones.models import Zone
    from zones.services import zone_set_api_password

    actor = Actor.cli("bench/scale.py")
    for username, account in ((CUSTOMER_USER, BIG_ACCOUNT), (SPACE_USER, SPACE_ACCOUNT), (STAFF_USER, None)):
        member = Account.objects.get(name=account) if account else None
        password = secrets.token_urlsafe(16)
        user_create(username=username, password=password, account=member, is_staff=account is None, actor=actor)
    zone_set_api_password(zone=Zone.objects.get(pk=HISTORY_ZONE_ID), password=LEGACY_PASSWORD, actor=actor)


def _purge(broker: str, queue: str) -> None:
    """This run's queue and the exchange bindings kombu keeps beside it (the exchange is named after the queue)."""
    redis.Redis.from_url(broker).delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()


def _drop_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- what a row measures --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    times_ms: list[float]
    queries: int | None
    size: int | None = None  # response bytes of a page, output bytes of a command
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)


@dataclass
class Bench:
    """What the rows need, looked up once in the loaded database."""

    clients: dict[str, Any]
    big_zone: Any
    legacy_zone: Any
    search_term: str
    address: str
    pool: Any
    account: Any
    cleanup: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    key: str
    operation: str
    measure: Callable[[Bench], Measurement]
    issue: str  # issue 15's figure at scale ("before")
    target_ms: float = DEFAULT_TARGET_MS
    writes: bool = False  # changes the database: measured after the others, on a reused one only when named


def _timed(call: Callable[[], Any], *, runs: int = RUNS) -> tuple[list[float], int, Any]:
    """One warm-up call, then `runs` timed ones; the times (ms), the queries of the last call, its result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    times, queries, result = [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = call()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return times, queries, result


def _page(bench: Bench, who: str, path: str, *, expect: str = "", **headers: str) -> Measurement:
    client = bench.clients[who]
    times, queries, response = _timed(lambda: client.get(path, **headers))
    assert response.status_code == 200, f"{path}: {response.status_code} {response.content[:300]!r}"
    assert expect.encode() in response.content, f"{path}: {expect!r} is not in the response"
    return Measurement(times, queries, len(response.content))


def dashboard(bench: Bench) -> Measurement:
    return _page(bench, "customer", "/dashboard")


def zone_search(bench: Bench) -> Measurement:
    query = urllib.parse.urlencode({"q": bench.search_term})
    return _page(bench, "customer", f"/zones/{bench.big_zone.name}?{query}", expect=bench.search_term)


def zones_status_behind(bench: Bench) -> Measurement:
    from django.core.management import call_command

    def run() -> str:
        out = io.StringIO()
        call_command("zones_status", "--behind", stdout=out)
        return out.getvalue()

    times, queries, output = _timed(run)
    assert "pending" in output or "failing" in output, output[-300:]
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Measurement(times, queries, len(output.encode()), f"peak {peak / 2**20:.0f} MB (tracemalloc)")


def staff_home(bench: Bench) -> Measurement:
    return _page(bench, "staff", "/staff")


def staff_accounts(bench: Bench) -> Measurement:
    return _page(bench, "staff", "/staff/accounts", expect=BIG_ACCOUNT)


def staff_accounts_search(bench: Bench) -> Measurement:
    return _page(bench, "staff", f"/staff/accounts?q={BIG_ACCOUNT}", expect=BIG_ACCOUNT)


def staff_nameservers(bench: Bench) -> Measurement:
    return _page(bench, "staff", "/staff/nameservers", expect="hidden-primary-2")


def zone_export(bench: Bench) -> Measurement:
    measured = _page(bench, "customer", f"/zones/{bench.big_zone.name}/export", expect=bench.search_term)
    return Measurement(measured.times_ms, measured.queries, measured.size, f"{bench.big_zone.record_count:,} records")


def zone_snapshot(bench: Bench) -> Measurement:
    from zones.push.services import zone_snapshot

    times, queries, snapshot = _timed(lambda: zone_snapshot(zone_id=bench.big_zone.pk))
    records = sum(len(rdataset) for rdataset in snapshot.rrsets.values())
    assert records == bench.big_zone.record_count, f"{records} records in the snapshot"
    return Measurement(times, queries, note=f"{len(snapshot.rrsets):,} RRsets")


def space(bench: Bench) -> Measurement:
    from ipam.models import Allocation

    measured = _page(bench, "space", "/space")
    held = Allocation.objects.filter(account__name=SPACE_ACCOUNT, status="active").count()
    return Measurement(measured.times_ms, measured.queries, measured.size, f"{held} allocations")


def sweeper(bench: Bench) -> Measurement:
    """What the sweeper asks the database every PUSH_SWEEP_INTERVAL: its markers kept, then the zones due."""
    from zones.push.selectors import zones_due
    from zones.push.services import sync_markers_sweep

    def sweep() -> list[int]:
        sync_markers_sweep()
        return zones_due()

    times, queries, due = _timed(sweep)
    assert due, "no zone is due: the data set has zones behind"
    return Measurement(times, queries, note=f"{len(due):,} zones due")


def legacy_replace(bench: Bench) -> Measurement:
    """REPLACE of one host over HTTP (gunicorn, 1 worker, keep-alive), a new address each time: every request a real
    change. The queries are those of the same request in-process."""
    server, port = start_gunicorn(dict(os.environ), workers=1, threads=1)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        times, _, body = _timed(lambda: _legacy_post(conn, bench.legacy_zone.name))
    finally:
        stop(server)
    assert body.startswith(b"REPLACE"), body
    client = bench.clients["anonymous"]
    form = _legacy_form(bench.legacy_zone.name)
    post = "application/x-www-form-urlencoded"
    _, queries, response = _timed(
        lambda: client.post("/customer/primarydnsapi", urllib.parse.urlencode(form()), content_type=post), runs=1
    )
    assert response.status_code == 200, response.content
    return Measurement(times, queries, len(body), "over HTTP: client-side time")


def _legacy_form(zone: str) -> Callable[[], dict[str, str]]:
    def form() -> dict[str, str]:
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        return {"domain": zone, "password": LEGACY_PASSWORD, "command": f"REPLACE bench-scale 300 A {address}"}

    return form


def _legacy_post(conn: http.client.HTTPConnection, zone: str) -> bytes:
    body = urllib.parse.urlencode(_legacy_form(zone)())
    conn.request("POST", "/customer/primarydnsapi", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    content = response.read()
    assert response.status == 200, content
    return content


def rest_zones(bench: Bench) -> Measurement:
    from accounts.actors import Actor
    from accounts.services import Scope, apikey_create, apikey_revoke

    actor = Actor.cli("bench/scale.py")
    key, secret = apikey_create(account=bench.account, scope=Scope(read_only=True), actor=actor, label="bench/scale")
    bench.cleanup.append(lambda: apikey_revoke(key=key, actor=actor))
    basic = base64.b64encode(f"{key.key_id}:{secret}".encode()).decode()
    return _page(bench, "anonymous", "/dns/v2/zones", expect='"zones"', HTTP_AUTHORIZATION=f"Basic {basic}")


def history(bench: Bench) -> Measurement:
    zone = bench.legacy_zone
    measured = _page(bench, "customer", f"/zones/{zone.name}/history")
    return Measurement(measured.times_ms, measured.queries, measured.size, f"{zone.version:,} versions")


def address_search(bench: Bench) -> Measurement:
    return _page(bench, "staff", f"/staff/search?q={bench.address}", expect="customer network")


def next_free(bench: Bench) -> Measurement:
    """prefix_allocate of the next free /48, rolled back (the database stays as loaded; no commit is timed)."""
    from django.db import transaction

    from accounts.actors import Actor
    from ipam.services import prefix_allocate

    actor = Actor.cli("bench/scale.py")

    def allocate() -> Any:
        with transaction.atomic():
            allocation = prefix_allocate(pool=bench.pool, account=bench.account, length=48, actor=actor)
            transaction.set_rollback(True)
        return allocation

    times, queries, allocation = _timed(allocate)
    return Measurement(times, queries, note=f"{allocation.prefix} (rolled back)")


def verifier(bench: Bench) -> Measurement:
    """bench/verifier.py's cold and steady passes over every zone x 2 BIND servers loaded with them (the cold pass,
    every copy transferred, is the row's time); against PUSH_VERIFY_INTERVAL. Writes ZoneSync, VerifyRun and
    Nameserver rows: measured last."""
    from django.db import connection

    from bench.verifier import verify_row

    name = connection.settings_dict["NAME"]
    assert name != "scale_ref", "the verifier row writes: measure a copy of scale_ref, never scale_ref itself"
    figures = verify_row(f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{name}")
    cold, steady = figures["cold"], figures["steady"]
    assert not cold.errors, cold.error_text
    assert not steady.errors, steady.error_text
    assert steady.repaired == figures["planted"], figures
    assert figures["clean_after"] == figures["named_pairs"], figures
    note = (
        f"steady pass {steady.seconds:,.1f} s ({steady.transferred:,} transferred, drift planted in "
        f"{figures['planted']} zones: {steady.repaired} repaired); cold: {cold.transferred:,} of {cold.pairs:,} "
        "copies transferred; "
        f"interval {figures['interval']:,} s; BIND loaded in {figures['bind_loaded']:,.0f} s"
    )
    return Measurement([cold.seconds * 1000], None, note=note)


ROWS: tuple[Row, ...] = (
    Row("dashboard", "customer dashboard, account of 5,000 zones", dashboard, "2,071 ms, 2.35 MB"),
    Row("search", "zone editor `?q=` in the 50k-record zone", zone_search, "1,315 ms"),
    Row("status", "`manage.py zones_status --behind`", zones_status_behind, "10.7 s, 2,003 q, 415 MB"),
    Row("staff", "`/staff`", staff_home, "916 ms, 473 KB"),
    Row("accounts", "`/staff/accounts` page 1", staff_accounts, "532 ms"),
    Row("accounts-q", "`/staff/accounts?q=`", staff_accounts_search, "578 ms"),
    Row("nameservers", "`/staff/nameservers`", staff_nameservers, "263 ms, 115 q"),
    Row("export", "zone export of the 50k zone (panel)", zone_export, "396 ms", 250.0),
    Row("snapshot", "`zone_snapshot` of the 50k zone", zone_snapshot, "3.9-4.3 s", 1000.0),
    Row("space", "`/space`, account of ~100 allocations", space, "63 q for 103 allocations"),
    Row("sweeper", "sweeper selection (markers kept, `zones_due`)", sweeper, "93 ms"),
    Row("legacy", "legacy REPLACE over HTTP", legacy_replace, "12.8 ms"),
    Row("rest", "REST `/dns/v2/zones`, account of 5,000 zones", rest_zones, "13.3 ms"),
    Row("history", "history page of a zone", history, "7.8 ms"),
    Row("address", "staff address search", address_search, "8 ms"),
    Row("nextfree", "next free /48 (ipam)", next_free, "4.3 ms"),
    # Last: it writes (sync rows, runs, its own two nameservers); its time is the cold pass, the worst one.
    Row(
        "verifier",
        "verifier: cold pass (every copy transferred), then steady, every zone x 2 BIND",
        verifier,
        "cold ~4,500 s (456 s at 10k)",
        3_600_000.0,
        writes=True,
    ),
)


def _rows(only: str | None, *, reused: bool = False) -> list[Row]:
    """The rows to measure, those that write last; on a reused database (scale_ref, say) those only when named."""
    if not only:
        return sorted((row for row in ROWS if not (reused and row.writes)), key=lambda row: row.writes)
    wanted = [key.strip() for key in only.split(",") if key.strip()]
    known = {row.key: row for row in ROWS}
    unknown = [key for key in wanted if key not in known]
    if unknown:
        raise SystemExit(f"unknown row(s) {', '.join(unknown)}; the rows are {', '.join(known)}")
    return sorted((known[key] for key in wanted), key=lambda row: row.writes)


# --- measuring and printing -----------------------------------------------------------------------------------------


def _bench() -> Bench:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.models import Account
    from ipam.models import Allocation, Pool
    from ipam.prefixes import Block, address_text
    from zones.models import Record, RRset, Zone

    _sweep_markers()
    users = get_user_model().objects.in_bulk([CUSTOMER_USER, SPACE_USER, STAFF_USER], field_name="username")
    clients: dict[str, Any] = {"anonymous": Client()}
    for who, username in (("customer", CUSTOMER_USER), ("space", SPACE_USER), ("staff", STAFF_USER)):
        clients[who] = Client()
        clients[who].force_login(users[username])
    big_zone = Zone.objects.get(name=BIG_ZONE)
    host = RRset.objects.filter(zone=big_zone, name=f"host{big_zone.record_count // 3}").get()
    pools = list(Pool.objects.filter(family=6).order_by("start"))
    held = Allocation.objects.filter(pool=pools[1], status="active").order_by("start")[100]
    block = Block(6, int(held.start, 16), held.length)
    return Bench(
        clients=clients,
        big_zone=big_zone,
        legacy_zone=Zone.objects.exclude(api_password="").order_by("pk").first(),
        search_term=Record.objects.filter(rrset=host).order_by("content").values_list("content", flat=True)[0],
        address=address_text(6, block.start + 0x1234),
        pool=pools[0],
        account=Account.objects.get(name=BIG_ACCOUNT),
    )


def _sweep_markers() -> None:
    """What the sweeper does within PUSH_SWEEP_INTERVAL of an upgrade or a load: mark the zones every nameserver has
    (Zone.synced_version), then the VACUUM and statistics autovacuum would run after so many updated rows (this
    machine's PostgreSQL runs with autovacuum off: left to it, the 100,000 dead row versions stayed in every count)."""
    from django.db import connection

    from zones.push.services import sync_markers_sweep

    started = time.perf_counter()
    marked = sync_markers_sweep()
    if marked:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE zones_zone")
        progress(f"the sweeper's first pass marked {marked:,} zones in {time.perf_counter() - started:.1f} s")


def _measure(rows: list[Row]) -> list[tuple[Row, Measurement]]:
    bench = _bench()
    results = []
    try:
        for row in rows:
            progress(f"measuring {row.key}")
            results.append((row, row.measure(bench)))
    finally:
        for step in bench.cleanup:
            step()
    return results


def _report(results: list[tuple[Row, Measurement]], url: str, built: dict[str, Any]) -> None:
    print(f"\n# Provider scale (issue 15): {_facts(url, built)}\n")
    print(f"Server time in ms, median of {RUNS} after a warm-up; queries of one call; bytes of the response.\n")
    print("| operation | median ms | min-max ms | queries | bytes | target ms | result | issue 15 (before) | note |")
    print("|---|---:|---:|---:|---:|---:|---|---|---|")
    for row, m in results:
        verdict = "PASS" if m.median <= row.target_ms else "MISS"
        span = f"{min(m.times_ms):,.1f}-{max(m.times_ms):,.1f}"
        size = f"{m.size:,}" if m.size is not None else ""
        queries = f"{m.queries:,}" if m.queries is not None else ""
        print(
            f"| {row.operation} | {m.median:,.1f} | {span} | {queries} | {size} | {row.target_ms:,.0f} | {verdict} "
            f"| {row.issue} | {m.note} |"
        )
    print(f"\n{_counts()}")
    print(f"\ncommand: {' '.join([sys.executable, *sys.argv])}")


def _facts(url: str, built: dict[str, Any]) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = f"built at scale {built['scale']} in {built['seconds']:.0f} s" if built else "reused"
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False)
    return (
        f"database {url.rsplit('/', 1)[1]} ({load}); PostgreSQL {version}; Django {django.__version__}; "
        f"Python {platform.python_version()}; {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; commit {commit.stdout.strip()}"
    )


def _counts() -> str:
    """Exact row counts of the loaded tables."""
    from django.db import connection

    counted = []
    with connection.cursor() as cursor:
        for table in BULK_TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counted.append(f"{table} {cursor.fetchone()[0]:,}")
    return "rows: " + ", ".join(counted)


if __name__ == "__main__":
    main()
