"""Pushes through the real Redis and real Celery workers (subprocesses sharing this test's PostgreSQL database)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from tests.push.servers import Nameserver as Server
from tests.push.servers import new_secret
from tests.push.workers import QUEUE, Redis, Worker, publishing_to, shared_broker_url
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.services import Add, zone_apply
from zones.tasks import push_sweep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DELIVERY_TIMEOUT = 60.0  # generous: the machine is shared


def database_url() -> str:
    # pytest-django renamed the database to the test database (test_<name>): the worker must use that one.
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(broker_url: str | None = None, concurrency: int = 1) -> Worker:
        worker = Worker(
            database_url=database_url(),
            broker_url=broker_url or shared_broker_url(),
            log=tmp_path / f"worker{len(workers)}.log",
            concurrency=concurrency,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def shared_broker() -> Iterator[str]:
    url = shared_broker_url()
    redis.Redis.from_url(url).delete(QUEUE)  # what an earlier test left, not other processes' queues
    with publishing_to(url):
        yield url


def delivered(zone: Zone, server: Server, timeout: float = DELIVERY_TIMEOUT) -> bool:
    """Wait until the server answers the zone's current serial and every enabled sync row confirms it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = Zone.objects.get(pk=zone.pk)
        behind = ZoneSync.objects.filter(zone=zone).exclude(version=current.version).exists()
        if not behind and server.soa_serial(zone.name) == current.serial:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.usefixtures("nameserver", "shared_broker")
def test_a_real_worker_delivers_a_legacy_api_change(server, zone, start_worker, legacy):
    start_worker()
    assert delivered(zone, server)  # the zone's creation
    assert legacy("REPLACE www 300 A 192.0.2.80") == (200, "REPLACE www 300 A 192.0.2.80\n")
    assert delivered(zone, server)
    assert server.answer("www.example.com.", "A") == ["192.0.2.80"]


@pytest.mark.usefixtures("nameserver")
def test_a_change_committed_while_redis_is_down_is_delivered_by_the_sweeper(
    server, zone, start_worker, tmp_path, cli_actor
):
    broker = Redis(tmp_path)
    broker.start()
    try:
        with publishing_to(broker.url):
            start_worker(broker.url)
            call_command("zones_push")
            broker.stop()
            result = zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.81")], actor=cli_actor)
            assert result.ok  # the commit does not depend on the broker
            assert server.answer("www.example.com.", "A") == []
            broker.start()
            push_sweep.delay()  # what beat does every PUSH_SWEEP_INTERVAL seconds
            assert delivered(zone, server)
    finally:
        broker.stop()
    assert server.answer("www.example.com.", "A") == ["192.0.2.81"]


@pytest.mark.usefixtures("nameserver", "shared_broker")
def test_a_push_whose_worker_is_killed_midway_is_delivered_by_the_sweeper(server, zone, start_worker, cli_actor):
    worker = start_worker()
    assert delivered(zone, server)
    received = worker.logged("push_zone")
    server.pause()  # the next UPDATE hangs: the worker is caught in the middle of the push
    try:
        zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.82")], actor=cli_actor)
        worker.wait_for("push_zone", times=received + 1)
        time.sleep(0.5)  # it connects and sends; the server, stopped, never answers
        worker.kill()
    finally:
        server.resume()
    start_worker()
    push_sweep.delay()
    assert delivered(zone, server)
    assert server.answer("www.example.com.", "A") == ["192.0.2.82"]
    call_command("zones_verify", "example.com")


@pytest.mark.usefixtures("nameserver", "shared_broker")
def test_two_workers_pushing_one_zone_lose_and_double_nothing(server, zone, start_worker, cli_actor):
    start_worker()
    start_worker()
    for i in range(60):
        change = Add(name="many", type="TXT", content=f'"change {i}"')
        assert zone_apply(zone=zone, changes=[change], actor=cli_actor).ok
    assert delivered(zone, server)
    assert len(server.answer("many.example.com.", "TXT")) == 60
    call_command("zones_verify", "example.com")
    # No push overwrote another's: every version is a change set we made, none a repair by the pipeline.
    assert not Change.objects.filter(zone=zone, actor__startswith="push pipeline").exists()


@pytest.mark.usefixtures("shared_broker")
def test_a_push_the_server_refuses_is_retried_by_the_worker_and_never_marked_delivered(
    nameserver, server, zone, start_worker, cli_actor
):
    worker = start_worker()
    assert delivered(zone, server)
    Nameserver.objects.filter(pk=nameserver.pk).update(tsig_secret=new_secret())  # the server rejects our signature
    zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.83")], actor=cli_actor)
    worker.wait_for("retry: Retry in", times=2)
    sync = ZoneSync.objects.get(zone=zone, nameserver=nameserver)
    assert sync.version < Zone.objects.get(pk=zone.pk).version
    assert sync.attempts >= 2
    assert server.answer("www.example.com.", "A") == []

    Nameserver.objects.filter(pk=nameserver.pk).update(tsig_secret=server.secret)
    assert delivered(zone, server)  # by a retry: nothing else was enqueued
    assert server.answer("www.example.com.", "A") == ["192.0.2.83"]


@pytest.mark.usefixtures("nameserver", "shared_broker")
def test_a_burst_of_commits_queues_one_push_and_a_change_after_it_starts_queues_another(
    server, zone, start_worker, cli_actor
):
    queued = redis.Redis.from_url(shared_broker_url())
    for i in range(20):  # no worker yet: the messages stay in the queue where they can be counted
        change = Add(name="burst", type="TXT", content=f'"change {i}"')
        assert zone_apply(zone=zone, changes=[change], actor=cli_actor).ok
    assert queued.llen(QUEUE) == 1  # the zone's creation and 20 changes: one push carries them all
    worker = start_worker()
    assert delivered(zone, server)
    assert len(server.answer("burst.example.com.", "TXT")) == 20
    assert queued.llen(QUEUE) == 0
    pushes = worker.logged("push_zone")
    # The push that ran took the mark away: the next change is not held back by it.
    assert zone_apply(zone=zone, changes=[Add(name="after", type="A", content="192.0.2.90")], actor=cli_actor).ok
    worker.wait_for("push_zone", times=pushes + 1)
    assert delivered(zone, server)
    assert server.answer("after.example.com.", "A") == ["192.0.2.90"]
