"""Concurrency claims proven with real parallel transactions: threads, each with its own database connection."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from accounts.actors import Actor, Interface
from accounts.models import Account
from zones import selectors
from zones.models import Change, Record, RRset, Zone
from zones.services import Add, Replace, ZoneError, zone_apply, zone_create

WRITERS = 50


def in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run work(0..count-1) in threads released together; return what they raised. Each thread closes its own
    connection at the end, so the test database can be dropped afterwards."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(index)
        except BaseException as exc:  # collected and asserted on by the test
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def host_a_records(zone: Zone) -> list[str]:
    return [row.content for row in selectors.zone_records(zone=zone) if (row.name, row.type) == ("host", "A")]


def actor(index: int) -> Actor:
    return Actor(interface=Interface.LEGACY, label=f"writer {index}", address="192.0.2.1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replaces_of_one_host_leave_exactly_one_record_one_of_those_sent(zone: Zone) -> None:
    zone_apply(zone=zone, changes=[Replace("host", "A", ("10.0.0.254",))], actor=actor(-1))
    version = Zone.objects.get(pk=zone.pk).version
    sent = [f"10.0.1.{i}" for i in range(WRITERS)]
    seen: list[list[str]] = []
    storm_over = threading.Event()

    def read_until_over() -> None:
        try:
            while not storm_over.is_set():  # every read is its own transaction (autocommit)
                seen.append(host_a_records(zone))
        finally:
            connection.close()

    reader = threading.Thread(target=read_until_over)
    reader.start()
    failures = in_threads(WRITERS, lambda i: _replace(zone, i, sent[i]))
    reads = len(seen)
    deadline = time.monotonic() + 30
    while len(seen) < reads + 2 and time.monotonic() < deadline:  # one read surely after the last commit
        time.sleep(0.01)
    storm_over.set()
    reader.join(timeout=60)

    assert failures == []
    assert len(host_a_records(zone)) == 1
    assert host_a_records(zone)[0] in sent
    assert Zone.objects.get(pk=zone.pk).version == version + WRITERS  # every REPLACE committed on its own
    assert Change.objects.filter(zone=zone, version__gt=version).count() == WRITERS
    # The reader really ran through the storm: it read many times, and saw the writers' addresses come (group commit
    # may land many REPLACEs in one transaction, so it need not see every one).
    assert len(seen) >= 10
    assert any(records[0] in sent for records in seen if records)
    assert {len(records) for records in seen} == {1}  # never zero, never two


def _replace(zone: Zone, index: int, address: str) -> None:
    result = zone_apply(
        zone=Zone.objects.get(pk=zone.pk), changes=[Replace("host", "A", (address,))], actor=actor(index)
    )
    assert result.ok, result.errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_distinct_records_all_survive(zone: Zone) -> None:
    def add(index: int) -> None:
        # Half of them share one RRset, half create RRsets of their own: both paths race.
        name = "pool" if index % 2 else f"h{index}"
        result = zone_apply(
            zone=Zone.objects.get(pk=zone.pk), changes=[Add(name, "A", f"10.0.2.{index}")], actor=actor(index)
        )
        assert result.ok, result.errors

    assert in_threads(WRITERS, add) == []
    stored = {(r.name, r.content) for r in selectors.zone_records(zone=zone) if r.type == "A"}
    assert stored == {("pool" if i % 2 else f"h{i}", f"10.0.2.{i}") for i in range(WRITERS)}
    zone.refresh_from_db()
    assert zone.record_count == Record.objects.filter(rrset__zone=zone).count() == WRITERS + 2
    assert sorted(Change.objects.filter(zone=zone).values_list("version", flat=True)) == list(range(1, WRITERS + 2))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_cname_and_address_writers_never_both_win(zone: Zone) -> None:
    def write(index: int) -> None:
        change = Add("www", "CNAME", "target.example.net.") if index % 2 else Add("www", "A", f"10.0.3.{index}")
        zone_apply(zone=Zone.objects.get(pk=zone.pk), changes=[change], actor=actor(index))

    assert in_threads(20, write) == []
    types = set(RRset.objects.filter(zone=zone, name="www").values_list("type", flat=True))
    assert types in ({"CNAME"}, {"A"})


@pytest.mark.postgres
def test_the_database_refuses_a_cname_written_beside_other_data_behind_the_services_back(zone: Zone) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=actor(0))
    with pytest.raises(IntegrityError, match="rrset_cname_exclusive"), transaction.atomic():
        RRset.objects.create(zone=zone, name="www", type="CNAME", ttl=300)
    RRset.objects.create(zone=zone, name="alias", type="CNAME", ttl=300)
    with pytest.raises(IntegrityError, match="rrset_cname_exclusive"), transaction.atomic():
        RRset.objects.create(zone=zone, name="alias", type="TXT", ttl=300)
    # other types side by side are fine
    RRset.objects.create(zone=zone, name="www", type="AAAA", ttl=300)


def test_concurrent_writers_on_a_sqlite_file_never_see_database_is_locked(tmp_path: Path) -> None:
    """A real SQLite file, as `make run` uses: a subprocess, because the test database here is in memory (or
    PostgreSQL) and an in-memory SQLite database shared between threads locks differently from a file."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("TEST_DATABASE_NAME", None)
    completed = subprocess.run(
        [sys.executable, "-m", "tests.zones.sqlite_writers"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    assert report["host_records"] in [[f"10.9.0.{i}"] for i in range(report["writers"])]
    assert report["added"] == report["writers"] * report["rounds"]
    assert report["version"] == 1 + report["commits"]
    assert report["reads"] > 0
    assert report["reader_saw"] == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_of_overlapping_zones_of_two_accounts_lets_only_one_account_in(
    account: Account, other_account: Account
) -> None:
    def create(index: int) -> None:
        owner, name = (account, "example.net") if index % 2 else (other_account, f"h{index}.example.net")
        with contextlib.suppress(ZoneError):  # refused: the overlap rule held
            zone_create(name=name, account=owner, actor=actor(index))

    assert in_threads(20, create) == []
    owners = set(Zone.objects.filter(name__endswith="example.net").values_list("account__name", flat=True))
    assert len(owners) == 1
