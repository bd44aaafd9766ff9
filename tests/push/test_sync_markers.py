"""The sweeper's markers (Zone.synced_version, Nameserver.swept) only ever make the readers look at more zones, never
fewer: whatever happens to the servers and the zones between two sweeps, the zones behind are the zones behind.
No nameserver is contacted: the sync rows are written as a push would leave them."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import Account
from zones.models import UNMARKED, Nameserver, Zone, ZoneSync
from zones.push import selectors
from zones.push import services as push_services
from zones.services import Add, zone_apply, zone_create

pytestmark = pytest.mark.django_db


def _server(name: str, *, enabled: bool = True) -> Nameserver:
    return Nameserver.objects.create(
        name=name, address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0", enabled=enabled
    )


def _confirm(zone: Zone, server: Nameserver) -> None:
    """What a delivery leaves: the server's row at the zone's version now."""
    version = Zone.objects.values_list("version", flat=True).get(pk=zone.pk)
    ZoneSync.objects.update_or_create(zone=zone, nameserver=server, defaults={"version": version})


def _behind() -> set[str]:
    return set(selectors.zones_behind().values_list("name", flat=True))


def _behind_by_rule() -> set[str]:
    """The rule itself, in Python: a zone some enabled server has not confirmed at the zone's version."""
    confirmed = {(s.zone_id, s.nameserver_id): s.version for s in ZoneSync.objects.all()}
    servers = list(Nameserver.objects.filter(enabled=True))
    return {
        zone.name
        for zone in Zone.objects.all()
        if any(confirmed.get((zone.pk, server.pk)) != zone.version for server in servers)
    }


@pytest.fixture
def zones(account: Account, cli_actor: Actor) -> list[Zone]:
    return [zone_create(name=f"z{n}.example.net", account=account, actor=cli_actor) for n in range(6)]


def test_a_sweep_marks_the_zones_every_server_has_and_a_change_unmarks_one(zones, cli_actor) -> None:
    a, b = _server("ns-a"), _server("ns-b")
    for zone in zones:
        _confirm(zone, a)
        _confirm(zone, b)
    assert all(z.synced_version == UNMARKED for z in Zone.objects.all())  # nothing marked before the first sweep
    assert push_services.sync_markers_sweep() == len(zones)
    assert all(z.synced_version == z.version for z in Zone.objects.all())
    assert _behind() == set()
    assert zone_apply(zone=zones[2], changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor).ok
    assert _behind() == {"z2.example.net"} == _behind_by_rule()  # before any sweep: the change moved the version
    assert push_services.sync_markers_sweep() == 0  # z2 lags: it stays a candidate
    assert _behind() == {"z2.example.net"}
    _confirm(zones[2], a)
    _confirm(zones[2], b)
    assert _behind() == set()
    assert push_services.sync_markers_sweep() == 1


def test_a_server_enabled_again_is_behind_on_what_changed_while_it_was_off(zones, cli_actor) -> None:
    a, b = _server("ns-a"), _server("ns-b")
    for zone in zones:
        _confirm(zone, a)
        _confirm(zone, b)
    push_services.sync_markers_sweep()
    Nameserver.objects.filter(pk=b.pk).update(enabled=False)  # as staff or a script might, without a service
    assert zone_apply(zone=zones[0], changes=[Add("www", "A", "192.0.2.1")], actor=cli_actor).ok
    _confirm(zones[0], a)
    push_services.sync_markers_sweep()  # b is off: zone 0 is marked without it, and b no longer counts
    assert Zone.objects.get(pk=zones[0].pk).synced_version == Zone.objects.get(pk=zones[0].pk).version
    assert not Nameserver.objects.get(pk=b.pk).swept
    assert _behind() == set()
    Nameserver.objects.filter(pk=b.pk).update(enabled=True)
    assert _behind() == {"z0.example.net"} == _behind_by_rule()  # at once, before any sweep
    assert selectors.zones_due() == [zones[0].pk]
    push_services.sync_markers_sweep()  # b counts again, after zone 0 was unmarked
    assert Nameserver.objects.get(pk=b.pk).swept
    assert _behind() == {"z0.example.net"}
    assert selectors.zones_due() == [zones[0].pk]


def test_a_new_server_is_behind_on_every_zone_until_it_has_them(zones) -> None:
    a = _server("ns-a")
    for zone in zones:
        _confirm(zone, a)
    push_services.sync_markers_sweep()
    assert _behind() == set()
    c = _server("ns-c")
    everything = {zone.name for zone in zones}
    assert _behind() == everything
    push_services.sync_markers_sweep()
    assert _behind() == everything
    for zone in zones[:4]:
        _confirm(zone, c)
    assert _behind() == everything - {"z0.example.net", "z1.example.net", "z2.example.net", "z3.example.net"}


def test_random_histories_agree_with_the_rule(zones, cli_actor) -> None:
    chance = random.Random(15)
    servers = [_server("ns-a"), _server("ns-b"), _server("ns-c", enabled=False)]
    for step in range(120):
        action = chance.choice(["change", "confirm", "confirm", "toggle", "sweep", "sweep"])
        if action == "change":
            zone = chance.choice(zones)
            assert zone_apply(zone=zone, changes=[Add("h", "TXT", f'"{step}"')], actor=cli_actor).ok
        elif action == "confirm":
            _confirm(chance.choice(zones), chance.choice(servers))
        elif action == "toggle":
            server = chance.choice(servers)
            Nameserver.objects.filter(pk=server.pk).update(enabled=not Nameserver.objects.get(pk=server.pk).enabled)
        else:
            push_services.sync_markers_sweep()
        assert _behind() == _behind_by_rule(), f"step {step}: {action}"
        due = {Zone.objects.get(pk=pk).name for pk in selectors.zones_due()}
        assert due == _behind_by_rule(), f"step {step}: {action}"


@pytest.mark.postgres
def test_the_readers_reach_the_zones_behind_through_the_partial_index(zones) -> None:
    a = _server("ns-a")
    for zone in zones:
        _confirm(zone, a)
    push_services.sync_markers_sweep()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # six zones: without it the planner would rightly scan them
        cursor.execute(f"EXPLAIN SELECT zone_id FROM ({selectors._lagging()}) p")  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "zone_unsynced" in plan
    with CaptureQueriesContext(connection) as queries:
        push_services.sync_markers_sweep()
    assert len(queries) == 3  # disabled servers, enabled servers not counted yet, the marking


@pytest.mark.postgres
def test_with_every_server_counted_the_readers_do_not_read_every_zone(zones) -> None:
    a = _server("ns-a")
    for zone in zones[1:]:
        _confirm(zone, a)
    push_services.sync_markers_sweep()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_hashjoin = off")  # the plan that read every zone: them outside, the servers inside
        cursor.execute("SET enable_mergejoin = off")
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT zone_id FROM ({selectors._lagging()}) p")  # noqa: S608
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute("RESET ALL")
    second = plan[next(n for n, line in enumerate(plan) if "*SELECT* 2" in line) :]  # the servers not counted yet
    scans = [line for line in second if "on zones_zone " in line]
    assert scans, "\n".join(plan)
    assert all("never executed" in line for line in scans), "\n".join(plan)
    assert _behind() == {"z0.example.net"}
