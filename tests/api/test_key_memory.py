"""A verified API key is remembered in the process (accounts/selectors.py), and every change to its row takes effect
at the next request: revoked, deleted, given a new secret, narrowed, expired. The REST PUT of one RRset costs a fixed
number of queries once the key and zone are known."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import selectors, sql
from accounts.models import ApiKey
from accounts.secrets import secret_hash
from accounts.services import apikey_revoke
from zones.selectors import zone_records
from zones.services import zone_create, zone_delete

R = "/dns/v2/zones/example.com/records/www/A"


def put(api, address: str = "192.0.2.1"):
    return api.put(R, {"records": [{"data": address}]})


@pytest.fixture
def remembered(api, zone):
    """The key has been verified (and remembered) by a first request."""
    assert put(api).status == 200
    return api


def test_a_revoked_key_is_refused_at_the_next_request(remembered, key, cli_actor):
    apikey_revoke(key=key.key, actor=cli_actor)
    assert put(remembered, "192.0.2.2").status == 401


def test_a_key_revoked_behind_the_services_back_is_refused_at_the_next_request(remembered, key):
    ApiKey.objects.filter(pk=key.key.pk).update(revoked=timezone.now())
    assert put(remembered, "192.0.2.2").status == 401


def test_a_deleted_key_is_refused_at_the_next_request(remembered, key):
    ApiKey.objects.filter(pk=key.key.pk).delete()
    assert put(remembered, "192.0.2.2").status == 401


def test_a_key_given_a_new_secret_refuses_the_old_one_at_the_next_request(remembered, key):
    ApiKey.objects.filter(pk=key.key.pk).update(secret_hash=secret_hash("another secret"))
    assert put(remembered, "192.0.2.2").status == 401


def test_a_key_expired_meanwhile_is_refused(remembered, key):
    ApiKey.objects.filter(pk=key.key.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert put(remembered, "192.0.2.2").status == 401


def test_a_key_made_read_only_is_refused_a_write_at_the_next_request(remembered, key):
    ApiKey.objects.filter(pk=key.key.pk).update(read_only=True)
    assert put(remembered, "192.0.2.2").status == 403


def test_a_key_narrowed_to_other_hosts_is_refused_at_the_next_request(remembered, key):
    ApiKey.objects.filter(pk=key.key.pk).update(hosts=["mail"])
    assert put(remembered, "192.0.2.2").status == 403


def test_the_remembered_key_needs_no_read_but_its_state(remembered):
    with CaptureQueriesContext(connection) as captured:
        assert remembered.get("/dns/v2/zones").status == 200
    first = captured.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":  # prepared (accounts.sql): executed by the name its text gives it
        assert f"EXECUTE {sql._named(selectors._STATE)[0]}(" in first
    else:
        assert first.startswith("SELECT account_id, secret_hash, zones")
        assert "FROM panel_apikey" in first
    assert len(captured.captured_queries) == 2  # the key's state, the zone list


def test_a_put_of_one_rrset_costs_exactly_these_queries(remembered):
    # key state, then zone_apply: lock and read (PostgreSQL: one round trip, SQLite: two), write (PostgreSQL: one
    # statement, SQLite: delete, insert, zone, journal), and the transaction's begin and end (a savepoint and its
    # release inside the test's transaction). Nothing is read before zone_apply. Was 14 (SQLite) before issue 14.
    expected = 5 if connection.vendor == "postgresql" else 9
    with CaptureQueriesContext(connection) as captured:
        reply = put(remembered, "192.0.2.3")
    assert reply.status == 200
    assert reply.body["records_added"] == 1
    assert reply.body["records_removed"] == 1
    assert len(captured.captured_queries) == expected, [q["sql"][:80] for q in captured.captured_queries]


def test_a_zone_deleted_and_made_again_is_written_by_its_new_id(remembered, zone, account, cli_actor):
    zone_delete(zone=zone, actor=cli_actor)
    again = zone_create(name="example.com", account=account, actor=cli_actor)
    assert put(remembered, "192.0.2.4").status == 200
    assert ("www", "A", "192.0.2.4") in {(r.name, r.type, r.content) for r in zone_records(zone=again)}
