"""Benchmark: a full pass of the verifier (zones/push/verify.py) over N zones x 2 nameservers, against real BIND.

Usage: .venv/bin/python bench/verifier.py [--zones 10000] [--postgres postgres://postgres@127.0.0.1:5432]
       .venv/bin/python bench/verifier.py --database verify_100k   # a migrated copy of bench/scale.py's database

`__main__` builds a throwaway PostgreSQL database (bench_verifier: migrated, N zones of 11 records in 9 RRsets each,
loaded with bulk inserts), calls `verify_row` and drops the database; with --database it measures that existing
database instead (a copy: it writes ZoneSync, VerifyRun and Nameserver rows) and keeps it. `verify_row(database_url)`
works on any
migrated database holding zones (bench/scale.py's, say): it writes every zone of the database to a zone file (one
streamed query), starts two BIND servers (named -f, throwaway configuration, free 127.0.0.1 ports, as
tests/push/servers.py does) each serving every zone as a primary that takes TSIG-signed UPDATEs, registers them as the
only enabled nameservers with every zone confirmed on both (ZoneSync at the zone's version and serial, never verified),
and measures:

- cold: the first pass, where nothing was ever verified in full: every zone copy is transferred (AXFR) and compared.
  What the first run after deploying this costs, and the worst case.
- steady: the next pass, after drift was planted behind the database's back in 10 zones on the first server (a TXT
  record added by UPDATE, which moves the serial): every zone's SOA serial asked of both servers, transfers for the
  moved serials and the run's rotating share (1/24 of the zones with the default intervals). It must find and repair
  10/10; the 10 zones are then verified again by name (transferred in full) and must be clean.
- SOA queries/s: one sweep of every zone's SOA on one server (transport.soa_sweep, PUSH_VERIFY_CONCURRENCY in flight).

Prints a table (seconds of each pass, the margin against PUSH_VERIFY_INTERVAL and the beat task's 3,000 s soft limit)
and the command. The servers are stopped (by PID) and the database dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "bench_verifier"
DRIFT = 10
SOFT_LIMIT = 3000  # zones.tasks.zones_verify
ENV = {
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "DJANGO_SETTINGS_MODULE": "panel.settings",
    "LOG_LEVEL": "WARNING",
    "ALLOWED_HOSTS": "127.0.0.1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", help="measure this existing, migrated database (kept) instead of building one")
    args = parser.parse_args()
    server = args.postgres.rsplit("/", 1)[0] if args.postgres.count("/") > 2 else args.postgres
    from bench.harness import drop_database, recreate_database

    name = args.database or DATABASE
    if not args.database:
        recreate_database(server, DATABASE)
    url = f"{server}/{name}"
    os.environ.update(ENV | {"DATABASE_URL": url})
    try:
        import django

        django.setup()
        if not args.database:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            started = time.monotonic()
            _load(args.zones)
            print(f"loaded {args.zones} zones in {time.monotonic() - started:.1f} s", file=sys.stderr)
        figures = verify_row(url)
        _report(figures, args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.database:
            drop_database(server, DATABASE)


# --- the data set of __main__ -----------------------------------------------------------------------------------------


def _load(count: int) -> None:
    """`count` zones z<n>.bench.test, each: apex NS (2), A, AAAA, MX, TXT; www, mail, h1, h2 A (11 records)."""
    from django.conf import settings
    from django.db import transaction

    from accounts.models import Account
    from zones.models import Record, RRset, Zone

    with transaction.atomic():
        account = Account.objects.create(name="bench")
        zones = Zone.objects.bulk_create(
            [
                Zone(
                    name=f"z{n}.bench.test",
                    account=account,
                    serial=2026010101,
                    version=1,
                    soa_mname=settings.ZONE_SOA_MNAME,
                    soa_rname=settings.ZONE_SOA_RNAME,
                    record_count=11,
                )
                for n in range(count)
            ],
            batch_size=5000,
        )
        template = _template(settings.ZONE_NAMESERVERS)
        rrsets = RRset.objects.bulk_create(
            [RRset(zone=zone, name=name, type=rdtype, ttl=ttl) for zone in zones for name, rdtype, ttl, _ in template],
            batch_size=5000,
        )
        contents = [contents for _, _, _, contents in template] * len(zones)
        Record.objects.bulk_create(
            [
                Record(zone_id=rrset.zone_id, rrset=rrset, content=content)
                for rrset, values in zip(rrsets, contents, strict=True)
                for content in values
            ],
            batch_size=10000,
        )


def _template(nameservers: list[str]) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [
        ("@", "NS", 3600, tuple(nameservers)),
        ("@", "A", 3600, ("192.0.2.10",)),
        ("@", "AAAA", 3600, ("2001:db8::10",)),
        ("@", "MX", 3600, ("10 mx1.example.net.",)),
        ("@", "TXT", 3600, ('"v=spf1 mx -all"',)),
        ("www", "A", 300, ("192.0.2.11",)),
        ("mail", "A", 300, ("192.0.2.12",)),
        ("h1", "A", 60, ("192.0.2.21", "192.0.2.22")),
        ("h2", "A", 60, ("192.0.2.23",)),
    ]


# --- the row ----------------------------------------------------------------------------------------------------------


def verify_row(database_url: str) -> dict[str, Any]:
    """Measure the verifier over every zone of the database at `database_url` (Django set up against it) x 2 BIND
    servers started here; returns the figures. The database's enabled nameservers are switched off meanwhile (on again
    at the end); its own two ("verify-a", "verify-b") stay, disabled, with their sync rows and the runs."""
    from django.conf import settings
    from django.db import connection

    assert connection.settings_dict["NAME"] == database_url.rsplit("/", 1)[1], "Django is set up on another database"
    from tests.push.servers import Nameserver as Server
    from tests.push.servers import bind_server
    from zones.models import Nameserver

    directory = Path(tempfile.mkdtemp(prefix="bench-verifier-"))
    servers: list[Server] = []
    enabled = list(Nameserver.objects.filter(enabled=True).values_list("pk", flat=True))
    try:
        started = time.monotonic()
        names = _export(directory / "files")
        exported = time.monotonic() - started
        for label in ("a", "b"):
            server = bind_server(directory / label)
            _serve(server, directory / "files", names)
            servers.append(server)
        started = time.monotonic()
        for server in servers:  # both load at once; with 100,000 zones BIND answers only after minutes
            with server.log.open("ab") as log:
                server.process = subprocess.Popen(server.command, stdout=log, stderr=subprocess.STDOUT)
        for server in servers:
            _await_loaded(server, names)
        loaded = time.monotonic() - started
        rows = _register(servers)
        figures: dict[str, Any] = {"zones": len(names), "exported": exported, "bind_loaded": loaded}
        figures |= _measure(servers, rows, names)
        figures["concurrency"] = settings.PUSH_VERIFY_CONCURRENCY
        figures["transfers_at_once"] = settings.PUSH_VERIFY_TRANSFERS
        figures["interval"] = settings.PUSH_VERIFY_INTERVAL
        figures["load"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
        return figures
    finally:
        for server in servers:
            server.stop()
        Nameserver.objects.filter(name__in=["verify-a", "verify-b"]).update(enabled=False)
        Nameserver.objects.filter(pk__in=enabled).update(enabled=True)
        shutil.rmtree(directory, ignore_errors=True)


def _export(files: Path) -> list[str]:
    """Every zone as a master file (relative owner names, the SOA first), streamed from one query per table."""
    from zones.models import Record

    files.mkdir(parents=True)
    zones = {pk: (name, zone) for pk, name, zone in _zones()}
    lines: dict[int, list[str]] = {}
    rows = Record.objects.order_by("zone_id").values_list(
        "zone_id", "rrset__name", "rrset__type", "rrset__ttl", "content"
    )
    current = None
    for zone_id, name, rdtype, ttl, content in rows.iterator(chunk_size=20_000):
        if zone_id != current and current is not None:
            _write(files, zones[current], lines.pop(current))
        current = zone_id
        lines.setdefault(zone_id, []).append(f"{name} {ttl} IN {rdtype} {content}")
    if current is not None:
        _write(files, zones[current], lines.pop(current))
    for zone in zones.values():
        if not (files / zone[0]).exists():  # a zone without records: the SOA alone
            _write(files, zone, [])
    return sorted(name for name, _ in zones.values())


def _zones() -> Iterator[tuple[int, str, Any]]:
    from zones.models import Zone

    fields = ("pk", "name", "serial", "soa_ttl", "soa_mname", "soa_rname", "soa_refresh", "soa_retry", "soa_expire")
    for zone in Zone.objects.only(*fields, "soa_minimum").order_by("pk").iterator(chunk_size=10_000):
        yield zone.pk, zone.name, zone


def _write(files: Path, zone: tuple[str, Any], lines: list[str]) -> None:
    name, row = zone
    soa = f"@ {row.soa_ttl} IN SOA {row.soa_content_at(row.serial)}"
    (files / name).write_text("\n".join([soa, *lines]) + "\n")


def _serve(server: Any, files: Path, names: list[str]) -> None:
    """Each zone as a primary zone of the server, its file linked into the server's own directory (BIND writes a
    journal next to a zone that takes UPDATEs, and two servers may not share one)."""
    zones = server.zone_directory / "bench"
    shutil.copytree(files, zones, copy_function=os.link)  # BIND replaces a file it rewrites (rename): links will do
    with (server.directory / "named.conf").open("a") as conf:
        for name in names:
            conf.write(
                f'zone "{name}" {{ type primary; file "{zones / name}"; '
                f'allow-update {{ key "ctrlpanel-push"; }}; allow-transfer {{ key "ctrlpanel-push"; }}; }};\n'
            )


def _await_loaded(server: Any, names: list[str]) -> None:
    """Until the server answers every zone's SOA authoritatively (it loads zones in the background after start)."""
    import dns.name

    from zones.push import transport

    key = transport.tsig_key("ctrlpanel-push", server.secret, "hmac-sha256")
    origins = [dns.name.from_text(name) for name in names]
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"BIND on {server.port} exited: {server.log.read_text()[-2000:]}")
        answers = transport.soa_sweep(transport.Server("127.0.0.1", server.port, key), origins, window=64)
        missing = [origin for origin, answer in zip(origins, answers, strict=True) if answer.serial is None]
        if not missing:
            return
        origins = missing
        time.sleep(1)
    raise RuntimeError(f"BIND on {server.port} did not load {len(origins)} zones")


def _register(servers: list[Any]) -> list[Any]:
    from django.db import connection

    from accounts.actors import Actor
    from zones.models import Nameserver, ZoneSync
    from zones.push.services import nameserver_create

    Nameserver.objects.filter(enabled=True).update(enabled=False)
    Nameserver.objects.filter(name__in=["verify-a", "verify-b"]).delete()
    rows = []
    for label, server in zip("ab", servers, strict=True):
        registration = server.registration() | {"name": f"verify-{label}", "kind": Nameserver.Kind.RFC2136}
        registration |= {"zone_directory": "", "control_path": ""}
        rows.append(nameserver_create(actor=Actor.cli("bench/verifier.py"), **registration))
    # Every zone confirmed on both at its version and serial, never verified in full.
    with connection.cursor() as cursor:
        for row in rows:
            cursor.execute(
                f"INSERT INTO {ZoneSync._meta.db_table} (zone_id, nameserver_id, version, serial, last_error, "
                "attempts, verified_version) SELECT id, %s, version, serial, '', 0, 0 FROM zones_zone",
                [row.pk],
            )
    return rows


def _measure(servers: list[Any], rows: list[Any], names: list[str]) -> dict[str, Any]:
    import dns.name
    import dns.query
    import dns.tsig
    import dns.update
    from django.conf import settings

    from zones.models import Zone
    from zones.push import transport
    from zones.push.services import server_of, zone_push
    from zones.push.verify import zones_verify

    figures: dict[str, Any] = {}
    origins = [dns.name.from_text(name) for name in names]
    started = time.monotonic()
    answers = transport.soa_sweep(server_of(rows[0]), origins, window=settings.PUSH_VERIFY_CONCURRENCY)
    figures["soa_per_second"] = len(origins) / (time.monotonic() - started)
    figures["soa_unanswered"] = sum(1 for answer in answers if answer.serial is None)

    figures["cold"] = zones_verify(zone_names=None, repair=True).run
    drifted = names[:: max(1, len(names) // DRIFT)][:DRIFT]
    for name in drifted:
        update = dns.update.UpdateMessage(f"{name}.", keyring=dns.tsig.Key("ctrlpanel-push", servers[0].secret))
        update.add("planted", 60, "TXT", '"behind the database\'s back"')
        assert dns.query.tcp(update, "127.0.0.1", port=servers[0].port, timeout=5).rcode() == 0
    figures["steady"] = zones_verify(zone_names=None, repair=True).run
    # A repair that had to raise the serial (the server had counted past ours) leaves the other server a version
    # behind; the sweeper pushes it within PUSH_SWEEP_INTERVAL. Do what it does before looking again.
    for zone_id in Zone.objects.filter(name__in=drifted).values_list("pk", flat=True):
        zone_push(zone_id=zone_id, blocking=True)
    after = zones_verify(zone_names=drifted, repair=False)
    figures["planted"] = len(drifted)
    figures["clean_after"] = sum(1 for report in after.reports if report.clean)
    figures["named_pairs"] = after.run.pairs
    figures["planted_gone"] = sum(1 for name in drifted if not servers[0].answer(f"planted.{name}.", "TXT"))
    return figures


def _report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    interval = figures["interval"]
    print(
        f"\n{figures['zones']} zones x 2 BIND servers; zone files written in {figures['exported']:.1f} s, both servers "
        f"loaded them in {figures['bind_loaded']:.1f} s; PUSH_VERIFY_CONCURRENCY={figures['concurrency']}, "
        f"PUSH_VERIFY_TRANSFERS={figures['transfers_at_once']}\n"
    )
    print(f"SOA queries/s, one sweep of every zone on one server: {figures['soa_per_second']:,.0f}\n")
    print(
        "| pass | zones | zone copies | SOA answers | transferred | drift found | repaired | errors | seconds | "
        f"margin to PUSH_VERIFY_INTERVAL ({interval} s) | margin to the soft limit ({SOFT_LIMIT} s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label in ("cold", "steady"):
        run = figures[label]
        print(
            f"| {label} | {run.zones} | {run.pairs} | {run.soa_checked} | {run.transferred} | {run.drift} | "
            f"{run.repaired} | {run.errors} | {run.seconds:.1f} | {interval - run.seconds:.0f} s | "
            f"{SOFT_LIMIT - run.seconds:.0f} s |"
        )
    steady = figures["steady"]
    print(
        f"\nplanted drift in {figures['planted']} zones: found {steady.drift}, repaired {steady.repaired}; "
        f"verified again by name: {figures['clean_after']}/{figures['named_pairs']} copies clean, "
        f"planted record gone from {figures['planted_gone']}/{figures['planted']}"
    )
    source = f"--database {args.database}" if args.database else f"--zones {args.zones}"
    print(f"\ncommand: .venv/bin/python bench/verifier.py {source}; load average {figures['load']}")


if __name__ == "__main__":
    main()
