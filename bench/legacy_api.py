"""Benchmark of the Primary DNS API v1 under gunicorn on PostgreSQL.

1. REPLACE requests per second and latency (p50/p99) with 1, 8 and 32 concurrent clients, every request a real
   change (a new address each time) of one host per client, all in one zone.
2. LIST time for zones of 1k, 10k and 100k records, end to end over HTTP.

It creates (and drops) its own database on the PostgreSQL server of POSTGRES_URL, starts gunicorn on a free port and
stops it. Run: `.venv/bin/python bench/legacy_api.py` (options: --seconds, --clients, --sizes, --workers).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import redis

from bench.harness import load, manage, recreate_database, start_gunicorn, stop

PASSWORD = "bench-password-123"
ZONE = "bench.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="bench_legacy")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each REPLACE run")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--broker",
        default="",
        help="a Redis URL: enqueue pushes there as production does (a queue of its own, purged at the end); "
        "default: no broker, pushes run in-process (the zero-setup mode)",
    )
    args = parser.parse_args()

    url = f"{args.postgres}/{args.database}"
    recreate_database(args.postgres, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "60",
        "SECRET_KEY": "bench-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "ZONE_MAX_RECORDS": "200000",
    }
    queue = f"bench-legacy-{os.getpid()}"
    if args.broker:
        env.update(CELERY_BROKER_URL=args.broker, CELERY_QUEUE=queue)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "account_create", "bench")
    manage(env, "zone_create", ZONE, "--account", "bench")
    manage(env, "zone_set_password", ZONE, stdin=PASSWORD + "\n")
    server, port = start_gunicorn(env, args.workers, args.threads)
    try:
        mode = f"pushes enqueued on {args.broker}" if args.broker else "no broker: pushes run in-process"
        print(f"# gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL, {mode}, {os.cpu_count()} cores")
        print("\n## REPLACE through /customer/primarydnsapi\n")
        print("| clients | requests | req/s | p50 ms | p99 ms | errors |")
        print("|---:|---:|---:|---:|---:|---:|")
        for clients in [int(c) for c in args.clients.split(",")]:
            replace_run(port, clients, args.seconds)
        print("\n## LIST through /customer/primarydnsapi (end to end, median of 5)\n")
        print("| records | bytes | median s | min s |")
        print("|---:|---:|---:|---:|")
        for size in [int(s) for s in args.sizes.split(",")]:
            fill_zone(url, size)
            list_run(port, size)
    finally:
        stop(server)
        if args.broker:
            purge(args.broker, queue)
    print(f"\ncommand: {' '.join([sys.executable, *sys.argv])}")


def purge(broker: str, queue: str) -> None:
    redis.Redis.from_url(broker).delete(queue)


def post(conn: http.client.HTTPConnection, commands: list[str], **extra: str) -> tuple[int, bytes]:
    fields = [("domain", ZONE), ("password", PASSWORD), *extra.items(), *(("command", c) for c in commands)]
    body = urllib.parse.urlencode(fields)
    conn.request("POST", "/customer/primarydnsapi", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    return response.status, response.read()


def replace_run(port: int, clients: int, seconds: float) -> None:
    def replace(conn: http.client.HTTPConnection, index: int, address: str) -> bool:
        status, body = post(conn, [f"REPLACE host{index} 300 A {address}"])
        return status == 200 and body.startswith(b"REPLACE")

    print(f"| {clients} | {load(port, replace, clients, seconds).cells()} |", flush=True)


def fill_zone(url: str, size: int) -> None:
    """Top the zone up to `size` records with direct inserts (the benchmark is of reading, not of writing)."""
    with psycopg.connect(url, autocommit=False) as conn:
        zone_id = conn.execute("SELECT id FROM zones_zone WHERE name = %s", [ZONE]).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "DELETE FROM zones_record WHERE rrset_id IN "
            "(SELECT id FROM zones_rrset WHERE zone_id = %s AND name LIKE 'fill%%')",
            [zone_id],
        )
        conn.execute("DELETE FROM zones_rrset WHERE zone_id = %s AND name LIKE 'fill%%'", [zone_id])
        existing = conn.execute(
            "SELECT count(*) FROM zones_record WHERE zone_id = %s",
            [zone_id],
        ).fetchone()[0]  # type: ignore[index]
        wanted = max(0, size - existing)
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO zones_rrset (zone_id, name, type, ttl) "
                "SELECT %s, 'fill' || g, 'A', 300 FROM generate_series(1, %s) g",
                [zone_id, wanted],
            )
            cur.execute(
                "INSERT INTO zones_record (zone_id, rrset_id, content) "
                "SELECT zone_id, id, '10.' || (id / 65536 %% 256) || '.' || (id / 256 %% 256) || '.' || (id %% 256) "
                "FROM zones_rrset WHERE zone_id = %s AND name LIKE 'fill%%'",
                [zone_id],
            )
            cur.execute("UPDATE zones_zone SET record_count = %s WHERE id = %s", [size, zone_id])
        conn.commit()


def list_run(port: int, size: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    timings = []
    length = 0
    for _ in range(5):
        started = time.perf_counter()
        status, body = post(conn, ["LIST"], showall="0")
        timings.append(time.perf_counter() - started)
        assert status == 200, body[:200]
        length = len(body)
    print(f"| {size} | {length} | {statistics.median(timings):.3f} | {min(timings):.3f} |", flush=True)


if __name__ == "__main__":
    main()
