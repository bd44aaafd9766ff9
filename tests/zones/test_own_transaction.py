"""zone_apply in a transaction of its own on PostgreSQL (zones.store._OwnTransaction): BEGIN goes with the lock and
the read, COMMIT with the write, two round trips in all; nothing half-applied on any failure, the lock released, the
connection left usable, and what waits for the commit run only after it.

Each test checks what it applied from another connection, which sees only what was committed.
"""

from __future__ import annotations

from contextlib import nullcontext as nothing
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import sql
from accounts.actors import Actor
from tests.conftest import other_connection
from zones import services, store
from zones.models import Nameserver, Zone
from zones.services import Add, PreconditionFailed, Replace, zone_apply

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def committed(zone: Zone, name: str) -> list[str]:
    """The A records of `name` as another connection sees them."""
    with other_connection() as other:
        rows = other.execute(
            "SELECT r.content FROM zones_record r JOIN zones_rrset s ON s.id = r.rrset_id"
            " WHERE s.zone_id = %s AND s.name = %s AND s.type = 'A' ORDER BY 1",
            [zone.pk, name],
        ).fetchall()
    return [content for (content,) in rows]


def refuse(head: store.ZoneHead) -> bool:
    return False


def lock_is_free(zone: Zone) -> bool:
    with other_connection() as other:
        other.execute("SET lock_timeout = '2s'")
        try:
            with other.transaction():
                other.execute("SELECT 1 FROM zones_zone WHERE id = %s FOR UPDATE", [zone.pk])
        except psycopg.errors.LockNotAvailable:
            return False
    return True


def test_a_change_is_two_round_trips_begin_with_the_lock_and_commit_with_the_write(
    zone: Zone, customer_actor: Actor
) -> None:
    zone_apply(zone=zone, changes=[Add("warm", "A", "192.0.2.1")], actor=customer_actor)  # statements prepared
    with CaptureQueriesContext(connection) as captured:
        assert zone_apply(zone=zone, changes=[Replace("www", "A", ("192.0.2.2",))], actor=customer_actor).ok
    texts = [query["sql"] for query in captured.captured_queries]
    assert len(texts) == 2, texts
    assert texts[0].startswith("BEGIN; EXECUTE ctrlpanel_")
    assert texts[1].startswith("EXECUTE ctrlpanel_")
    assert texts[1].endswith("; COMMIT")
    assert committed(zone, "www") == ["192.0.2.2"]
    assert not sql.in_transaction()
    assert connection.get_autocommit()


def test_a_change_set_that_changes_nothing_is_rolled_back_after_one_round_trip(
    zone: Zone, customer_actor: Actor
) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    version = Zone.objects.get(pk=zone.pk).version
    for changes, dry_run in (([Add("www", "A", "192.0.2.1")], False), ([Add("new", "A", "192.0.2.9")], True)):
        with CaptureQueriesContext(connection) as captured:
            zone_apply(zone=zone, changes=changes, actor=customer_actor, dry_run=dry_run)
        assert [query["sql"] for query in captured.captured_queries][1:] == ["ROLLBACK"]
    assert Zone.objects.get(pk=zone.pk).version == version
    assert committed(zone, "new") == []
    assert lock_is_free(zone)


def test_a_write_that_fails_is_rolled_back_whole_and_the_connection_stays_usable(
    zone: Zone, customer_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    real = store._postgres_statements

    def failing_after_the_write(*args: Any) -> list[store.Statement]:
        return [*real(*args), ("SELECT 1 / %s::int", [0])]  # the write ran, then its transaction fails

    monkeypatch.setattr(store, "_postgres_statements", failing_after_the_write)
    with pytest.raises(DatabaseError, match="division by zero"):
        zone_apply(zone=zone, changes=[Replace("www", "A", ("192.0.2.2",))], actor=customer_actor)
    assert not sql.in_transaction()
    assert committed(zone, "www") == ["192.0.2.1"]
    assert Zone.objects.get(pk=zone.pk).version == 2  # created, then the one Add
    assert lock_is_free(zone)
    monkeypatch.undo()
    assert zone_apply(zone=zone, changes=[Replace("www", "A", ("192.0.2.3",))], actor=customer_actor).ok
    assert committed(zone, "www") == ["192.0.2.3"]


@pytest.mark.parametrize("raised", [RuntimeError("checked"), KeyboardInterrupt()])
def test_an_error_or_interruption_under_the_lock_rolls_back_and_releases_it(
    zone: Zone, customer_actor: Actor, raised: BaseException
) -> None:
    def precondition(head: store.ZoneHead) -> bool:
        assert not lock_is_free(zone)  # held, by this transaction
        raise raised

    with pytest.raises(type(raised)):
        zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor, precondition=precondition)
    assert not sql.in_transaction()
    assert lock_is_free(zone)
    assert committed(zone, "www") == []
    assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor).ok


def test_a_refused_precondition_writes_nothing(zone: Zone, customer_actor: Actor) -> None:
    with pytest.raises(PreconditionFailed):
        zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor, precondition=refuse)
    assert not sql.in_transaction()
    assert committed(zone, "www") == []


def test_the_push_is_enqueued_only_once_the_change_is_committed(
    zone: Zone, customer_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    Nameserver.objects.create(name="ns1", address="127.0.0.1", tsig_name="k", tsig_secret="c2VjcmV0")
    seen: list[list[str]] = []
    monkeypatch.setattr(services, "push_enqueue", lambda *, zone_id: seen.append(committed(zone, "www")))
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    assert seen == [["192.0.2.1"]]  # enqueued once, and by then another connection saw the change
    with pytest.raises(PreconditionFailed):
        zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.2")], actor=customer_actor, precondition=refuse)
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)  # changes nothing
    assert seen == [["192.0.2.1"]]


def test_orm_queries_made_under_the_lock_run_inside_the_transaction(zone: Zone, customer_actor: Actor) -> None:
    # A TTL above the signed-zone limit makes zone_apply ask, through the ORM, whether the zone is signed.
    ttl = settings.DNSSEC_MAX_TTL + 1
    with CaptureQueriesContext(connection) as captured:
        assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1", ttl=ttl)], actor=customer_actor).ok
    texts = [query["sql"] for query in captured.captured_queries]
    assert texts[0].startswith("BEGIN; ")
    assert "zones_zonednssec" in texts[1]  # between the lock and the write: in the transaction BEGIN opened
    assert texts[-1].endswith("; COMMIT")
    assert committed(zone, "www") == ["192.0.2.1"]


def test_inside_the_callers_transaction_the_caller_commits(zone: Zone, customer_actor: Actor) -> None:
    with transaction.atomic():
        assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor).ok
        assert committed(zone, "www") == []  # not yet: the caller's transaction is open
    assert committed(zone, "www") == ["192.0.2.1"]


class Throttled(Exception):
    pass


@pytest.mark.parametrize("own", [True, False], ids=["own transaction", "inside the caller's"])
def test_a_gate_is_read_with_the_lock_and_its_refusal_raised_with_nothing_applied(
    zone: Zone, customer_actor: Actor, own: bool
) -> None:
    def refusal(rows: sql.Rows) -> Exception | None:
        return Throttled() if rows[0][0] else None

    def apply(value: int) -> Any:
        gate = sql.Read(("SELECT %s::int", [value]), refusal)
        address = f"192.0.2.{value + 1}"
        return zone_apply(zone=zone, changes=[Add("www", "A", address)], actor=customer_actor, gate=gate)

    caller = transaction.atomic() if not own else nothing()
    with CaptureQueriesContext(connection) as captured, caller, pytest.raises(Throttled):
        apply(1)
    assert committed(zone, "www") == []
    assert not sql.in_transaction()
    assert apply(0).ok
    assert committed(zone, "www") == ["192.0.2.1"]
    if own:  # the gate's read went in the round trip of BEGIN and the lock, then ROLLBACK
        assert [query["sql"].split("; ")[0] for query in captured.captured_queries] == ["BEGIN", "ROLLBACK"]


def test_a_gate_with_nothing_to_read_is_asked_before_the_lock(zone: Zone, customer_actor: Actor) -> None:
    asked: list[bool] = []

    def result(rows: sql.Rows) -> Exception | None:
        asked.append(lock_is_free(zone))
        return Throttled() if len(asked) == 1 else None

    gate = sql.Read(None, result)
    with pytest.raises(Throttled):
        zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor, gate=gate)
    assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor, gate=gate).ok
    assert asked == [True, True]
    assert committed(zone, "www") == ["192.0.2.1"]


def test_a_connection_lost_under_the_lock_is_closed_and_the_next_change_opens_another(
    zone: Zone, customer_actor: Actor
) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    lost = connection.connection.info.backend_pid

    def terminated(head: store.ZoneHead) -> bool:
        with other_connection() as other:
            other.execute("SELECT pg_terminate_backend(%s)", [lost])
        return True

    with pytest.raises(DatabaseError):
        zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.2")], actor=customer_actor, precondition=terminated)
    assert connection.connection is None  # closed, not left broken for the next query
    assert committed(zone, "www") == ["192.0.2.1"]
    assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.3")], actor=customer_actor).ok
    reopened = connection.connection
    assert reopened is not None
    assert reopened.info.backend_pid != lost
    assert committed(zone, "www") == ["192.0.2.1", "192.0.2.3"]
