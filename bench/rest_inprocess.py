"""Where the time of one REST request goes, measured inside the process (issue 14, item 4).

A throwaway database of the product's own settings (the database cache for the throttle counters unless REDIS_URL is
set, throttles lifted as bench/peer_pdns.py lifts them), one account, zone and API key; then, through Django's test
client (the whole middleware and DRF stack, no HTTP server), each of

- PUT /dns/v2/zones/{zone}/records/host/A with a new address every request (what bench/peer_pdns.py measures),
- PATCH: the same PUT with a data filter (?data=<old address>), a replacement of the selected record only,
- GET /dns/v2/zones/{zone}/records/host/A,
- the legacy API's REPLACE of one host (POST /customer/primarydnsapi, what bench/peer_pdns.py measures beside it),
- DELETE then POST of one record (pairs, so that every request changes the zone),
- dyndns2 GET /nic/update?hostname=dyn.{zone}&myip=<new address> with the API key, the same with the address it has
  (a `nochg`), and with the host's own Dynamic DNS password (DynDNSHost),

is run --requests times after a warm-up, and the table gives milliseconds per request (median and mean), queries per
request, the process's CPU time per request, with --profile the functions that took the most time (cProfile,
cumulative and own time) and with --queries the statements of one request, for the PUT or the first request --only
selects.

SQLite by default (a temporary file). With DATABASE_URL=postgres://..., a database of its own on that server
(--database, dropped at the end); DATABASE_URL's own database is not touched.

Run: DATABASE_URL=... .venv/bin/python bench/rest_inprocess.py [--requests 300] [--profile] [--database NAME]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import drop_database, fresh_address, recreate_database

ZONE = "inprocess.example"
HOST = "host"
NOCHG_ADDRESS = "192.0.2.77"
LEGACY_PASSWORD = "bench-legacy-password"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="measured requests of each kind (300)")
    parser.add_argument("--profile", action="store_true", help="print the PUT's cProfile (cumulative and tottime)")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one PUT")
    parser.add_argument("--database", default="bench_rest_inprocess", help="the throwaway PostgreSQL database")
    parser.add_argument("--only", default="", help="measure only the requests whose name contains this (dyndns2)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="rest-inprocess-") as directory:
        if url.startswith("postgres"):
            parts = urlsplit(url)
            server = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
            recreate_database(server, args.database)
            database_url = urlunsplit((parts.scheme, parts.netloc, f"/{args.database}", parts.query, ""))
        else:
            server, database_url = "", f"sqlite:///{Path(directory) / 'db.sqlite3'}"
        try:
            run(database_url, args)
        finally:
            if server:
                from django.db import connections

                connections.close_all()
                drop_database(server, args.database)
    print(f"\ncommand: DATABASE_URL={url or '(SQLite)'} {' '.join([sys.executable, *sys.argv])}")
    return 0


def run(database_url: str, args: argparse.Namespace) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="bench-secret-key",
        ALLOWED_HOSTS="testserver",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL="",
        API_THROTTLE_PER_KEY="1000000/min",
        API_THROTTLE_PER_ADDRESS="1000000/min",
        API_THROTTLE_PER_ZONE="1000000/min",
        DYNDNS_UPDATES_PER_HOST="1000000",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", "--noinput", verbosity=0)
    authorization, host_authorization = _set_up()
    client = Client()
    headers = {"HTTP_AUTHORIZATION": authorization, "REMOTE_ADDR": "192.0.2.10"}
    kinds = _requests(client, headers, {**headers, "HTTP_AUTHORIZATION": host_authorization})
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"# {connection.vendor}, cache {cache}, {args.requests} requests of each kind after 20 of warm-up\n")
    print("| request | ms p50 | ms mean | CPU ms mean | queries |")
    print("|---|---:|---:|---:|---:|")
    for name, request in kinds.items():
        if args.only not in name:
            continue
        times, cpu, queries = _measure(request, args.requests)
        row = f"| {name} | {statistics.median(times):.2f} | {statistics.mean(times):.2f} | {cpu:.2f} | {queries} |"
        print(row, flush=True)
    measured = next((name for name in kinds if args.only in name), "PUT records/host/A")
    if args.queries:
        _queries(measured, kinds[measured])
    if args.profile:
        _profile(measured, kinds[measured], args.requests)


def _set_up() -> tuple[str, str]:
    """The API key's Basic authorization, and the Dynamic DNS password's of the host dynhost."""
    from accounts.actors import Actor
    from accounts.services import Scope, account_create, apikey_create
    from zones.dyndns.services import dyndns_password_set
    from zones.services import Add, zone_apply, zone_create, zone_set_api_password

    actor = Actor.cli("bench/rest_inprocess.py")
    account = account_create(name="bench", actor=actor)
    zone = zone_create(name=ZONE, account=account, actor=actor)
    key, secret = apikey_create(account=account, scope=Scope(), actor=actor)
    password = dyndns_password_set(zone=zone, host="dynhost", actor=actor)
    zone_set_api_password(zone=zone, password=LEGACY_PASSWORD, actor=actor)
    zone_apply(zone=zone, changes=[Add("same", "A", NOCHG_ADDRESS)], actor=actor)  # every update of it is a nochg
    return _basic(key.key_id, secret), _basic(f"dynhost.{ZONE}", password)


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


Request = Callable[[], Any]


def _requests(client: Any, headers: dict[str, str], host_headers: dict[str, str]) -> dict[str, Request]:
    path = f"/dns/v2/zones/{ZONE}/records/{HOST}/A"
    last = {"address": ""}

    def put() -> Any:
        last["address"] = fresh_address()
        body = json.dumps({"records": [{"ttl": 300, "data": last["address"]}]})
        return _checked(client.put(path, body, content_type="application/json", **headers), added=1)

    def patch() -> Any:
        old, last["address"] = last["address"], fresh_address()
        body = json.dumps({"records": [{"ttl": 300, "data": last["address"]}]})
        response = client.put(f"{path}?data={old}", body, content_type="application/json", **headers)
        return _checked(response, added=1)

    def get() -> Any:
        return _checked(client.get(path, **headers))

    def delete_post() -> Any:
        _checked(client.delete(path, **headers))
        last["address"] = fresh_address()
        body = json.dumps({"records": [{"ttl": 300, "data": last["address"]}]})
        return _checked(client.post(path, body, content_type="application/json", **headers), added=1)

    def legacy() -> Any:
        command = f"REPLACE legacy 300 A {fresh_address()}"
        form = {"domain": ZONE, "password": LEGACY_PASSWORD, "command": command}
        response = client.post("/customer/primarydnsapi", form, REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 200, response.content
        assert response.content == f"{command}\n".encode(), response.content
        return response

    def dyndns(host: str, answer: bytes, used: dict[str, str], *, fresh: bool = True) -> Request:
        def request() -> Any:
            address = fresh_address() if fresh else NOCHG_ADDRESS
            response = client.get(f"/nic/update?hostname={host}.{ZONE}&myip={address}", **used)
            assert response.status_code == 200, response.content
            assert response.content == answer + f" {address}\n".encode(), response.content
            return response

        return request

    return {
        "PUT records/host/A": put,
        "PUT records/host/A?data=old (a PATCH)": patch,
        "GET records/host/A": get,
        "DELETE + POST records/host/A (two requests)": delete_post,
        "legacy REPLACE (primarydnsapi)": legacy,
        "dyndns2 /nic/update, API key": dyndns("dyn", b"good", headers),
        "dyndns2 /nic/update, API key, nochg": dyndns("same", b"nochg", headers, fresh=False),
        "dyndns2 /nic/update, host password": dyndns("dynhost", b"good", host_headers),
    }


def _checked(response: Any, added: int | None = None) -> Any:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    if added is not None:
        assert json.loads(response.content)["records_added"] == added, response.content
    return response


def _measure(request: Request, count: int) -> tuple[list[float], float, int]:
    """Milliseconds of each request after a warm-up, the process's CPU milliseconds per request (which a busy machine
    distorts less than wall time), and the queries of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(20):
        request()
    times = []
    cpu_started = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu_started) * 1000 / count
    with CaptureQueriesContext(connection) as captured:
        request()
    return times, cpu, len(captured.captured_queries)


def _queries(name: str, request: Request) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        request()
    print(f"\n## The statements of one {name}\n")
    for number, query in enumerate(captured.captured_queries, 1):
        print(f"{number:3}. {query['sql'][:160]}")


def _profile(name: str, request: Request, count: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        request()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    print(f"\n## cProfile of {count} x {name} (cumulative, then tottime)\n")
    print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main())
