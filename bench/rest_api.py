"""Benchmark of the REST API v2 and dyndns2 under gunicorn on PostgreSQL.

Requests per second and latency (p50/p99) with 1 and 32 concurrent clients for
1. PUT /dns/v2/zones/{zone}/records/{host}/A (HTTP Basic key:secret), and
2. GET /nic/update?hostname=...&myip=... (dyndns2),
every request a real change (a new address each time) of one host per client, all hosts in one zone.

It creates (and drops) its own database on the PostgreSQL server of POSTGRES_URL, starts gunicorn on a free port and
stops it. Run: `.venv/bin/python bench/rest_api.py` (options: --seconds, --clients, --workers, --threads).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import Request, load, manage, recreate_database, start_gunicorn, stop

ZONE = "bench.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="bench_rest_api")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    parser.add_argument("--clients", default="1,32")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    recreate_database(args.postgres, args.database)
    env = server_environment(f"{args.postgres}/{args.database}")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "account_create", "bench")
    manage(env, "zone_create", ZONE, "--account", "bench")
    credentials = key_credentials(manage(env, "apikey_create", "--account", "bench"))
    server, port = start_gunicorn(env, args.workers, args.threads)
    try:
        print(f"# gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL, {os.cpu_count()} cores shared")
        print("# clients are threads of this script, on the same cores as the server and the database\n")
        print("| requests | clients | requests done | req/s | p50 ms | p99 ms | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, request in (
            ("PUT records/{host}/A", put_record(credentials)),
            ("dyndns2 /nic/update", dyndns(credentials)),
        ):
            for clients in [int(c) for c in args.clients.split(",")]:
                print(f"| {name} | {clients} | {load(port, request, clients, args.seconds).cells()} |", flush=True)
    finally:
        stop(server)
    print(f"\ncommand: {' '.join([sys.executable, *sys.argv])}")


def server_environment(database_url: str) -> dict[str, str]:
    # Throttles and the dyndns abuse limit are lifted: the benchmark measures the write path, not the brakes.
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "SECRET_KEY": "bench-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "API_THROTTLE_PER_KEY": "1000000/min",
        "API_THROTTLE_PER_ADDRESS": "1000000/min",
        "API_THROTTLE_PER_ZONE": "1000000/min",
        "DYNDNS_UPDATES_PER_HOST": "1000000",
    }


def key_credentials(output: str) -> str:
    fields = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    return "Basic " + base64.b64encode(f"{fields['id']}:{fields['secret']}".encode()).decode()


def put_record(credentials: str) -> Request:
    def request(conn: http.client.HTTPConnection, index: int, address: str) -> bool:
        body = json.dumps({"records": [{"ttl": 300, "data": address}]})
        headers = {"Authorization": credentials, "Content-Type": "application/json"}
        conn.request("PUT", f"/dns/v2/zones/{ZONE}/records/host{index}/A", body, headers)
        response = conn.getresponse()
        reply = json.loads(response.read())
        return response.status == 200 and reply.get("records_added") == 1

    return request


def dyndns(credentials: str) -> Request:
    def request(conn: http.client.HTTPConnection, index: int, address: str) -> bool:
        path = f"/nic/update?hostname=dyn{index}.{ZONE}&myip={address}"
        conn.request("GET", path, headers={"Authorization": credentials})
        response = conn.getresponse()
        return response.status == 200 and response.read().startswith(b"good")

    return request


if __name__ == "__main__":
    main()
