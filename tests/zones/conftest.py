"""Fixtures for the zones service tests: a short way to apply changes and to read a zone back."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from django.db import connection

from accounts.actors import Actor
from zones.models import RRset, Zone
from zones.services import Add, ApplyResult, Operation, zone_apply

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


# Records of a dozen types, on owner names of every kind (apex, wildcard, underscore, A-label).
RICH = [
    Add("@", "MX", "10 mail.example.com."),
    Add("@", "TXT", '"v=spf1 mx -all"'),
    Add("@", "CAA", '0 issue "letsencrypt.org"'),
    Add("@", "ANAME", "lb.example.net."),
    Add("www", "AAAA", "2001:db8::1", ttl=300),
    Add("mail", "A", "192.0.2.25"),
    Add("*.dev", "A", "192.0.2.26"),
    Add("_sip._tcp", "SRV", "10 5 5060 sip.example.com."),
    Add("_xmpp._tcp", "SRV", "0 0 0 ."),
    Add("_dmarc", "TXT", '"v=DMARC1; p=reject; rua=mailto:d@example.com"'),
    Add("key._domainkey", "TXT", '"' + "k" * 400 + '"'),
    Add("empty", "TXT", '""'),
    Add("alias", "CNAME", "www.example.com."),
    Add("host", "SSHFP", "1 1 " + "ab" * 20),
    Add("_443._tcp.www", "TLSA", "3 1 1 " + "cd" * 32),
    Add("sub", "NS", "ns1.example.net."),
    Add("sub", "DS", "12345 13 2 " + "ef" * 32),
    Add("1.2", "PTR", "host.example.com."),
    Add("xn--bcher-kva", "A", "192.0.2.27"),
]
