"""Fixtures for the zones service tests: a short way to apply changes and to read a zone back."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from django.db import connection

from accounts.actors import Actor
from zones.models import RRset, Zone
from zones.services import ApplyResult, Operation, zone_apply

Apply = Callable[..., ApplyResult]


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    # The suite deselects these on SQLite (-m "not postgres"); this says why if someone runs one there by hand.
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture
def apply(zone: Zone, customer_actor: Actor) -> Apply:
    """zone_apply on the example.com zone as a customer (not staff) unless another actor or zone is given."""

    def run(*changes: Operation, actor: Actor | None = None, target: Zone | None = None, dry_run: bool = False):
        return zone_apply(zone=target or zone, changes=changes, actor=actor or customer_actor, dry_run=dry_run)

    return run


def zone_state(zone: Zone) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """{(name, type): (ttl, sorted records)} as stored, the apex NS set included."""
    state: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for rrset in RRset.objects.filter(zone=zone).prefetch_related("records"):
        state[(rrset.name, rrset.type)] = (rrset.ttl, sorted(r.content for r in rrset.records.all()))
    return state


def records_at(zone: Zone, name: str, rdtype: str) -> list[str]:
    entry = zone_state(zone).get((name, rdtype))
    return entry[1] if entry else []


def errors(result: ApplyResult) -> list[str | None]:
    return [outcome.error for outcome in result.outcomes]


def ops(changes: Sequence[Operation]) -> tuple[Operation, ...]:
    return tuple(changes)
