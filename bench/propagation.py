"""Benchmark: propagation from the Primary DNS API's 200 to the nameserver answering, and changes delivered per second.

Usage: .venv/bin/python bench/propagation.py [--latency-changes 500] [--burst-changes 2000] [--zones 1000]
       [--servers bind,knot] [--senders 4] [--worker-concurrency 4] [--dnssec]

Everything is real and runs on this machine: PostgreSQL (database bench_h3_propagation, dropped and created), Redis
(database 4 of redis://127.0.0.1:6379 as the Celery broker), gunicorn serving the product (2 workers x 4 threads), one
Celery worker (prefork, --worker-concurrency processes; DATABASE_CONN_MAX_AGE=60 as in deploy/) and BIND and Knot
started on free loopback ports, each registered as a nameserver.

- latency: one change at a time (REPLACE of an A record, a new address each time) through the legacy API; the clock
  starts when the 200 arrives and stops when the nameserver answers the new address (polled over UDP every 1 ms).
  Measured against each server alone (the other disabled). p50 / p99 / max.
- sustained, 1 zone: `--burst-changes` changes sent by `--senders` threads as fast as the API takes them; delivered
  per second = changes / (time from the first request to the server serving the zone's final serial).
- sustained, N zones: the same spread round-robin over `--zones` zones; done when every zone is in sync everywhere.
- `--dnssec`: the latency zone is signed first (zone_dnssec_set, carried out by the worker), and the clock stops only
  when the answer carries an RRSIG over the new address: the time to a signed answer.
The MD5 password hasher is used (FAST_PASSWORD_HASHER=1): the legacy API remembers a verified password anyway, and
the benchmark is about the push pipeline. Prints a table and the command that produced it.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import django
import dns.message
import dns.query
import dns.rdatatype
import psycopg
import redis
from django.core.management import call_command
from django.db.models import F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "postgres://postgres@127.0.0.1:5432/bench_h3_propagation"
BROKER = "redis://127.0.0.1:6379/4"
PASSWORD = "benchmark password"
ENV = {
    "DATABASE_URL": DATABASE,
    "CELERY_BROKER_URL": BROKER,
    "CELERY_QUEUE": "bench-propagation",
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "FAST_PASSWORD_HASHER": "1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "0",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "panel.settings",
    "PUSH_SWEEP_INTERVAL": "30",
    # As deploy/systemd/env.example: keep database connections (a new one per Celery task costs more than the push).
    "DATABASE_CONN_MAX_AGE": "60",
    # --dnssec: no parent to ask about the DS (nothing listens there; the zone stays "waiting for DS", signed).
    "DNSSEC_RESOLVERS": "127.0.0.1#9",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-changes", type=int, default=500)
    parser.add_argument("--burst-changes", type=int, default=2000)
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--servers", default="bind,knot")
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument("--dnssec", action="store_true", help="sign the latency zone; wait for signed answers")
    args = parser.parse_args()
    os.environ.update(ENV)
    _create_database()

    django.setup()

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="bench-propagation-") as directory:
        rows = _run(args, Path(directory))
    _print(rows, args)


def _create_database() -> None:
    base, name = DATABASE.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _run(args: argparse.Namespace, directory: Path) -> list[dict[str, Any]]:
    from tests.push.servers import bind_server, knot_server
    from tests.push.workers import Worker

    redis.Redis.from_url(BROKER).flushdb()
    factories = {"bind": bind_server, "knot": knot_server}
    servers = {kind: factories[kind](directory / kind) for kind in args.servers.split(",")}
    processes: list[Any] = []
    try:
        for server in servers.values():
            server.start()
            processes.append(server)
        worker = Worker(
            database_url=DATABASE,
            broker_url=BROKER,
            log=directory / "worker.log",
            concurrency=args.worker_concurrency,
            settings_module="panel.settings",
            queue=ENV["CELERY_QUEUE"],
        )
        processes.append(worker)
        web = _Gunicorn(directory)
        processes.append(web)
        return _measure(args, servers, web.port)
    finally:
        for process in reversed(processes):
            process.stop()


class _Gunicorn:
    def __init__(self, directory: Path) -> None:
        from tests.push.servers import free_port

        self.port = free_port()
        command = [str(ROOT / ".venv/bin/gunicorn"), "panel.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", "2", "--threads", "4", "--worker-class", "gthread"]
        with (directory / "gunicorn.log").open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=1).request("GET", "/")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class _Api:
    """A keep-alive client of the legacy API (one per thread)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, zone: str, *commands: str) -> None:
        body = urllib.parse.urlencode([("domain", zone), ("password", PASSWORD)] + [("command", c) for c in commands])
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        try:
            self.connection.request("POST", "/customer/primarydnsapi", body, headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # gunicorn closes a keep-alive connection idle for 2 s (a slow answer in the latency loop): reconnect.
            self.connection.close()
            self.connection.request("POST", "/customer/primarydnsapi", body, headers)
            response = self.connection.getresponse()
        text = response.read().decode()
        if response.status != 200 or "ERR" in text:
            raise RuntimeError(f"API answered {response.status}: {text[:200]}")


def _measure(args: argparse.Namespace, servers: dict[str, Any], port: int) -> list[dict[str, Any]]:
    from accounts.actors import Actor
    from accounts.services import account_create
    from zones.models import Nameserver
    from zones.push.services import nameserver_create
    from zones.tasks import push_zone

    actor = Actor.cli("benchmark")
    account = account_create(name="bench", actor=actor)
    rows = []
    registered = {kind: nameserver_create(actor=actor, **server.registration()) for kind, server in servers.items()}
    zone = _zones(account, ["latency.bench.test"], actor)[0]
    if args.dnssec:
        _sign(zone, actor)
    for kind, server in servers.items():
        Nameserver.objects.exclude(pk=registered[kind].pk).update(enabled=False)
        Nameserver.objects.filter(pk=registered[kind].pk).update(enabled=True)
        push_zone.delay(zone.pk)  # catch up on what it missed while disabled, before the clock runs
        _await_in_sync([zone], timeout=60)
        rows.append(_latency(kind, server, zone, port, args.latency_changes, signed=args.dnssec))
    Nameserver.objects.update(enabled=True)
    burst = {"changes": args.burst_changes, "senders": args.senders, "servers": "+".join(servers)}
    rows.append(_burst("1 zone", [zone], port, **burst))
    many = _zones(account, [f"z{i:05d}.bench.test" for i in range(args.zones)], actor)
    rows.append(_burst(f"{args.zones} zones", many, port, **burst))
    return rows


def _zones(account: Any, names: list[str], actor: Any) -> list[Any]:
    """Create zones with an API password; their creation is pushed (and the zones created) by the worker."""
    from zones.services import zone_create, zone_set_api_password

    zones = []
    for name in names:
        zone = zone_create(name=name, account=account, actor=actor)
        zone_set_api_password(zone=zone, password=PASSWORD, actor=actor)
        zones.append(zone)
    _await_in_sync(zones, timeout=60 + len(zones) * 0.5)
    return zones


def _sign(zone: Any, actor: Any) -> None:
    """Turn DNSSEC on for the zone (every server signs it) and wait until the worker has read the keys back."""
    from zones.dnssec import zone_dnssec_set
    from zones.models import ZoneDnssec

    zone_dnssec_set(zone=zone, enabled=True, actor=actor)
    deadline = time.monotonic() + 60
    while ZoneDnssec.objects.get(zone=zone).state == ZoneDnssec.State.SIGNING:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not signed after 60 s: {ZoneDnssec.objects.get(zone=zone).last_error}")
        time.sleep(0.1)


def _await_in_sync(zones: list[Any], timeout: float) -> float:
    from zones.models import Nameserver, ZoneSync

    ids = [zone.pk for zone in zones]
    expected = len(ids) * Nameserver.objects.filter(enabled=True).count()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        synced = ZoneSync.objects.filter(zone_id__in=ids, nameserver__enabled=True, version=F("zone__version"))
        if synced.count() == expected:
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError(f"zones not in sync after {timeout:.0f} s")


def _latency(kind: str, server: Any, zone: Any, port: int, changes: int, *, signed: bool) -> dict[str, Any]:
    api = _Api(port)
    query_name = f"lat.{zone.name}."
    samples = []
    for i in range(changes):
        address = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        api.post(zone.name, f"REPLACE lat 60 A {address}")
        started = time.perf_counter()
        query = dns.message.make_query(query_name, "A", want_dnssec=signed)
        while True:
            response = dns.query.udp(query, "127.0.0.1", port=server.port, timeout=2)
            answered = any(r.to_text() == address for rrset in response.answer for r in rrset)
            if answered and (not signed or any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in response.answer)):
                break
            time.sleep(0.001)
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {
        "what": f"latency, {kind}{', signed' if signed else ''}",
        "n": changes,
        "p50": statistics.median(samples) * 1000,
        "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000,
        "max": samples[-1] * 1000,
    }


def _burst(label: str, zones: list[Any], port: int, *, changes: int, senders: int, servers: str) -> dict[str, Any]:
    errors: list[BaseException] = []

    def send(offset: int) -> None:
        api = _Api(port)
        try:
            for i in range(offset, changes, senders):
                zone = zones[i % len(zones)]
                api.post(zone.name, f"REPLACE b{i} 60 A 10.1.{(i >> 8) & 255}.{i & 255}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(offset,)) for offset in range(senders)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = time.monotonic()
    if errors:
        raise errors[0]
    done = _await_in_sync(zones, timeout=600)
    return {
        "what": f"sustained, {label}, {servers}",
        "n": changes,
        "api/s": changes / (sent - started),
        "delivered/s": changes / (done - started),
        "lag": (done - sent) * 1000,
    }


def _print(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print()
    print(f"{'measurement':<40} {'changes':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for row in rows:
        if "p50" in row:
            print(f"{row['what']:<40} {row['n']:>8} {row['p50']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f}")
    print()
    print(f"{'measurement':<40} {'changes':>8} {'API /s':>8} {'deliv/s':>8} {'tail ms':>8}")
    for row in rows:
        if "api/s" in row:
            print(f"{row['what']:<40} {row['n']:>8} {row['api/s']:>8.0f} {row['delivered/s']:>8.0f} {row['lag']:>8.0f}")
    print()
    print("tail ms: from the last API 200 to every server serving every zone's final serial")
    print("command: .venv/bin/python " + " ".join(["bench/propagation.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
