"""Journal retention against real nameservers: a server the prune had to wait for catches up from the journal, a
server that fell behind across pruned versions converges all the same (the push reconciles when the journal has a gap),
and the beat task prunes when a real Celery worker runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.actors import Actor, Interface
from tests.push.servers import Nameserver as Server
from tests.push.workers import Worker, publishing_to, shared_broker_url
from zones import journal, tasks
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.push import services as push_services
from zones.push import verify
from zones.retention import Policy, journal_prune
from zones.services import Add, Operation, Replace, zone_apply

PRUNER = Actor.cli("retention tests")

pytestmark = pytest.mark.django_db(transaction=True)

# Keep only the current version: whatever a server lacks beyond that is either held by the push rule or gone.
POLICY = Policy(journal_days=365, keep_versions=1, security_days=1095)
CUSTOMER = Actor(interface=Interface.API, label="API key 3f2a", address="192.0.2.1")


def _behind(zone: Zone, nameserver: Nameserver, count: int) -> int:
    """Three changes the server confirms, then `count` made while it is switched off (no push reaches it), every one
    400 days old; returns the version it confirmed."""
    for n in range(3):
        assert zone_apply(zone=zone, changes=[Add("before", "TXT", f'"{n}"')], actor=CUSTOMER).ok
    confirmed = ZoneSync.objects.get(zone=zone, nameserver=nameserver).version
    assert confirmed == Zone.objects.get(pk=zone.pk).version == 4
    Nameserver.objects.filter(pk=nameserver.pk).update(enabled=False)
    for n in range(count):
        changes: list[Operation] = [
            Replace("www", "A", (f"192.0.2.{n + 10}",)),
            Add(f"host{n}", "TXT", f'"change {n}"'),
        ]
        assert zone_apply(zone=zone, changes=changes, actor=CUSTOMER).ok
    Change.objects.filter(zone=zone).update(created=timezone.now() - timedelta(days=400))
    return confirmed


def _versions(zone: Zone) -> list[int]:
    return list(Change.objects.filter(zone=zone).order_by("version").values_list("version", flat=True))


def _converged(zone: Zone, server: Server, nameserver: Nameserver, count: int) -> None:
    zone.refresh_from_db()
    assert server.answer(f"www.{zone.name}.", "A") == [f"192.0.2.{count + 9}"]
    assert server.answer(f"host0.{zone.name}.", "TXT") == ['"change 0"']
    assert server.soa_serial(zone.name) == zone.serial
    assert ZoneSync.objects.get(zone=zone, nameserver=nameserver).version == zone.version
    [report] = verify.zones_verify(zone_names=[zone.name], repair=False).reports
    assert report.clean, report.differences


def test_an_enabled_server_behind_keeps_the_changes_it_lacks_and_catches_up_from_them(
    nameserver: Nameserver, server: Server, zone: Zone
) -> None:
    confirmed = _behind(zone, nameserver, 6)  # versions 5..10 it lacks
    Nameserver.objects.filter(pk=nameserver.pk).update(enabled=True)  # back, and behind: the rule holds its rows
    journal_prune(actor=PRUNER, policy=POLICY)
    # Version 1 is the zone's creation on the command line: the security record keeps it.
    assert _versions(zone) == [1, *range(confirmed + 1, 11)]
    assert journal.rrsets_changed(zone=zone, since=confirmed, until=10) is not None
    push_services.zone_push(zone_id=zone.pk, blocking=True)
    _converged(zone, server, nameserver, 6)


def test_a_server_behind_across_pruned_versions_converges_by_reconciling(
    nameserver: Nameserver, server: Server, zone: Zone
) -> None:
    confirmed = _behind(zone, nameserver, 6)
    journal_prune(actor=PRUNER, policy=POLICY)  # switched off, it holds nothing: what it lacks goes
    assert _versions(zone) == [1, 10]
    assert journal.rrsets_changed(zone=zone, since=confirmed, until=10) is None  # the gap
    Nameserver.objects.filter(pk=nameserver.pk).update(enabled=True)
    push_services.zone_push(zone_id=zone.pk, blocking=True)
    _converged(zone, server, nameserver, 6)


# --- the beat task on a real worker ----------------------------------------------------------------------------------


def _database_url() -> str:
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    started = Worker(database_url=_database_url(), broker_url=shared_broker_url(), log=tmp_path / "worker.log")
    yield started
    started.stop()


@pytest.mark.postgres
def test_the_beat_task_prunes_on_a_real_worker(zone: Zone, worker: Worker) -> None:
    for n in range(60):
        assert zone_apply(zone=zone, changes=[Replace("www", "A", (f"192.0.2.{n + 1}",))], actor=CUSTOMER).ok
    Change.objects.filter(zone=zone).update(created=timezone.now() - timedelta(days=400))
    with publishing_to(shared_broker_url()):
        tasks.journal_prune.delay()
    worker.wait_for("journal prune (beat) removed 10 journal changes")
    # The worker's settings: the last 50 versions (12..61), and the zone's creation on the command line.
    assert _versions(zone) == [1, *range(12, 62)]
