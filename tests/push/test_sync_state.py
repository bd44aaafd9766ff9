"""One rule for "is this nameserver current?", and every caller gives the same answer from the same rows.

Five zones and three nameservers (two enabled, one disabled), with sync rows that are current, behind, ahead of the
zone, failing in backoff, and missing. The dashboard, the zone page, the staff nameserver page, the REST API's
`?verify`, `manage.py zones_status` and the sweeper's selection must agree with the selectors and with each other.
No nameserver is contacted: the rows are written as a push would leave them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account
from tests.apikeys import MakeKey
from tests.sessions import sign_in_verified
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.push import selectors
from zones.push import services as push_services
from zones.push.selectors import SyncState
from zones.services import Add, zone_apply, zone_create

pytestmark = pytest.mark.django_db

IN_SYNC, PENDING, FAILING = SyncState.IN_SYNC, SyncState.PENDING, SyncState.FAILING

# zone -> (its state, the state of each enabled server on it)
EXPECTED = {
    "insync.example.net": (IN_SYNC, {"ns-a": IN_SYNC, "ns-b": IN_SYNC}),  # the disabled ns-off is behind: not counted
    "ahead.example.net": (PENDING, {"ns-a": IN_SYNC, "ns-b": PENDING}),  # ns-b confirmed a version above the zone's
    "behind.example.net": (PENDING, {"ns-a": IN_SYNC, "ns-b": PENDING}),  # ns-b lacks the second change
    "failing.example.net": (FAILING, {"ns-a": FAILING, "ns-b": IN_SYNC}),  # ns-a failed and is backing off
    "never.example.net": (PENDING, {"ns-a": PENDING, "ns-b": PENDING}),  # no row at all yet
}
BEHIND = sorted(name for name, (state, _) in EXPECTED.items() if state != IN_SYNC)


@dataclass
class World:
    zones: dict[str, Zone]
    servers: dict[str, Nameserver]
    customer: Client
    staff: Client
    api: Client
    basic: str


def _sync(zone: Zone, server: Nameserver, version: int, **extra: object) -> None:
    ZoneSync.objects.create(zone=zone, nameserver=server, version=version, **extra)


@pytest.fixture(params=["unswept", "swept"])
def world(request: pytest.FixtureRequest, account: Account, cli_actor: Actor, make_key: MakeKey) -> World:
    """The same rows read with no sweep yet (every zone looked at) and after a sweep of the markers (only the zones
    whose marker differs from their version): every answer below must be the same."""
    # Zones first: with no nameserver enabled a commit pushes nothing, so nothing here reaches the network.
    zones = {name: zone_create(name=name, account=account, actor=cli_actor) for name in EXPECTED}
    assert zone_apply(zone=zones["behind.example.net"], changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor).ok
    zones = {zone.name: zone for zone in Zone.objects.filter(name__in=EXPECTED)}
    servers = {
        name: Nameserver.objects.create(
            name=name, address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0", enabled=name != "ns-off"
        )
        for name in ("ns-a", "ns-b", "ns-off")
    }
    a, b, off = servers["ns-a"], servers["ns-b"], servers["ns-off"]
    insync, ahead, behind, failing = (zones[f"{n}.example.net"] for n in ("insync", "ahead", "behind", "failing"))
    _sync(insync, a, insync.version)
    _sync(insync, b, insync.version)
    _sync(insync, off, 0, attempts=5, last_error="disabled long ago")
    _sync(ahead, a, ahead.version)
    _sync(ahead, b, ahead.version + 3)
    _sync(behind, a, behind.version)
    _sync(behind, b, behind.version - 1)
    later = timezone.now() + timedelta(minutes=5)
    _sync(failing, a, 0, attempts=2, last_error="REFUSED", next_attempt=later)
    _sync(failing, b, failing.version)
    if request.param == "swept":
        assert push_services.sync_markers_sweep() == 1  # insync.example.net: the others lag on an enabled server
        assert set(Nameserver.objects.filter(swept=True).values_list("name", flat=True)) == {"ns-a", "ns-b"}
    customer = User.objects.create_user("alice", password="a long test password")
    account.members.add(customer)
    customer_client = Client()
    customer_client.force_login(customer)
    staff_client = Client()
    sign_in_verified(staff_client, User.objects.create_user("sam", is_staff=True))
    key = make_key()
    return World(zones, servers, customer_client, staff_client, Client(), key.basic)


def _text(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def dashboard_states(world: World) -> dict[str, str]:
    row = r'<td data-label="Zone"><a [^>]*><strong>([^<]+)</strong>.*?<td data-label="Nameservers"><span[^>]*>([^<]+)<'
    return dict(re.findall(row, _text(world.customer, "/"), re.S))


def zone_page_states(world: World, zone: str) -> dict[str, str]:
    page = _text(world.customer, f"/zones/{zone}")
    return dict(re.findall(r'<td data-label="Nameserver">([^<]+)</td><td data-label="State"><span[^>]*>([^<]+)<', page))


def staff_page(world: World) -> tuple[dict[tuple[str, str], str], str]:
    page = _text(world.staff, "/staff/nameservers")
    rows = re.findall(
        r'data-label="Zone"><a [^>]*>([^<]+)</a></td><td data-label="Nameserver">([^<]+)</td>\s*'
        r'<td data-label="State"><span[^>]*>([^<]+)<',
        page,
    )
    return {(zone, server): state for zone, server, state in rows}, page


def verify_status(world: World, zone: str) -> int:
    response = world.api.get(f"/dns/v2/zones/{zone}/records?verify", HTTP_AUTHORIZATION=world.basic)
    return response.status_code


def zones_status() -> tuple[dict[tuple[str, str], str], str]:
    out = io.StringIO()
    call_command("zones_status", stdout=out)
    lines = out.getvalue().splitlines()
    rows = {(line.split("\t")[0], line.split("\t")[1]): line.split("\t")[2] for line in lines if "\t" in line}
    return rows, lines[-1]


def test_the_selectors_answer_by_equality_with_the_zone_version_over_enabled_servers_only(world: World) -> None:
    for name, (state, per_server) in EXPECTED.items():
        zone = world.zones[name]
        assert selectors.zone_state(zone=zone) == state, name
        assert selectors.zone_current(zone=zone) == (state == IN_SYNC), name
        for server, server_state in per_server.items():
            current = selectors.nameserver_current(zone=zone, nameserver=world.servers[server])
            assert current == (server_state == IN_SYNC), (name, server)
    assert sorted(selectors.zones_behind().values_list("name", flat=True)) == BEHIND
    assert not selectors.nameserver_current(zone=world.zones["insync.example.net"], nameserver=world.servers["ns-off"])


def test_every_caller_reports_the_same_state_of_each_zone(world: World) -> None:
    assert dashboard_states(world) == {name: str(state) for name, (state, _) in EXPECTED.items()}
    for name, (state, _) in EXPECTED.items():
        assert verify_status(world, name) == (200 if state == IN_SYNC else 409), name
    _, summary = zones_status()
    assert summary == "zones: 1 in sync, 3 pending, 1 failing"


def test_every_caller_reports_the_same_state_of_each_server_and_leaves_the_disabled_one_out(world: World) -> None:
    expected = {
        (zone, server): str(state) for zone, (_, servers) in EXPECTED.items() for server, state in servers.items()
    }
    for name, (_, per_server) in EXPECTED.items():
        assert zone_page_states(world, name) == {server: str(state) for server, state in per_server.items()}, name
    status_rows, _ = zones_status()
    assert status_rows == expected
    staff_rows, _ = staff_page(world)
    assert staff_rows == {key: state for key, state in expected.items() if state != IN_SYNC}  # the lagging ones
    rows = selectors.sync_statuses()
    assert {(r.zone, r.nameserver): str(r.state) for r in rows} == expected


def test_the_staff_page_counts_each_enabled_server_and_shows_the_disabled_one_as_off(world: World) -> None:
    summaries = {
        s.nameserver.name: (s.zones, s.in_sync, s.pending, s.failing) for s in selectors.nameserver_summaries()
    }
    assert summaries == {"ns-a": (5, 3, 1, 1), "ns-b": (5, 2, 3, 0), "ns-off": (0, 0, 0, 0)}
    _, page = staff_page(world)
    assert "3 of 5" in page
    assert "2 of 5" in page
    assert "Disabled: nothing is pushed to it" in page
    assert "disabled long ago" not in page  # a disabled server's stale error is nobody's problem


def test_the_sweeper_selects_what_is_behind_less_a_server_still_backing_off(world: World) -> None:
    ids = {zone.pk: name for name, zone in world.zones.items()}
    assert sorted(ids[pk] for pk in selectors.zones_due()) == sorted(set(BEHIND) - {"failing.example.net"})
    later = timezone.now() + timedelta(minutes=10)
    assert sorted(ids[pk] for pk in selectors.zones_due(now=later)) == BEHIND


def test_pending_since_is_the_commit_of_the_oldest_change_the_server_lacks(world: World) -> None:
    rows = {(r.zone, r.nameserver): r for r in selectors.sync_statuses()}
    behind = world.zones["behind.example.net"]
    second = Change.objects.get(zone=behind, version=behind.version).created
    first = Change.objects.get(zone=world.zones["never.example.net"], version=1).created
    assert rows[("behind.example.net", "ns-b")].pending_since == second
    assert rows[("never.example.net", "ns-a")].pending_since == first
    assert rows[("failing.example.net", "ns-a")].pending_since is not None
    # Current: nothing pending. Ahead: it lacks no change the journal knows of.
    assert rows[("behind.example.net", "ns-a")].pending_since is None
    assert rows[("ahead.example.net", "ns-b")].pending_since is None


def test_the_timestamps_read_in_sql_are_the_ones_the_orm_reads(world: World) -> None:
    sync = ZoneSync.objects.get(zone=world.zones["behind.example.net"], nameserver=world.servers["ns-b"])
    ZoneSync.objects.filter(pk=sync.pk).update(last_success=timezone.now() - timedelta(days=3, microseconds=7))
    stored = ZoneSync.objects.get(pk=sync.pk).last_success
    change = Change.objects.get(zone=world.zones["never.example.net"], version=1).created
    rows = {(r.zone, r.nameserver): r for r in selectors.sync_statuses()}
    for read, orm in (
        (rows[("behind.example.net", "ns-b")].last_success, stored),
        (rows[("never.example.net", "ns-a")].pending_since, change),
    ):
        assert read is not None
        assert orm is not None
        assert (read, read.utcoffset(), read.tzname()) == (orm, orm.utcoffset(), orm.tzname())


def test_with_no_nameserver_enabled_every_caller_says_so_and_nothing_waits(world: World) -> None:
    Nameserver.objects.update(enabled=False)
    assert set(dashboard_states(world).values()) == {"no nameserver"}
    assert all(verify_status(world, name) == 200 for name in EXPECTED)
    rows, summary = zones_status()
    assert (rows, summary) == ({}, "5 zones: no nameserver is enabled")
    assert selectors.zones_due() == []
    assert "No nameserver is configured yet" in _text(world.customer, "/zones/ahead.example.net")


def test_the_readers_take_a_fixed_number_of_queries_however_many_zones(
    world: World, account: Account, cli_actor: Actor
) -> None:
    def counts() -> list[int]:
        taken = []
        for read in (
            lambda: selectors.zone_state(zone=world.zones["ahead.example.net"]),
            lambda: list(selectors.zones_behind()),
            selectors.zones_due,
            selectors.sync_statuses,
            selectors.nameserver_summaries,
        ):
            with CaptureQueriesContext(connection) as queries:
                read()
            taken.append(len(queries))
        return taken

    assert counts() == [1, 1, 1, 1, 1]
    Nameserver.objects.update(enabled=False)
    for n in range(20):
        zone_create(name=f"more{n}.example.org", account=account, actor=cli_actor)
    Nameserver.objects.update(enabled=True)
    assert counts() == [1, 1, 1, 1, 1]
