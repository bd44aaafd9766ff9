"""The verifier that scales (zones/push/verify.py) against real BIND and Knot: SOA serials first, a full transfer only
where the zone changed, the serial moved or the rotation says so, one snapshot per zone, a summary per run."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dns.query
import dns.rcode
import dns.rdata
import dns.tsig
import dns.update
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account
from tests.push.conftest import forget_zones, register
from tests.push.servers import TSIG_NAME, free_port
from tests.push.servers import Nameserver as Server
from tests.sessions import sign_in_verified
from zones import tasks
from zones.models import Nameserver, VerifyRun, Zone, ZoneSync
from zones.push import verify
from zones.push.verify import runs_expire, zones_verify
from zones.services import Add, zone_apply, zone_create

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600


@pytest.fixture
def rotation(settings: Any) -> int:
    """Runs hourly, every zone transferred in full at least every two hours: two shares, by zone id modulo 2."""
    settings.PUSH_VERIFY_INTERVAL = HOUR
    settings.PUSH_VERIFY_FULL_INTERVAL = 2 * HOUR
    return 2


def full_run(*, repair: bool = True) -> VerifyRun:
    return zones_verify(zone_names=None, repair=repair).run


def next_share_skips(zone: Zone, slices: int) -> None:
    """Make the next full run's rotating share one that does not hold `zone` (the last finished run had it)."""
    last = VerifyRun.objects.filter(scope="", state=VerifyRun.State.FINISHED).latest("started")
    VerifyRun.objects.filter(pk=last.pk).update(slice=zone.pk % slices, slices=slices)


def send(server: Server, build: dns.update.UpdateMessage) -> None:
    assert dns.query.tcp(build, "127.0.0.1", port=server.port, timeout=5).rcode() == dns.rcode.NOERROR


def soa_update(server: Server, zone: Zone, serial: int) -> dns.update.UpdateMessage:
    update = dns.update.UpdateMessage(f"{zone.name}.", keyring=dns.tsig.Key(TSIG_NAME, server.secret))
    update.replace("@", zone.soa_ttl, dns.rdata.from_text("IN", "SOA", zone.soa_content_at(serial)))
    return update


def rogue_keeping_the_serial(server: Server, zone: Zone) -> None:
    """Add a record on the server behind the database's back and bring its SOA serial back to what it was: three
    UPDATEs stepping the serial forward by just under 2**31 twice, then by 2 (RFC 1982 arithmetic wraps around)."""
    zone.refresh_from_db()
    start = zone.serial
    first = (start + 2**31 - 1) % 2**32
    update = soa_update(server, zone, first)
    update.add("rogue", 60, "A", "198.51.100.66")
    send(server, update)
    send(server, soa_update(server, zone, (first + 2**31 - 1) % 2**32))
    send(server, soa_update(server, zone, start))
    assert server.soa_serial(zone.name) == start
    assert server.answer(f"rogue.{zone.name}.", "A") == ["198.51.100.66"]


def rogue_moving_the_serial(server: Server, zone: Zone) -> None:
    update = dns.update.UpdateMessage(f"{zone.name}.", keyring=dns.tsig.Key(TSIG_NAME, server.secret))
    update.add("rogue", 60, "A", "198.51.100.67")
    send(server, update)
    assert server.soa_serial(zone.name) != Zone.objects.get(pk=zone.pk).serial


def zone_apply_www(zone: Zone, actor: Actor) -> None:
    assert zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.1")], actor=actor).ok


def test_drift_that_keeps_the_serial_is_missed_by_the_soa_sweep_and_found_in_the_zones_turn(
    nameserver: Nameserver, server: Server, zone: Zone, rotation: int
) -> None:
    assert full_run().transferred == 1  # never verified in full: transferred
    rogue_keeping_the_serial(server, zone)
    next_share_skips(zone, rotation)

    missed = full_run()
    assert (missed.soa_checked, missed.transferred, missed.drift) == (1, 0, 0)
    assert server.answer("rogue.example.com.", "A") == ["198.51.100.66"]

    found = full_run()  # the next share holds the zone
    assert found.slice == zone.pk % rotation
    assert (found.soa_checked, found.transferred, found.drift, found.repaired, found.errors) == (1, 1, 1, 1, 0)
    assert server.answer("rogue.example.com.", "A") == []
    assert full_run().transferred == 0  # repaired and verified: the SOA answer stands in again


def test_naming_a_zone_transfers_it_in_full_and_finds_drift_that_kept_the_serial(
    nameserver: Nameserver, server: Server, zone: Zone, rotation: int
) -> None:
    full_run()
    rogue_keeping_the_serial(server, zone)
    next_share_skips(zone, rotation)
    assert full_run().drift == 0

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 zone copies differ"):
        call_command("zones_verify", "example.com", stdout=out)
    assert "example.com on " in out.getvalue()
    assert "DIFFERS" in out.getvalue()
    assert "rogue A: database (none), server ['60 198.51.100.66']" in out.getvalue()
    named = VerifyRun.objects.latest("started")
    assert (named.scope, named.soa_checked, named.transferred, named.drift, named.repaired) == (
        "example.com",
        0,
        1,
        1,
        0,
    )

    call_command("zones_verify", "example.com", "--repair", stdout=io.StringIO())
    assert server.answer("rogue.example.com.", "A") == []


def test_a_server_whose_serial_moved_is_transferred_and_repaired_and_left_alone_after(
    nameserver: Nameserver, server: Server, zone: Zone, rotation: int, cli_actor: Actor
) -> None:
    zone_apply_www(zone, cli_actor)
    full_run()
    rogue_moving_the_serial(server, zone)
    next_share_skips(zone, rotation)  # found by its serial, not by its turn

    run = full_run()
    assert (run.soa_checked, run.transferred, run.drift, run.repaired, run.errors) == (1, 1, 1, 1, 0)
    assert server.answer("rogue.example.com.", "A") == []
    assert server.answer("www.example.com.", "A") == ["192.0.2.1"]
    assert server.soa_serial("example.com") == Zone.objects.get(pk=zone.pk).serial
    sync = ZoneSync.objects.get(zone=zone, nameserver=nameserver)
    assert (sync.verified_version, sync.verified_serial) == (Zone.objects.get(pk=zone.pk).version, sync.serial)
    next_share_skips(zone, rotation)
    assert full_run().transferred == 0


def test_only_changed_zones_and_the_runs_share_are_transferred_and_every_zone_within_a_rotation(
    bind: Server, transactional_db: None, account: Account, cli_actor: Actor, settings: Any
) -> None:
    settings.PUSH_VERIFY_INTERVAL, settings.PUSH_VERIFY_FULL_INTERVAL = HOUR, 3 * HOUR
    row = register(bind)
    try:
        zones = [zone_create(name=f"z{i}.example.org", account=account, actor=cli_actor) for i in range(6)]
        assert full_run().transferred == 6  # none verified yet
        turns = []
        for _ in range(3):
            before = timezone.now()
            run = full_run()
            turns.append(run.slice)
            verified = set(ZoneSync.objects.filter(verified_at__gt=before).values_list("zone__name", flat=True))
            assert verified == {z.name for z in zones if z.pk % 3 == run.slice}
            assert (run.zones, run.soa_checked, run.transferred, run.drift) == (6, 6, 2, 0)
        assert sorted(turns) == [0, 1, 2]  # three runs: every zone transferred once

        zone_apply_www(zones[0], cli_actor)  # a change: its next run compares it in full, whatever the turn
        run = full_run()
        assert run.transferred == 2 + (zones[0].pk % 3 != run.slice)
        assert ZoneSync.objects.get(zone=zones[0]).verified_version == Zone.objects.get(pk=zones[0].pk).version
    finally:
        forget_zones(row)


def test_each_zone_is_read_once_per_run_whatever_the_number_of_servers(
    bind: Server, knot: Server, transactional_db: None, account: Account, cli_actor: Actor
) -> None:
    rows = [register(bind), register(knot)]
    try:
        for i in range(3):
            zone_create(name=f"s{i}.example.org", account=account, actor=cli_actor)
        with CaptureQueriesContext(connection) as queries:
            run = full_run()
        assert (run.zones, run.pairs, run.transferred, run.drift, run.errors) == (3, 6, 6, 0, 0)
        record_reads = [q for q in queries.captured_queries if re.search(r'FROM "?zones_record\b', q["sql"])]
        assert len(record_reads) == 1  # the batch's records in one query: not one per zone, nor per zone and server
        sync_reads = [q for q in queries.captured_queries if q["sql"].startswith('SELECT "zones_zonesync"')]
        assert len(sync_reads) == 1  # the batch's sync rows in one query
    finally:
        for row in rows:
            forget_zones(row)


def test_the_run_keeps_its_summary_and_the_staff_page_shows_it(
    nameserver: Nameserver, server: Server, zone: Zone, rotation: int
) -> None:
    full_run()
    rogue_moving_the_serial(server, zone)
    run = full_run()
    run.refresh_from_db()
    assert run.state == VerifyRun.State.FINISHED
    assert run.finished is not None
    assert run.finished >= run.started
    assert (run.zones, run.pairs, run.soa_checked, run.transferred, run.drift, run.repaired) == (1, 1, 1, 1, 1, 1)

    staff = Client()
    sign_in_verified(staff, User.objects.create_user("sam", is_staff=True))
    html = staff.get("/staff/nameservers").content.decode()
    cells = re.findall(r'<td data-label="(Zone copies|SOA answers|Transferred|Drift|Repaired)" class="num">(\d+)', html)
    assert cells[:5] == [
        ("Zone copies", "1"),
        ("SOA answers", "1"),
        ("Transferred", "1"),
        ("Drift", "1"),
        ("Repaired", "1"),
    ]
    assert html.count('<span class="badge finished">finished</span>') == 2
    assert f"full share {run.slice + 1}/2" in html


def test_a_server_that_does_not_answer_is_an_error_of_the_run_and_the_others_are_verified(
    bind: Server, transactional_db: None, zone: Zone, cli_actor: Actor
) -> None:
    row = register(bind)
    dead = register(bind, name="nowhere", port=free_port(), kind=Nameserver.Kind.RFC2136, zone_directory="")
    try:
        zone_apply_www(zone, cli_actor)
        bind.pause()  # a server that takes the queries and never answers
        try:
            silent = full_run()
        finally:
            bind.resume()
        assert silent.state == VerifyRun.State.FINISHED
        assert (silent.pairs, silent.soa_checked, silent.errors) == (2, 0, 2)
        assert f"{row.name} did not answer: no answer after 3 SOA queries" in silent.error_text

        run = full_run()
        assert run.state == VerifyRun.State.FINISHED
        assert (run.pairs, run.soa_checked, run.transferred, run.errors) == (2, 1, 1, 1)
        assert "nowhere did not answer" in run.error_text
        assert ZoneSync.objects.get(zone=zone, nameserver=row).verified_at is not None
    finally:
        Nameserver.objects.filter(pk=dead.pk).delete()
        forget_zones(row)


def test_a_run_left_running_by_a_dead_verifier_is_marked_failed_by_the_next(transactional_db: None) -> None:
    now = timezone.now()
    dead = VerifyRun.objects.create(started=now - timedelta(hours=2), updated=now - timedelta(hours=1))
    alive = VerifyRun.objects.create(started=now - timedelta(minutes=5), updated=now - timedelta(minutes=1))
    assert runs_expire() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.state, alive.state) == (VerifyRun.State.FAILED, VerifyRun.State.RUNNING)
    assert dead.finished is not None


def test_the_beat_task_repairs_and_returns_the_drift_it_found(
    nameserver: Nameserver, server: Server, zone: Zone
) -> None:
    full_run()
    rogue_moving_the_serial(server, zone)
    assert tasks.zones_verify.apply().get() == 1
    assert server.answer("rogue.example.com.", "A") == []
    assert tasks.zones_verify.apply().get() == 0


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        ({}, ""),
        ({"PUSH_VERIFY_CONCURRENCY": "0"}, "PUSH_VERIFY_CONCURRENCY must be at least 1, not 0"),
        ({"PUSH_VERIFY_TRANSFERS": "0"}, "PUSH_VERIFY_TRANSFERS must be at least 1, not 0"),
        ({"PUSH_VERIFY_FULL_INTERVAL": "600"}, "PUSH_VERIFY_FULL_INTERVAL must be at least 3600, not 600"),
        ({"PUSH_VERIFY_INTERVAL": "10"}, "PUSH_VERIFY_INTERVAL must be at least 60, not 10"),
    ],
)
def test_the_verifier_settings_are_checked_at_start_up(environment: dict[str, str], error: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSH_VERIFY_")} | {
        "SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "panel.settings",
        **environment,
    }
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.PUSH_VERIFY_CONCURRENCY, s.PUSH_VERIFY_TRANSFERS, s.PUSH_VERIFY_FULL_INTERVAL)"
    started = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if not error:
        assert started.stdout.split() == ["64", "4", "86400"], started.stderr
        return
    assert started.stderr.strip().splitlines()[-1] == f"django.core.exceptions.ImproperlyConfigured: {error}"


def test_a_copy_is_compared_as_text_and_only_a_differing_one_record_by_record(
    nameserver: Nameserver, server: Server, zone: Zone, cli_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every type and spelling the wire reader renders itself (names, addresses, MX, SRV, plain TXT) or hands to
    dnspython (escaped TXT, CAA, a wildcard owner) matches the stored text: no record-by-record comparison; a
    difference is still found and described."""
    changes = [
        Add(name="www", type="CNAME", content="example.com."),
        Add(name="@", type="MX", content="10 mail.example.com."),
        Add(name="mail", type="AAAA", content="2001:db8::25"),
        Add(name="_sip._tcp", type="SRV", content="10 60 5060 sip.example.net."),
        Add(name="@", type="CAA", content='0 issue "letsencrypt.org"'),
        Add(name="q", type="TXT", content='"say \\"hi\\"" "back\\\\slash" "caf\\195\\169"'),
        Add(name="*.wild", type="A", content="192.0.2.7"),
        Add(name="_dmarc", type="TXT", content='"v=DMARC1; p=none"'),
    ]
    assert zone_apply(zone=zone, changes=changes, actor=cli_actor).ok
    compared: list[str] = []
    original = verify._compare

    def counted(pair: Any, *rest: Any) -> int:
        compared.append(pair.zone.name)
        return original(pair, *rest)

    monkeypatch.setattr(verify, "_compare", counted)
    [report] = zones_verify(zone_names=[zone.name], repair=False).reports
    assert report.clean, report.differences
    assert compared == []  # found identical as text

    update = dns.update.UpdateMessage(f"{zone.name}.", keyring=dns.tsig.Key(TSIG_NAME, server.secret))
    update.add("q", 300, "TXT", '"one \\"more\\""')
    send(server, update)
    [report] = zones_verify(zone_names=[zone.name], repair=False).reports
    assert compared == [zone.name]
    assert [(d.name, d.type) for d in report.differences] == [("q", "TXT"), ("@", "SOA")]
