"""PowerDNS Authoritative and ctrlpanel side by side: one A RRset replaced over and over, on one machine (issue 14).

Every system is started by this script on free 127.0.0.1 ports and stopped at the end, also on failure or Ctrl-C:
- PowerDNS Authoritative (Debian's pdns_server, gsqlite3 backend in a throwaway SQLite file, its own configuration
  directory, no guardian, no daemon): PATCH /api/v1/servers/localhost/zones/{zone} replacing one A RRset
  (changetype REPLACE) through its HTTP API, which answers 204.
- ctrlpanel under gunicorn, 2 workers x 8 threads, on SQLite (a throwaway file) and on PostgreSQL (a throwaway
  database on the server of POSTGRES_URL), with no broker and no nameserver (the zero-setup shape; --broker enqueues
  pushes on Redis instead): the Primary DNS API v1 (`REPLACE host 300 A <address>`, a form POST, answered with its
  echo) and the REST API (PUT /dns/v2/zones/{zone}/records/host/A with a JSON body, answered 200 with one record
  added and one removed). Account, zone, API password and API key are made with manage.py commands. A PostgreSQL
  server with autovacuum off (this machine's) gets ctrlpanel's database vacuumed before each PostgreSQL run, as
  autovacuum would have done meanwhile: every run leaves thousands of dead row versions behind.
- ctrlpanel as `make run` serves it now (waitress, panel/serve.py), on SQLite: legacy REPLACE only.

A run: N client threads, each on one keep-alive connection (PowerDNS closes it after every answer: the client
reconnects), every request a new address for the same ONE host; --warmup seconds not counted, then --seconds
measured. A round runs every system in every scenario once; --rounds rounds interleave the systems so that drift in
the machine's load hits all alike, and the table gives the median across rounds (errors: the sum). An error is any
other status or body, or a broken connection. After every run the host must hold exactly one A record and the zone
exactly one SOA (PowerDNS: read over its API; ctrlpanel: the legacy LIST); anything else is a FAILURE in the table and
the script exits 1. Then the ratios to PowerDNS in the same rounds, the issue's targets with PASS/MISS, the machine.

Run: .venv/bin/python bench/peer_pdns.py [--rounds 3] [--warmup 2] [--seconds 8] [--clients 1,32] [--quick]
     [--systems legacy-postgres,rest-postgres]
     [--postgres postgres://postgres@127.0.0.1:5432] [--database bench_peer_pdns] [--broker redis://...]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import operator
import os
import platform
import shlex
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import (
    ROOT,
    LoadResult,
    Request,
    drop_database,
    free_port,
    load,
    manage,
    recreate_database,
    start_server,
    stop,
)
from bench.legacy_api import PASSWORD, ZONE, post, purge
from bench.rest_api import key_credentials, server_environment

HOST = "host"
PDNS_SCHEMA = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
PDNS_API_KEY = "bench-pdns-api-key"
PDNS_ZONE = f"/api/v1/servers/localhost/zones/{ZONE}."
GUNICORN = [str(ROOT / ".venv/bin/gunicorn"), "panel.wsgi", "--bind", "127.0.0.1:{port}"]
GUNICORN += ["--workers", "2", "--threads", "8", "--log-level", "warning"]
WAITRESS = [str(ROOT / ".venv/bin/python"), "-m", "panel.serve", "--port", "{port}"]
QUICK = {"rounds": 1, "warmup": 1.0, "seconds": 3.0}
# The rows besides PowerDNS's (--systems picks some of them).
SYSTEMS = ("legacy-sqlite", "rest-sqlite", "legacy-postgres", "rest-postgres", "legacy-waitress")
FULL = {"rounds": 3, "warmup": 2.0, "seconds": 8.0}


@dataclass(frozen=True)
class Tally:
    """What the benchmarked host and the zone hold after a run."""

    a_records: int
    soa_records: int

    @property
    def ok(self) -> bool:
        return self.a_records == 1 and self.soa_records == 1

    def __str__(self) -> str:
        return f"{self.a_records} A, {self.soa_records} SOA"


class PowerDNS:
    """pdns_server with the gsqlite3 backend, configured in a directory of its own; the zone made over its API."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.dns_port = free_port()
        self.port = free_port()  # the webserver: the HTTP API
        self.process: subprocess.Popen[bytes] | None = None
        self.headers = {"X-API-Key": PDNS_API_KEY, "Content-Type": "application/json"}
        self.version = "?"

    def start(self) -> None:
        self.directory.mkdir()
        with sqlite3.connect(self.directory / "pdns.sqlite3") as database:
            database.executescript(PDNS_SCHEMA.read_text())
        (self.directory / "pdns.conf").write_text(self._config())
        with (self.directory / "server.log").open("wb") as log:
            command = ["pdns_server", f"--config-dir={self.directory}"]
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.version = self._wait()
        status, _ = self.api("POST", "/api/v1/servers/localhost/zones", {"name": f"{ZONE}.", "kind": "Native"})
        if status != 201:
            raise RuntimeError(f"PowerDNS answered {status} to the zone's creation")

    def _config(self) -> str:
        settings = {
            "launch": "gsqlite3",
            "gsqlite3-database": self.directory / "pdns.sqlite3",
            "local-address": "127.0.0.1",
            "local-port": self.dns_port,
            "api": "yes",
            "api-key": PDNS_API_KEY,
            "webserver": "yes",
            "webserver-address": "127.0.0.1",
            "webserver-port": self.port,
            "webserver-allow-from": "127.0.0.1",
            "guardian": "no",
            "daemon": "no",
            "disable-syslog": "yes",
            "write-pid": "no",
            "socket-dir": self.directory,
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _wait(self) -> str:
        """The server's version, once its API answers."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process and self.process.poll() is None:
            with contextlib.suppress(OSError):
                status, server = self.api("GET", "/api/v1/servers/localhost")
                if status == 200:
                    return str(server["version"])
            time.sleep(0.1)
        raise RuntimeError(f"pdns_server did not start: see {self.directory / 'server.log'}")

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def api(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, None if body is None else json.dumps(body), self.headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        return response.status, json.loads(data) if data else None

    def replace(self, conn: http.client.HTTPConnection, index: int, address: str) -> bool:
        records = [{"content": address, "disabled": False}]
        rrset = {"name": f"{HOST}.{ZONE}.", "type": "A", "ttl": 300, "changetype": "REPLACE", "records": records}
        conn.request("PATCH", PDNS_ZONE, json.dumps({"rrsets": [rrset]}), self.headers)
        response = conn.getresponse()
        return response.status == 204 and response.read() == b""

    def tally(self) -> Tally:
        status, zone = self.api("GET", PDNS_ZONE)
        if status != 200:
            raise RuntimeError(f"GET of the zone answered {status}")

        def count(name: str, rrtype: str) -> int:
            return sum(len(r["records"]) for r in zone["rrsets"] if (r["name"], r["type"]) == (name, rrtype))

        return Tally(count(f"{HOST}.{ZONE}.", "A"), count(f"{ZONE}.", "SOA"))


class Ctrlpanel:
    """One installation of this checkout: its database, the zone with an API password and an API key, a server."""

    def __init__(self, database_url: str, command: list[str], log: Path, broker: str) -> None:
        self.env = server_environment(database_url)  # bench/rest_api.py: throttles lifted, connections kept 60 s
        # The zero-setup shape whatever a local .env says: no Redis (the database cache), no broker unless --broker
        # (pushes run in-process; with no nameserver there is nothing to push), no debug.
        self.env.update(DEBUG="0", REDIS_URL="", CELERY_BROKER_URL=broker, CELERY_QUEUE=f"bench-peer-{os.getpid()}")
        self.command = command
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.credentials = ""

    def set_up(self) -> None:
        try:
            manage(self.env, "migrate", "--noinput", "-v0")
            manage(self.env, "account_create", "bench")
            manage(self.env, "zone_create", ZONE, "--account", "bench")
            manage(self.env, "zone_set_password", ZONE, stdin=PASSWORD + "\n")
            self.credentials = key_credentials(manage(self.env, "apikey_create", "--account", "bench"))
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"{shlex.join(exc.cmd)} failed:\n{exc.stderr}") from exc

    def start(self) -> None:
        with self.log.open("wb") as output:
            self.process, self.port = start_server(self.command, self.env, output=output)

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def prime(self) -> None:
        """A burst of both requests before any run: a worker's first ones (imports, the URL configuration, the
        password's deliberately slow hash) took 30 s on a busy machine, longer than a warm-up."""
        for request in (self.legacy_replace, self.rest_put):
            load(self.port, request, clients=16, seconds=0.5)

    def legacy_replace(self, conn: http.client.HTTPConnection, index: int, address: str) -> bool:
        command = f"REPLACE {HOST} 300 A {address}"
        status, body = post(conn, [command])
        return status == 200 and body == f"{command}\n".encode()

    def rest_put(self, conn: http.client.HTTPConnection, index: int, address: str) -> bool:
        body = json.dumps({"records": [{"ttl": 300, "data": address}]})
        headers = {"Authorization": self.credentials, "Content-Type": "application/json"}
        conn.request("PUT", f"/dns/v2/zones/{ZONE}/records/{HOST}/A", body, headers)
        response = conn.getresponse()
        reply = json.loads(response.read())
        counts = (reply.get("records_added"), reply.get("records_removed")) if isinstance(reply, dict) else None
        return response.status == 200 and counts == (1, 1)

    def tally(self) -> Tally:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            status, body = post(conn, ["LIST"], showall="1")
        finally:
            conn.close()
        if status != 200:
            raise RuntimeError(f"LIST answered {status}")
        entries = [line.split(maxsplit=3) for line in body.decode().splitlines() if line.strip()]
        return Tally(
            sum(1 for entry in entries if entry[0] == HOST and entry[2] == "A"),
            sum(1 for entry in entries if entry[2] == "SOA"),
        )


class System(Protocol):
    port: int

    def tally(self) -> Tally: ...


@dataclass(frozen=True)
class Row:
    """One line of the table: a system and the request it is measured with."""

    key: str
    label: str
    system: System
    request: Request


@dataclass(frozen=True)
class Run:
    result: LoadResult
    after: str  # what the host and zone held afterwards, or why that could not be read
    ok: bool


@dataclass(frozen=True)
class Summary:
    """One cell group of the table: a row at one client count, across the rounds."""

    ok_per_second: float  # median
    p50: float  # ms, median
    p99: float  # ms, median
    requests: int  # sum
    errors: int  # sum
    failures: list[str]
    ratio: float | None  # ok/s over PowerDNS's ok/s in the same round, median; None for PowerDNS itself


@dataclass(frozen=True)
class Target:
    """A target of issue 14."""

    row: str
    clients: int
    measure: str  # "req/s", "x PowerDNS", "p99 ms", "errors", "bad runs"
    relation: str  # "≥", "<", "="
    goal: float

    def value(self, summary: Summary) -> float | None:
        values = {
            "req/s": summary.ok_per_second,
            "x PowerDNS": summary.ratio,
            "p99 ms": summary.p99,
            "errors": summary.errors,
            "bad runs": len(summary.failures),
        }
        return values[self.measure]

    def shown(self, value: float) -> str:
        return (
            f"{value:.2f}"
            if self.measure == "x PowerDNS"
            else f"{value:.1f}"
            if self.measure == "p99 ms"
            else f"{value:.0f}"
        )

    def met(self, value: float) -> bool:
        compare = {"≥": operator.ge, "<": operator.lt, "=": operator.eq}[self.relation]
        return bool(compare(value, self.goal))


# The issue names no interface for its 32-client target: it is held to both, legacy REPLACE and REST PUT.
TARGETS = [
    Target("legacy-sqlite", 1, "req/s", "≥", 450),
    Target("legacy-sqlite", 1, "x PowerDNS", "≥", 0.67),
    Target("rest-sqlite", 1, "req/s", "≥", 300),
    Target("legacy-postgres", 1, "req/s", "≥", 300),
    Target("rest-postgres", 1, "req/s", "≥", 220),
    *(
        Target(row, 32, measure, relation, goal)
        for row in ("legacy-postgres", "rest-postgres")
        for measure, relation, goal in (
            ("req/s", "≥", 400),
            ("p99 ms", "<", 250),
            ("errors", "=", 0),
            ("bad runs", "=", 0),
        )
    ),
]


def main() -> int:
    args = arguments()
    signal.signal(signal.SIGTERM, terminated)
    load_at_start = os.getloadavg()
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-peer-")))
        try:
            rows, versions = start_systems(stack, directory, args)
            runs = run_rounds(rows, args)
        except Exception:  # not on Ctrl-C or SIGTERM: a failure's causes, not an interruption's
            show_logs(directory)
            raise
        load_at_end = os.getloadavg()
    summaries = summarise(rows, args.clients, runs)
    print_report(rows, args, summaries, versions)
    print_machine(load_at_start, load_at_end)
    return 1 if any(summary.failures for summary in summaries.values()) else 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, help=f"rounds of every system in every scenario ({FULL['rounds']})")
    parser.add_argument("--warmup", type=float, help=f"seconds of each run not counted ({FULL['warmup']})")
    parser.add_argument("--seconds", type=float, help=f"seconds of each run measured ({FULL['seconds']})")
    parser.add_argument("--clients", default="1,32", help="client counts, comma separated (1,32)")
    parser.add_argument(
        "--quick", action="store_true", help="one short round: " + ", ".join(f"--{k} {v}" for k, v in QUICK.items())
    )
    parser.add_argument(
        "--systems",
        default="",
        help="measure only these rows besides PowerDNS, comma separated: " + ", ".join(SYSTEMS) + " (default: all)",
    )
    parser.add_argument("--postgres", default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="bench_peer_pdns", help="the throwaway PostgreSQL database")
    parser.add_argument(
        "--broker",
        default="",
        help="a Redis URL: ctrlpanel enqueues its pushes there as production does (a queue of its own, purged at the "
        "end); default: no broker, pushes run in-process (the zero-setup mode)",
    )
    args = parser.parse_args()
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    try:
        args.clients = [int(count) for count in args.clients.split(",")]
    except ValueError:
        parser.error(f"--clients must be whole numbers separated by commas, not {args.clients!r}")
    args.systems = [name for name in args.systems.split(",") if name] or list(SYSTEMS)
    if unknown := sorted(set(args.systems) - set(SYSTEMS)):
        parser.error(f"--systems: no such row {', '.join(unknown)} (rows: {', '.join(SYSTEMS)})")
    if args.rounds < 1 or args.seconds <= 0 or args.warmup < 0 or min(args.clients) < 1:
        parser.error("--rounds, --seconds and every client count must be positive, --warmup not negative")
    return args


def terminated(signum: int, frame: object) -> NoReturn:
    sys.exit(128 + signum)  # SystemExit unwinds the ExitStack: every server stopped, the database dropped


def start_systems(
    stack: contextlib.ExitStack, directory: Path, args: argparse.Namespace
) -> tuple[list[Row], dict[str, str]]:
    """Start PowerDNS and the three ctrlpanel installations, each stopped (and its database dropped) by `stack`."""
    pdns = PowerDNS(directory / "pdns")
    stack.callback(pdns.stop)
    pdns.start()
    recreate_database(args.postgres, args.database)
    stack.callback(drop_database, args.postgres, args.database)
    sqlite, postgres, waitress = (
        Ctrlpanel(f"sqlite:///{directory / 'sqlite.sqlite3'}", GUNICORN, directory / "sqlite.log", args.broker),
        Ctrlpanel(f"{args.postgres}/{args.database}", GUNICORN, directory / "postgres.log", args.broker),
        Ctrlpanel(f"sqlite:///{directory / 'waitress.sqlite3'}", WAITRESS, directory / "waitress.log", args.broker),
    )
    if args.broker:
        stack.callback(purge, args.broker, sqlite.env["CELERY_QUEUE"])
    # One after the other: subprocess.run kills its manage.py when Ctrl-C or SIGTERM interrupts it, which a thread
    # pool running them side by side would wait for.
    for panel in (sqlite, postgres, waitress):
        panel.set_up()
        stack.callback(panel.stop)
        panel.start()
        panel.prime()
    rows = [
        Row("pdns", f"PowerDNS {pdns.version} API PATCH REPLACE, gsqlite3", pdns, pdns.replace),
        Row("legacy-sqlite", "ctrlpanel legacy REPLACE, SQLite", sqlite, sqlite.legacy_replace),
        Row("rest-sqlite", "ctrlpanel REST PUT, SQLite", sqlite, sqlite.rest_put),
        Row("legacy-postgres", "ctrlpanel legacy REPLACE, PostgreSQL", postgres, postgres.legacy_replace),
        Row("rest-postgres", "ctrlpanel REST PUT, PostgreSQL", postgres, postgres.rest_put),
        Row(
            "legacy-waitress",
            "ctrlpanel legacy REPLACE, SQLite, `make run`'s server (waitress)",
            waitress,
            waitress.legacy_replace,
        ),
    ]
    rows = [row for row in rows if row.key == "pdns" or row.key in args.systems]
    args.vacuum = autovacuum_off(args.postgres)
    return rows, {"PowerDNS": pdns.version, "PostgreSQL": postgres_version(args.postgres)}


def postgres_version(server: str) -> str:
    with psycopg.connect(f"{server}/postgres") as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]


def show_logs(directory: Path) -> None:
    """The end of every server's log, to stderr: what a server said before a failure."""
    for log in sorted(directory.glob("**/*.log")):
        lines = log.read_text(errors="replace").splitlines()[-15:]
        print(f"--- {log.relative_to(directory)} (last lines)", *lines, sep="\n", file=sys.stderr)


def run_rounds(rows: list[Row], args: argparse.Namespace) -> dict[tuple[str, int], list[Run]]:
    """Every row at every client count, round after round; progress to stderr."""
    runs: dict[tuple[str, int], list[Run]] = defaultdict(list)
    for number in range(1, args.rounds + 1):
        for clients in args.clients:
            for row in rows:
                if args.vacuum and row.key.endswith("-postgres"):
                    vacuum(f"{args.postgres}/{args.database}")
                run = run_once(row, clients, args)
                runs[row.key, clients].append(run)
                print(f"round {number}/{args.rounds}, {clients} clients, {row.label}: {progress(run)}", file=sys.stderr)
    return runs


def autovacuum_off(server: str) -> bool:
    with psycopg.connect(f"{server}/postgres") as conn:
        return str(conn.execute("SHOW autovacuum").fetchone()[0]) == "off"  # type: ignore[index]


def vacuum(database: str) -> None:
    """What autovacuum would have done since the last run: every run leaves thousands of dead row versions (each
    REPLACE deletes a record and moves the zone row), which PostgreSQL's default autovacuum removes as they come."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def run_once(row: Row, clients: int, args: argparse.Namespace) -> Run:
    result = load(row.system.port, row.request, clients, args.seconds, warmup=args.warmup)
    try:
        tally = row.system.tally()
    except (OSError, http.client.HTTPException, ValueError, KeyError, RuntimeError) as exc:
        return Run(result, f"could not be read ({exc!r})", ok=False)
    return Run(result, str(tally), ok=tally.ok)


def progress(run: Run) -> str:
    result = run.result
    return f"{result.ok_per_second:.0f} ok/s, p50 {result.latency_ms(0.5):.1f} ms, {result.errors} errors, {run.after}"


def summarise(
    rows: list[Row], client_counts: list[int], runs: dict[tuple[str, int], list[Run]]
) -> dict[tuple[str, int], Summary]:
    return {
        (row.key, clients): summary(runs[row.key, clients], runs[rows[0].key, clients], row is rows[0])
        for row in rows
        for clients in client_counts
    }


def summary(runs: list[Run], pdns_runs: list[Run], is_pdns: bool) -> Summary:
    ratios = [
        run.result.ok_per_second / peer.result.ok_per_second
        for run, peer in zip(runs, pdns_runs, strict=True)
        if peer.result.ok_per_second > 0
    ]
    return Summary(
        ok_per_second=statistics.median(run.result.ok_per_second for run in runs),
        p50=statistics.median(run.result.latency_ms(0.5) for run in runs),
        p99=statistics.median(run.result.latency_ms(0.99) for run in runs),
        requests=sum(len(run.result.latencies) for run in runs),
        errors=sum(run.result.errors for run in runs),
        failures=[f"round {number}: {run.after}" for number, run in enumerate(runs, 1) if not run.ok],
        ratio=None if is_pdns or not ratios else statistics.median(ratios),
    )


def print_report(
    rows: list[Row], args: argparse.Namespace, summaries: dict[tuple[str, int], Summary], versions: dict[str, str]
) -> None:
    print(f"# One A RRset of ONE host replaced by every request: {args.rounds} rounds of {args.warmup:g} s warm-up")
    print(f"# and {args.seconds:g} s measured per run, median across rounds (errors: the sum over rounds)")
    print("# req/s counts the requests answered with success; p50 and p99 are over all requests\n")
    print_table(rows, args.clients, summaries)
    print("\n## Ratios to PowerDNS in the same rounds (req/s, median of the rounds' ratios)\n")
    for row in rows[1:]:
        for clients in args.clients:
            ratio = summaries[row.key, clients].ratio
            figure = "PowerDNS answered no request successfully" if ratio is None else f"{ratio:.2f}x PowerDNS"
            print(f"- {row.label}, {clients_text(clients)} = {figure}")
    print("\n## Targets of issue 14\n")
    print_targets(rows, summaries)
    pushes = f"pushes enqueued on {args.broker}" if args.broker else "no broker (pushes in-process)"
    vacuumed = ": autovacuum off, ctrlpanel's database vacuumed before each run on it" if args.vacuum else ""
    print(f"\nPowerDNS {versions['PowerDNS']}: gsqlite3 with its default pragmas.")
    print(f"PostgreSQL {versions['PostgreSQL']}{vacuumed}.")
    print(f"ctrlpanel: gunicorn 2 workers x 8 threads or waitress 8 threads, DATABASE_CONN_MAX_AGE=60, {pushes},")
    print("no nameserver.")


def clients_text(clients: int) -> str:
    return "1 client" if clients == 1 else f"{clients} clients on one host"


def print_table(rows: list[Row], client_counts: list[int], summaries: dict[tuple[str, int], Summary]) -> None:
    head = ["system"]
    for clients in client_counts:
        head += [f"{clients_text(clients)}: req/s", "p50 ms", "p99 ms", "errors"]
    head.append("after each run")
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 2) + "---|")
    for row in rows:
        cells = [row.label]
        failures: list[str] = []
        for clients in client_counts:
            summary = summaries[row.key, clients]
            cells += [f"{summary.ok_per_second:.0f}", f"{summary.p50:.1f}", f"{summary.p99:.1f}", errors_text(summary)]
            failures += [f"{clients_text(clients)}, {failure}" for failure in summary.failures]
        cells.append("**FAILURE**: " + "; ".join(failures) if failures else "1 A, 1 SOA")
        print("| " + " | ".join(cells) + " |")


def errors_text(summary: Summary) -> str:
    if not summary.errors:
        return "0"
    return f"{summary.errors} ({summary.errors / summary.requests:.0%})"


def print_targets(rows: list[Row], summaries: dict[tuple[str, int], Summary]) -> None:
    labels = {row.key: row.label for row in rows}
    print("| target | measured | |")
    print("|---|---:|---|")
    for target in (target for target in TARGETS if target.row in labels):
        name = (
            f"{labels[target.row]}, {clients_text(target.clients)}: {target.measure} {target.relation} {target.goal:g}"
        )
        summary = summaries.get((target.row, target.clients))
        value = None if summary is None else target.value(summary)
        if value is None:
            print(f"| {name} | not measured | |")
        else:
            print(f"| {name} | {target.shown(value)} | {'PASS' if target.met(value) else 'MISS'} |")


def print_machine(load_at_start: tuple[float, ...], load_at_end: tuple[float, ...]) -> None:
    print(f"\nMachine: {os.cpu_count()} cores ({cpu_model()}), {platform.platform()}; load average (1, 5, 15 min)")
    print(f"{figures(load_at_start)} at the start, {figures(load_at_end)} at the end")
    print(f"\ncommand: {shlex.join([sys.executable, *sys.argv])}")


def figures(values: tuple[float, ...]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
