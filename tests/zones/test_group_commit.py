"""Group commit: change sets that queue on one zone in one process go through one transaction, each its own version.

The grouping itself (zones/grouping.py) is tested with plain threads; zone_apply's use of it with real parallel
transactions on PostgreSQL (the SQLite file case is tests/zones/sqlite_writers.py, run by test_concurrency.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from accounts import sql
from accounts.actors import Actor, Interface
from zones.grouping import GroupCommit
from zones.models import Change, Zone
from zones.services import _GROUPS, Add, ApplyResult, Operation, Replace, zone_apply
from zones.store import ZoneHead


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def wait_for_queue(groups: GroupCommit[Any], key: object, length: int) -> None:
    wait_for(lambda: waiting(groups, key) == length)


def waiting(groups: GroupCommit[Any], key: object) -> int:
    with groups._lock:
        queue = groups._waiting.get(key)
        return len(queue) if queue is not None else -1


# --- the grouping -------------------------------------------------------------------------------------------------


def test_jobs_that_arrive_while_a_group_runs_run_together_in_the_next_group_in_arrival_order() -> None:
    groups: GroupCommit[str] = GroupCommit(max_group=10)
    ran: list[list[str]] = []
    release = threading.Event()

    def work(jobs: list[str]) -> None:
        if jobs == ["first"]:
            release.wait(10)
        ran.append(jobs)

    first = threading.Thread(target=groups.run, args=("zone", "first", work))
    first.start()
    wait_for(lambda: waiting(groups, "zone") == 0)  # the leader took its own job and works
    later = []
    for count, name in enumerate(("b", "c", "d"), start=1):
        later.append(threading.Thread(target=groups.run, args=("zone", name, work)))
        later[-1].start()
        wait_for_queue(groups, "zone", count)
    release.set()
    for thread in [first, *later]:
        thread.join(10)
    assert ran == [["first"], ["b", "c", "d"]]
    assert waiting(groups, "zone") == -1  # nothing left behind: the next to come leads at once


def test_a_group_takes_at_most_max_group_jobs_and_the_rest_follow() -> None:
    groups: GroupCommit[int] = GroupCommit(max_group=2)
    ran: list[list[int]] = []
    release = threading.Event()

    def work(jobs: list[int]) -> None:
        if jobs == [0]:
            release.wait(10)
        ran.append(jobs)

    threads = [threading.Thread(target=groups.run, args=("zone", 0, work))]
    threads[0].start()
    wait_for(lambda: waiting(groups, "zone") == 0)
    for job in range(1, 6):
        threads.append(threading.Thread(target=groups.run, args=("zone", job, work)))
        threads[-1].start()
        wait_for_queue(groups, "zone", job)
    release.set()
    for thread in threads:
        thread.join(10)
    assert ran == [[0], [1, 2], [3, 4], [5]]


def test_other_keys_do_not_wait_for_a_busy_one() -> None:
    groups: GroupCommit[str] = GroupCommit(max_group=10)
    release = threading.Event()
    done: list[str] = []

    def work(jobs: list[str]) -> None:
        if jobs == ["slow"]:
            release.wait(10)
        done.extend(jobs)

    slow = threading.Thread(target=groups.run, args=("one", "slow", work))
    slow.start()
    wait_for(lambda: waiting(groups, "one") == 0)
    groups.run("two", "quick", work)  # in this thread, while "one" is held
    assert done == ["quick"]
    release.set()
    slow.join(10)
    assert done == ["quick", "slow"]


def test_a_leader_that_raises_still_releases_its_group_and_hands_on() -> None:
    groups: GroupCommit[str] = GroupCommit(max_group=10)
    release = threading.Event()
    ran: list[list[str]] = []

    def work(jobs: list[str]) -> None:
        ran.append(jobs)
        if jobs == ["boom"]:
            release.wait(10)
            raise RuntimeError("the leader's work failed")

    failures: list[BaseException] = []

    def lead() -> None:
        try:
            groups.run("zone", "boom", work)
        except RuntimeError as exc:
            failures.append(exc)

    leader = threading.Thread(target=lead)
    leader.start()
    wait_for(lambda: waiting(groups, "zone") == 0)
    follower = threading.Thread(target=groups.run, args=("zone", "after", work))
    follower.start()
    wait_for(lambda: waiting(groups, "zone") == 1)
    release.set()
    leader.join(10)
    follower.join(10)
    assert [str(exc) for exc in failures] == ["the leader's work failed"]
    assert ran == [["boom"], ["after"]]


# --- zone_apply's groups, with real parallel transactions -----------------------------------------------------------

Results = dict[str, ApplyResult | BaseException]


def actor(label: str) -> Actor:
    return Actor(interface=Interface.API, label=label, address="192.0.2.9")


def apply_in_thread(  # noqa: PLR0917 (a test helper: the queued tuples are spread into it)
    zone: Zone,
    results: Results,
    name: str,
    changes: list[Operation],
    precondition: Callable[[ZoneHead], bool] | None = None,
    gate: sql.Read[Exception | None] | None = None,
) -> threading.Thread:
    """zone_apply in a thread of its own (its own connection), as actor `name`; its result or error in results."""

    def run() -> None:
        try:
            results[name] = zone_apply(
                zone=zone, changes=changes, actor=actor(name), precondition=precondition, gate=gate
            )
        except BaseException as exc:  # asserted on by the test
            results[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def queue_behind_a_held_group(zone: Zone, results: Results, queued: dict[str, tuple[Any, ...]]):
    """Start a change set that holds the zone's group until released, then queue the others behind it in order
    (each given as its changes, its precondition and, optionally, its gate)."""
    release = threading.Event()
    key = (connection.alias, zone.pk)
    threads = [apply_in_thread(zone, results, "held", [Add("held", "A", "192.0.2.250")], lambda _: release.wait(10))]
    wait_for(lambda: waiting(_GROUPS, key) == 0)
    for count, (name, (changes, precondition, *gate)) in enumerate(queued.items(), start=1):
        threads.append(apply_in_thread(zone, results, name, changes, precondition, *gate))
        wait_for_queue(_GROUPS, key, count)
    release.set()
    for thread in threads:
        thread.join(30)


def applied(results: Results, name: str) -> ApplyResult:
    result = results[name]
    assert isinstance(result, ApplyResult), result
    return result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_change_sets_queued_on_a_zone_commit_together_each_a_version_of_its_own_and_a_bad_one_fails_alone(
    zone: Zone,
) -> None:
    zone_apply(zone=zone, changes=[Replace("taken", "A", ("192.0.2.1",))], actor=actor("setup"))
    start = Zone.objects.get(pk=zone.pk).version
    results: Results = {}
    queue_behind_a_held_group(
        zone,
        results,
        {
            "one": ([Add("one", "A", "192.0.2.3")], None),
            # valid on its own, refused on the state "one" leaves: a CNAME beside "one"'s new A record
            "clash": ([Add("one", "CNAME", "elsewhere.example.net.")], None),
            "two": ([Replace("two", "TXT", ('"hello"',)), Add("two", "A", "192.0.2.4")], None),
            "nothing": ([Replace("taken", "A", ("192.0.2.1",))], None),  # valid, and changes nothing
            "three": ([Add("three", "AAAA", "2001:db8::3")], None),
        },
    )

    assert {name: applied(results, name).ok for name in results} == {
        "held": True,
        "one": True,
        "clash": False,
        "two": True,
        "nothing": True,
        "three": True,
    }
    assert applied(results, "clash").errors == ["a CNAME cannot share its name with other data"]
    assert applied(results, "clash").change is None
    assert applied(results, "nothing").change is None
    changes = list(Change.objects.filter(zone=zone, version__gt=start).order_by("version"))
    assert [(c.version, c.actor) for c in changes] == [
        (start + 1, "held"),
        (start + 2, "one"),
        (start + 3, "two"),
        (start + 4, "three"),
    ]
    # the queued ones went through one transaction (one time for the group), after the held one's
    assert len({c.created for c in changes[1:]}) == 1
    assert changes[0].created < changes[1].created
    serials = [c.serial for c in changes]
    assert serials == sorted(set(serials))  # each version its own serial, in order
    assert (Zone.objects.get(pk=zone.pk).version, Zone.objects.get(pk=zone.pk).serial) == (start + 4, serials[-1])
    for name in ("one", "two", "three"):
        change = applied(results, name).change
        assert change is not None
        assert (change.actor, change.pk) == (name, Change.objects.get(zone=zone, actor=name).pk)
    one = applied(results, "one").change
    assert one is not None
    assert one.after == [{"name": "one", "type": "A", "ttl": 3600, "records": ["192.0.2.3"]}]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_set_that_breaks_its_groups_transaction_fails_alone_and_the_others_are_applied(zone: Zone) -> None:
    def broken(head: ZoneHead) -> bool:
        raise RuntimeError("breaks the transaction it runs in")

    results: Results = {}
    queue_behind_a_held_group(
        zone,
        results,
        {
            "a": ([Add("a", "A", "192.0.2.2")], None),
            "broken": ([Add("broken", "A", "192.0.2.2")], broken),
            "b": ([Add("b", "A", "192.0.2.2")], None),
        },
    )

    assert isinstance(results["broken"], RuntimeError)
    assert all(applied(results, name).ok for name in ("held", "a", "b"))
    actors = Change.objects.filter(zone=zone).exclude(actor="test suite").values_list("actor", flat=True)
    assert sorted(actors) == ["a", "b", "held"]


class Refused(Exception):
    pass


def gate_of(value: int) -> sql.Read[Exception | None]:
    """A gate whose read the database answers: it refuses when the value it reads back is negative."""
    return sql.Read(("SELECT %s::int", [value]), lambda rows: Refused(rows[0][0]) if rows[0][0] < 0 else None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_change_set_of_a_group_has_its_own_gate_read_with_the_lock_and_a_refused_one_fails_alone(
    zone: Zone,
) -> None:
    results: Results = {}
    queue_behind_a_held_group(
        zone,
        results,
        {
            "let": ([Add("let", "A", "192.0.2.1")], None, gate_of(1)),
            "refused": ([Add("refused", "A", "192.0.2.2")], None, gate_of(-7)),
            "ungated": ([Add("ungated", "A", "192.0.2.3")], None),
        },
    )
    assert applied(results, "let").ok
    assert applied(results, "ungated").ok
    refusal = results["refused"]
    assert isinstance(refusal, Refused)
    assert refusal.args == (-7,)
    assert not Change.objects.filter(zone=zone, actor="refused").exists()
    changes = Change.objects.filter(zone=zone, actor__in=["let", "ungated"])
    assert len({change.created for change in changes}) == 1  # one group, one transaction
