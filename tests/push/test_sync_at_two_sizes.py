"""The sync-state readers over many zones: `zones_status` (streamed), the staff nameserver page (paginated), the
sweeper's selection and the per-server summaries answer right and take the same number of queries for 10 zones as for
120. Sync rows are written as pushes leave them; no nameserver is contacted.

Every tenth zone of a fleet is in each of these states; the rest are in sync on both enabled servers:
  0: never pushed (no sync row on either server)   1: ns-b lacks the last change
  2: ns-a failing, backing off                      3: ns-a confirmed a version above the zone's (the zone went back)
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account
from panel.selectors import SYNC_ROWS_PER_PAGE
from tests.sessions import sign_in_verified
from zones.models import Nameserver, Zone, ZoneSync
from zones.push import selectors
from zones.push.selectors import SyncState
from zones.services import zone_create

pytestmark = pytest.mark.django_db

IN_SYNC, PENDING, FAILING = SyncState.IN_SYNC, SyncState.PENDING, SyncState.FAILING
SMALL, LARGE = 10, 120


@dataclass
class Fleet:
    account: Account
    actor: Actor
    servers: dict[str, Nameserver]
    behind: dict[tuple[str, str], SyncState] = field(default_factory=dict)  # (zone, server) not in sync
    zones: dict[str, SyncState] = field(default_factory=dict)
    due: set[int] = field(default_factory=set)  # the sweeper's, now

    def grow(self, count: int) -> None:
        """`count` more zones, in the states of the module's docstring by their number."""
        Nameserver.objects.update(enabled=False)  # zone_create pushes to no server
        start = len(self.zones)
        names = [f"z{n:04d}.example.org" for n in range(start, start + count)]
        for name in names:
            zone_create(name=name, account=self.account, actor=self.actor)
        Nameserver.objects.exclude(name="ns-off").update(enabled=True)
        created = Zone.objects.in_bulk(names, field_name="name")
        for n, name in enumerate(names, start):
            self._sync(n % 10, created[name])

    def _sync(self, kind: int, zone: Zone) -> None:
        a, b, off = self.servers["ns-a"], self.servers["ns-b"], self.servers["ns-off"]
        later = timezone.now() + timedelta(minutes=5)
        kinds: dict[int, list[tuple[Nameserver, int, dict[str, Any]]]] = {
            0: [],
            1: [(a, zone.version, {}), (b, zone.version - 1, {})],
            2: [(a, 0, {"attempts": 2, "last_error": "REFUSED", "next_attempt": later}), (b, zone.version, {})],
            3: [(a, zone.version + 2, {}), (b, zone.version, {})],
        }
        rows = kinds.get(kind, [(a, zone.version, {}), (b, zone.version, {})])
        rows.append((off, 0, {"attempts": 9, "last_error": "switched off"}))  # a disabled server counts for nothing
        ZoneSync.objects.bulk_create(ZoneSync(zone=zone, nameserver=s, version=v, **extra) for s, v, extra in rows)
        states = {
            0: {"ns-a": PENDING, "ns-b": PENDING},
            1: {"ns-b": PENDING},
            2: {"ns-a": FAILING},
            3: {"ns-a": PENDING},
        }
        lagging = states.get(kind, {})
        self.behind.update({(zone.name, server): state for server, state in lagging.items()})
        self.zones[zone.name] = FAILING if FAILING in lagging.values() else PENDING if lagging else IN_SYNC
        if kind in (0, 1, 3):
            self.due.add(zone.pk)


@pytest.fixture
def fleet(account: Account, cli_actor: Actor) -> Fleet:
    servers = {
        name: Nameserver.objects.create(
            name=name, address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0", enabled=name != "ns-off"
        )
        for name in ("ns-a", "ns-b", "ns-off")
    }
    made = Fleet(account, cli_actor, servers)
    made.grow(SMALL)
    return made


def _zones_status(*args: str) -> tuple[list[list[str]], str, int]:
    """The rows (tab-separated fields) and the summary line of zones_status, and the queries it took."""
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("zones_status", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return [line.split("\t") for line in lines[:-1]], lines[-1], len(queries)


def _summary(states: dict[str, SyncState]) -> str:
    counts = Counter(states.values())
    return f"zones: {counts[IN_SYNC]} in sync, {counts[PENDING]} pending, {counts[FAILING]} failing"


def test_zones_status_behind_lists_exactly_the_lagging_servers_in_three_queries_at_either_size(fleet: Fleet) -> None:
    taken = []
    for size in (SMALL, LARGE):
        fleet.grow(size - len(fleet.zones))
        rows, summary, queries = _zones_status("--behind")
        assert {(row[0], row[1]): row[2] for row in rows} == {key: str(state) for key, state in fleet.behind.items()}
        assert [(row[0], row[1]) for row in rows] == sorted(fleet.behind)  # by zone, then server
        assert summary == _summary(fleet.zones)
        taken.append(queries)
    assert taken == [3, 3]  # the rows (streamed), the zones counted, is a server enabled


def test_zones_status_lists_every_zone_and_enabled_server_and_the_same_summary(fleet: Fleet) -> None:
    fleet.grow(LARGE - SMALL)
    rows, summary, queries = _zones_status()
    assert len(rows) == 2 * LARGE
    assert {(row[0], row[1]) for row in rows if row[2] != str(IN_SYNC)} == set(fleet.behind)
    assert {row[1] for row in rows} == {"ns-a", "ns-b"}
    assert summary == _summary(fleet.zones)
    assert queries == 3
    one = next(name for name, state in fleet.zones.items() if state == FAILING)
    rows, summary, _ = _zones_status(one, "--behind")
    assert [row[:3] for row in rows] == [[one, "ns-a", "failing"]]
    assert rows[0][-1] == "2 attempts: REFUSED"
    assert summary == "zones: 0 in sync, 0 pending, 1 failing"


def test_the_sweeper_selection_and_the_summaries_take_one_query_each_at_either_size(fleet: Fleet) -> None:
    for size in (SMALL, LARGE):
        fleet.grow(size - len(fleet.zones))
        with CaptureQueriesContext(connection) as queries:
            due = selectors.zones_due()
        with CaptureQueriesContext(connection) as more:
            summaries = {
                s.nameserver.name: (s.zones, s.in_sync, s.pending, s.failing) for s in selectors.nameserver_summaries()
            }
        assert (len(queries), len(more)) == (1, 1)
        assert set(due) == fleet.due
        for server in ("ns-a", "ns-b"):
            lagging = [state for (_, name), state in fleet.behind.items() if name == server]
            failing = lagging.count(FAILING)
            zones = len(fleet.zones)
            assert summaries[server] == (zones, zones - len(lagging), len(lagging) - failing, failing)
        assert summaries["ns-off"] == (0, 0, 0, 0)
    later = timezone.now() + timedelta(minutes=10)  # the failing servers' backoff has passed
    assert set(selectors.zones_due(now=later)) == fleet.due | {
        Zone.objects.get(name=name).pk for name, state in fleet.zones.items() if state == FAILING
    }


def _behind_rows(html: str) -> list[tuple[str, str, str]]:
    row = (
        r'data-label="Zone"><a [^>]*>([^<]+)</a></td><td data-label="Nameserver">([^<]+)</td>\s*'
        r'<td data-label="State"><span[^>]*>([^<]+)<'
    )
    return re.findall(row, html)


def test_the_staff_nameserver_page_pages_through_the_lagging_servers_in_a_fixed_number_of_queries(
    fleet: Fleet,
) -> None:
    staff = Client()
    sign_in_verified(staff, User.objects.create_user("sam", is_staff=True))
    taken = []
    for size in (SMALL, LARGE):
        fleet.grow(size - len(fleet.zones))
        pages, shown = -(-len(fleet.behind) // SYNC_ROWS_PER_PAGE), []
        for number in range(1, pages + 1):
            with CaptureQueriesContext(connection) as queries:
                response = staff.get("/staff/nameservers", {"page": number})
            html = response.content.decode()
            shown += _behind_rows(html)
            taken.append(len(queries))
        assert f"of {len(fleet.behind)}" in html
        assert shown == [(zone, server, str(state)) for (zone, server), state in sorted(fleet.behind.items())]
        in_sync_a = size - sum(1 for (_, server) in fleet.behind if server == "ns-a")
        assert f"{in_sync_a} of {size}" in html
    assert len(taken) == 1 + 2  # one page of 5 lagging servers, then two of 60
    assert set(taken) == {
        11
    }  # session, user, device; servers, zones counted, the pass, pools, verifier runs; renewal (3)


def test_the_staff_nameserver_page_refuses_a_parameter_it_does_not_know(fleet: Fleet) -> None:
    staff = Client()
    sign_in_verified(staff, User.objects.create_user("sam", is_staff=True))
    response = staff.get("/staff/nameservers", {"state": "failing"})
    assert response.status_code == 400
    assert "Unknown parameter: state." in response.content.decode()
    assert staff.get("/staff/nameservers", {"page": "x"}).status_code == 200  # a page number falls back to the first
