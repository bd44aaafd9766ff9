"""Benchmark of journal retention (zones/retention.py, `manage.py journal_prune`) on a 1 M-row journal in PostgreSQL.

1. Builds a journal of --rows Change rows over --zones zones, written over the last two years in time order (row ids
   follow time, as in production): a host's address replaced at each version, one change in a hundred made on the
   staff command line (kept as security-relevant), 1 % of the zones deleted since (their deletion rows keep their
   history); two enabled nameservers current on every zone but one in a hundred, where the second is 80 versions
   behind (the push rule keeps what it lacks); a security log of --events rows over the last four years.
2. Prunes it with the default policy (365 days, the last 50 versions, the security log 1,095 days): rows per second,
   pg_total_relation_size of zones_change before, after, after a plain VACUUM (the space is free for new rows) and after
   VACUUM FULL (what the kept rows take); then a second run with nothing left to remove (a run in the steady state).
3. On a fresh copy of the same journal: the latency of legacy API REPLACE (gunicorn, --clients clients, one zone)
   without a prune, then while the prune runs. The nameservers are disabled there, so that no push leaves the host.

It creates (and drops) its own databases on POSTGRES_URL's server. Run: `.venv/bin/python bench/journal_prune.py`
(options: --rows, --zones, --events, --seconds, --clients, --keep-versions; --keep keeps the database built; --reuse DB
measures a copy of an existing one, such as scale_ref or a kept one, migrated to this checkout, instead of building).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, LoadResult, load, manage, recreate_database, start_gunicorn, stop
from bench.legacy_api import PASSWORD, ZONE, post


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="bench_journal_prune", help="built here; copies go to DATABASE_copy")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of the REPLACE run without a prune")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reuse", default="", help="measure a copy of this database instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the database built (for --reuse later)")
    parser.add_argument("--keep-versions", type=int, help="JOURNAL_KEEP_VERSIONS for the prune (default: its default)")
    args = parser.parse_args()
    if args.keep_versions is not None:
        RETENTION["JOURNAL_KEEP_VERSIONS"] = str(args.keep_versions)

    source, target = args.reuse or args.database, f"{args.database}_copy"
    try:
        if not args.reuse:
            build(args.postgres, source, args.rows, args.zones, args.events)
        copy(args.postgres, source, target)
        prune_run(args.postgres, target)
        copy(args.postgres, source, target)
        writes_run(args.postgres, target, args.clients, args.seconds)
    finally:
        drop(args.postgres, target, *([] if args.reuse or args.keep else [source]))
    print(f"\ncommand: {' '.join([sys.executable, *sys.argv])}")


# The prune's settings (their defaults unless --keep-versions says otherwise).
RETENTION: dict[str, str] = {}


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "60",
        "SECRET_KEY": "bench-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        **RETENTION,
    }


# --- the data set --------------------------------------------------------------------------------------------------


def build(server: str, database: str, rows: int, zones: int, events: int) -> None:
    started = time.perf_counter()
    recreate_database(server, database)
    url = f"{server}/{database}"
    env = env_for(url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "account_create", "bench")
    versions = max(rows // zones, 2)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in _load_statements(zones, versions, events):
            step = time.perf_counter()
            conn.execute(statement)
            print(f"# {' '.join(statement.split()[:3])}: {time.perf_counter() - step:.0f} s", flush=True)
        conn.execute("VACUUM ANALYZE")
        total = conn.execute("SELECT count(*) FROM zones_change").fetchone()[0]  # type: ignore[index]
    print(f"# built {total:,} journal rows over {zones:,} zones ({versions} versions each) and {events:,} security log")
    print(f"# rows in {time.perf_counter() - started:.0f} s, {os.cpu_count()} cores")


def _load_statements(zones: int, versions: int, events: int) -> list[str]:
    # Zones 2..zones+1; every hundredth one deleted since (no zone row).
    account = "(SELECT id FROM panel_account WHERE name = 'bench')"
    span = "interval '729 days'"
    created = f"now() - interval '730 days' + {span} * (v - 1) / {versions} + (z % 3600) * interval '1 s'"
    entry = (
        "jsonb_build_array(jsonb_build_object('name', 'host1', 'type', 'A', 'ttl', 300, 'records', "
        "jsonb_build_array('10.' || (z % 256) || '.' || ((z / 256) % 256) || '.' || ({} % 250 + 1))))"
    )
    apex_ns = """'[{"name": "@", "type": "NS", "ttl": 3600, "records": ["ns1.example.net.", "ns2.example.net."]}]'"""
    return [
        f"""INSERT INTO zones_zone (id, name, account_id, serial, version, default_ttl, soa_mname, soa_rname,
                soa_refresh, soa_retry, soa_expire, soa_minimum, soa_ttl, record_count, api_password, created, updated)
            SELECT z, 'zone-' || z || '.example', {account}, 2026010100, {versions}, 3600, 'ns1.example.net.',
                   'hostmaster.example.net.', 10800, 3600, 1209600, 300, 3600, 0, '', now(), now()
            FROM generate_series(2, {zones + 1}) AS z WHERE z % 100 <> 50""",
        f"""INSERT INTO zones_change (zone_id, zone_name, version, serial, before, after, actor, interface,
                client_address, created)
            SELECT CASE WHEN z % 100 = 50 THEN NULL ELSE z END, 'zone-' || z || '.example', v, 2026010100 + v,
                   CASE WHEN v = 1 THEN '[]'::jsonb ELSE {entry.format("v - 1")} END,
                   CASE WHEN v = 1 THEN {apex_ns}::jsonb ELSE {entry.format("v")} END,
                   CASE WHEN v % 100 = 37 THEN 'staff command line' ELSE 'API key 3f2a' END,
                   CASE WHEN v % 100 = 37 THEN 'cli' ELSE 'api' END,
                   CASE WHEN v % 100 = 37 THEN NULL ELSE '198.51.100.7'::inet END, {created}
            FROM generate_series(2, {zones + 1}) AS z CROSS JOIN generate_series(1, {versions}) AS v
            ORDER BY 10""",
        """INSERT INTO zones_nameserver (name, address, port, kind, tsig_name, tsig_algorithm, tsig_secret, control,
                zone_directory, enabled, created)
            SELECT 'hidden-primary-' || n, '127.0.0.1', 5300 + n, 'rfc2136', 'k', 'hmac-sha256', 'c2VjcmV0', '', '',
                   true, now()
            FROM generate_series(1, 2) AS n""",
        f"""INSERT INTO zones_zonesync (zone_id, nameserver_id, version, serial, last_error, attempts)
            SELECT z.id, n.id, CASE WHEN z.id % 100 = 0 AND n.name = 'hidden-primary-2' THEN {versions} - 80
                                   ELSE z.version END, 2026010100, '', 0
            FROM zones_zone z CROSS JOIN zones_nameserver n""",
        f"""INSERT INTO accounts_securityevent (account_id, account_name, action, subject, detail, actor,
                interface, client_address, created)
            SELECT {account}, 'bench', 'zone_deleted', 'zone-' || z || '.example',
                   jsonb_build_object('version', {versions}, 'serial', 2026010100 + {versions}, 'changes',
                       jsonb_build_array(min(c.id), max(c.id))),
                   'API key 3f2a', 'api', '198.51.100.7', max(c.created)
            FROM generate_series(2, {zones + 1}) AS z JOIN zones_change c ON c.zone_id IS NULL
                 AND c.zone_name = 'zone-' || z || '.example'
            WHERE z % 100 = 50 GROUP BY z""",
        f"""INSERT INTO accounts_securityevent (account_id, account_name, action, subject, detail, actor,
                interface, client_address, created)
            SELECT {account}, 'bench', 'apikey_created', 'key' || e, '{{}}', 'alice', 'panel', '198.51.100.7',
                   now() - interval '1460 days' * e / {events}
            FROM generate_series(1, {events}) AS e ORDER BY 9""",
        "SELECT setval(pg_get_serial_sequence('zones_zone', 'id'), (SELECT max(id) FROM zones_zone))",
    ]


def copy(server: str, source: str, target: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    manage(env_for(f"{server}/{target}"), "migrate", "--noinput", "-v0")


def drop(server: str, *names: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- 2. the prune alone --------------------------------------------------------------------------------------------


def size_mb(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_total_relation_size('zones_change'), count(*) FROM zones_change").fetchone()
    assert row is not None
    return f"{row[0] / 2**20:,.0f} MB ({row[1]:,} rows)"


def journal_prune(url: str, *options: str) -> tuple[str, float]:
    """Run `manage.py journal_prune`; its summary line and the seconds the service measured."""
    out = manage(env_for(url), "journal_prune", *options).strip().splitlines()[-1]
    found = re.search(r" in ([0-9.]+) s$", out)
    assert found, out
    return out, float(found.group(1))


def prune_run(server: str, database: str) -> None:
    url = f"{server}/{database}"
    policy = f"JOURNAL_KEEP_VERSIONS={RETENTION['JOURNAL_KEEP_VERSIONS']}" if RETENTION else "the default policy"
    print(f"\n## Prune of the journal and the security log ({policy})\n")
    print("| step | result | seconds |")
    print("|---|---|---:|")
    print(f"| zones_change before | {size_mb(url)} | |")
    summary, seconds = journal_prune(url, "--dry-run")
    print(f"| dry run | {summary.split(' in ')[0]} | {seconds:.1f} |")
    with psycopg.connect(url, autocommit=True) as conn:
        wal_before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    summary, seconds = journal_prune(url)
    with psycopg.connect(url, autocommit=True) as conn:
        wal = conn.execute("SELECT pg_current_wal_lsn() - %s::pg_lsn", [wal_before]).fetchone()[0]  # type: ignore[index]
    removed = int(re.search(r"removed (\d+) journal", summary).group(1))  # type: ignore[union-attr]
    print(f"| prune | {summary.split(' in ')[0]}: **{removed / seconds:,.0f} rows/s** | {seconds:.1f} |")
    print(f"| WAL written by the prune (the whole server's, in that time) | {wal / 2**20:,.0f} MB | |")
    print(f"| zones_change after | {size_mb(url)} | |")
    summary, seconds = journal_prune(url)
    print(f"| second run, at once (nothing left) | {summary.split(' in ')[0]} | {seconds:.1f} |")
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM zones_change")
        vacuum = time.perf_counter() - started
    print(f"| after VACUUM (space free for new rows) | {size_mb(url)} | {vacuum:.1f} |")
    summary, seconds = journal_prune(url)
    print(f"| third run, after VACUUM (the steady state) | {summary.split(' in ')[0]} | {seconds:.1f} |")
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM FULL zones_change")
        vacuum = time.perf_counter() - started
    print(f"| after VACUUM FULL (what the kept rows take) | {size_mb(url)} | {vacuum:.1f} |")


# --- 3. writes while it runs -----------------------------------------------------------------------------------------


def replace(conn: http.client.HTTPConnection, index: int, address: str) -> bool:
    status, body = post(conn, [f"REPLACE host{index} 300 A {address}"])
    return status == 200 and body.startswith(b"REPLACE")


def writes_run(server: str, database: str, clients: int, seconds: float) -> None:
    url = f"{server}/{database}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE zones_nameserver SET enabled = false")
    env = env_for(url)
    manage(env, "account_create", "bench-writes")
    manage(env, "zone_create", ZONE, "--account", "bench-writes")
    manage(env, "zone_set_password", ZONE, stdin=PASSWORD + "\n")
    manage(env, "createcachetable")  # the throttles' counters (a copy of scale_ref has lost the table)
    gunicorn, port = start_gunicorn(env, 2, 4)
    try:
        load(port, replace, clients, 2.0)  # warm-up
        quiet = load(port, replace, clients, seconds)
        prune = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "manage.py", "journal_prune"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        slices = []
        while prune.poll() is None:
            slices.append(load(port, replace, clients, 1.0))
        summary = (prune.stdout.read() if prune.stdout else "").strip().splitlines()[-1]
    finally:
        stop(gunicorn)
    during = LoadResult(
        sorted(t for s in slices for t in s.latencies), sum(s.errors for s in slices), sum(s.elapsed for s in slices)
    )
    print(f"\n## Legacy API REPLACE, {clients} clients on one zone, gunicorn 2x4 (prune: {summary})\n")
    print("| phase | requests | req/s | p50 ms | p99 ms | errors | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, result in (("no prune", quiet), ("while the prune runs", during)):
        print(f"| {name} | {result.cells()} | {max(result.latencies) * 1000:.0f} |")
    assert quiet.errors == 0, quiet.errors
    assert during.errors == 0, during.errors  # a prune never makes a write fail


if __name__ == "__main__":
    main()
