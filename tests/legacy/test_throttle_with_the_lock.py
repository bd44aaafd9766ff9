"""Without Redis the throttle's counters are in the database. A password this process remembers as right is
throttled all the same, by a read sent with the zone's lock (zone_apply's gate): no round trip of its own, and
nothing applied when it refuses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.legacy.conftest import Api, rrset
from zones.models import Zone

pytestmark = pytest.mark.usefixtures("database_cache")
TOO_MANY = (429, "ERR Too many failed attempts\n")


@override_settings(LEGACY_API_FAILURES_PER_CLIENT=3, LEGACY_API_FAILURES_PER_ZONE=100, LEGACY_API_FAILURE_WINDOW=120)
def test_a_remembered_password_from_a_client_that_failed_too_often_is_refused_and_changes_nothing(
    api: Api, zone: Zone
) -> None:
    assert api.post("REPLACE www 300 A 192.0.2.1", remote_addr="198.51.100.1").status == 200  # remembered now
    for _ in range(3):
        assert api.post("LIST", password="guess", remote_addr="198.51.100.1").status == 401
    for commands in (["REPLACE www 300 A 192.0.2.2"], ["REPLACE www 300 A 192.0.2.2", "LIST"], ["LIST"], ["BAD"]):
        reply = api.post(*commands, remote_addr="198.51.100.1")
        assert (reply.status, reply.body) == TOO_MANY, commands
        assert reply.response["Retry-After"] == "120"
    assert rrset(zone, "www", "A") == [(300, "192.0.2.1")]
    assert api.post("REPLACE www 300 A 192.0.2.3", remote_addr="198.51.100.2").status == 200  # another client


@override_settings(LEGACY_API_FAILURES_PER_CLIENT=100, LEGACY_API_FAILURES_PER_ZONE=2)
def test_a_zone_under_attack_refuses_an_attacker_that_knows_the_password_and_not_the_owner(
    api: Api, zone: Zone
) -> None:
    assert api.post("LIST", remote_addr="198.51.100.9").status == 200  # remembered
    for address in ("198.51.100.9", "198.51.100.10"):
        assert api.post("LIST", password="guess", remote_addr=address).status == 401
    assert (api.post("REPLACE www 300 A 192.0.2.1", remote_addr="198.51.100.9").status, rrset(zone, "www", "A")) == (
        429,
        [],
    )
    assert api.post("REPLACE www 300 A 192.0.2.1", remote_addr="203.0.113.1").status == 200


def test_the_throttle_is_read_with_the_lock(api: Api, zone: Zone, django_assert_num_queries) -> None:
    assert api.post("REPLACE www 300 A 192.0.2.1").status == 200  # remembered
    # PostgreSQL: savepoint, the counters with the zone's lock and read, the writes, release. SQLite: the counters,
    # then the 8 statements of tests/legacy/test_auth.py's remembered REPLACE.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 9) as captured:
        assert api.post("REPLACE www 300 A 192.0.2.2").status == 200
    if connection.vendor == "postgresql":
        assert captured.captured_queries[1]["sql"].count("EXECUTE ") == 3
    assert rrset(zone, "www", "A") == [(300, "192.0.2.2")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_in_its_own_transaction_a_remembered_replace_is_two_round_trips(api: Api, zone: Zone) -> None:
    assert api.post("REPLACE www 300 A 192.0.2.1").status == 200
    with CaptureQueriesContext(connection) as captured:
        assert api.post("REPLACE www 300 A 192.0.2.2").status == 200
    texts = [query["sql"] for query in captured.captured_queries]
    assert len(texts) == 2, texts
    assert texts[0].startswith("BEGIN; EXECUTE")
    assert texts[0].count("EXECUTE ") == 3
    assert texts[1].endswith("; COMMIT")
    assert rrset(zone, "www", "A") == [(300, "192.0.2.2")]
