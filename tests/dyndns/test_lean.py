"""What one /nic/update costs (query pins) and the remembered credentials' invalidation rules.

The suite's cache is in process memory, so the throttle counters cost no query here: the pins count the database's
share (the one read, the API key's row, zone_apply's statements). zone_apply's transaction is a savepoint inside the
test's (SAVEPOINT and RELEASE counted, where a request has BEGIN and COMMIT: on SQLite counted too, on PostgreSQL not).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import selectors as account_selectors
from accounts import sql
from accounts.counters import count_event, count_events
from accounts.models import ApiKey
from accounts.secrets import secret_matches
from accounts.services import Scope, apikey_create, apikey_revoke
from zones.dyndns import selectors as dyndns_selectors
from zones.dyndns.selectors import Lookup, dyndns_lookup_read
from zones.dyndns.services import dyndns_password_delete, dyndns_password_set
from zones.models import Change
from zones.selectors import zone_records
from zones.services import Add, Replace, zone_apply, zone_create, zone_delete


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def key_auth(account, cli_actor) -> str:
    key, secret = apikey_create(account=account, scope=Scope(), actor=cli_actor)
    return basic(key.key_id, secret)


@pytest.fixture
def update(client: Client, zone):
    def get(query: str, auth: str) -> str:
        response = client.get(f"/nic/update?{query}", REMOTE_ADDR="192.0.2.50", HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200
        return response.content.decode()

    return get


def postgres() -> bool:
    return connection.vendor == "postgresql"


def test_an_update_with_a_remembered_key_costs_a_fixed_number_of_queries(update, key_auth, django_assert_num_queries):
    assert update("hostname=a.example.com&myip=192.0.2.1", key_auth) == "good 192.0.2.1\n"
    # PostgreSQL: the read with the key's row, the zone locked and read with the RRsets, the write (was 6, the key's
    # row a round trip of its own). SQLite: the read, the key's row, zone_apply's statements one by one (the zone, the
    # RRsets, delete, insert, the zone row, the journal). Both: the savepoint.
    with django_assert_num_queries(5 if postgres() else 10):
        assert update("hostname=a.example.com&myip=192.0.2.2", key_auth) == "good 192.0.2.2\n"


def test_a_nochg_reads_once_and_takes_no_lock(update, key_auth, zone, django_assert_num_queries):
    update("hostname=a.example.com&myip=192.0.2.1", key_auth)
    changes = Change.objects.count()
    # The read with the key's row (PostgreSQL: one round trip; was 2), or the read and the key's row.
    with django_assert_num_queries(1 if postgres() else 2) as captured:
        assert update("hostname=a.example.com&myip=192.0.2.1", key_auth) == "nochg 192.0.2.1\n"
    assert not any("UPDATE" in query["sql"] for query in captured.captured_queries)  # nor FOR NO KEY UPDATE
    assert Change.objects.count() == changes


def test_a_host_password_costs_the_one_read_and_zone_apply(update, zone, cli_actor, django_assert_num_queries):
    auth = basic("home.example.com", dyndns_password_set(zone=zone, host="home", actor=cli_actor))
    update("hostname=home.example.com&myip=192.0.2.1", auth)
    with django_assert_num_queries(5 if postgres() else 9):  # as with a key, less the key's row
        assert update("hostname=home.example.com&myip=192.0.2.2", auth) == "good 192.0.2.2\n"
    with django_assert_num_queries(1):
        assert update("hostname=home.example.com&myip=192.0.2.2", auth) == "nochg 192.0.2.2\n"


def test_a_remembered_host_password_is_not_hashed_again_and_not_kept(update, zone, cli_actor, monkeypatch):
    password = dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    update("hostname=home.example.com&myip=192.0.2.1", basic("home.example.com", password))
    hashed: list[str] = []

    def counted(stored: str, secret: str) -> bool:
        hashed.append(stored)
        return secret_matches(stored, secret)

    monkeypatch.setattr("zones.dyndns.selectors.secret_matches", counted)
    assert update("hostname=home.example.com&myip=192.0.2.2", basic("home.example.com", password)).startswith("good")
    assert hashed == []
    assert update("hostname=home.example.com&myip=192.0.2.3", basic("home.example.com", "wrong")) == "badauth\n"
    assert len(hashed) == 1
    remembered = repr(dict(dyndns_selectors._REMEMBERED)).encode()
    assert password.encode() not in remembered


def test_a_replaced_host_password_stops_working_at_the_next_request(update, zone, cli_actor):
    old = dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    assert update("hostname=home.example.com&myip=192.0.2.1", basic("home.example.com", old)).startswith("good")
    new = dyndns_password_set(zone=zone, host="home", actor=cli_actor)  # as another worker would: the row changes
    assert update("hostname=home.example.com&myip=192.0.2.2", basic("home.example.com", old)) == "badauth\n"
    assert update("hostname=home.example.com&myip=192.0.2.2", basic("home.example.com", new)) == "good 192.0.2.2\n"


def test_a_removed_host_password_stops_working_at_the_next_request(update, zone, cli_actor):
    password = dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    auth = basic("home.example.com", password)
    assert update("hostname=home.example.com&myip=192.0.2.1", auth).startswith("good")
    assert dyndns_password_delete(zone=zone, host="home", actor=cli_actor)
    assert update("hostname=home.example.com&myip=192.0.2.2", auth) == "badauth\n"
    assert [r.content for r in zone_records(zone=zone) if r.name == "home"] == ["192.0.2.1"]


def test_a_host_password_counts_only_in_the_zone_its_name_ends_in_longest(update, zone, account, cli_actor):
    """A password of `home` in example.com does not sign in home.sub.example.com once sub.example.com is a zone."""
    password = dyndns_password_set(zone=zone, host="home.sub", actor=cli_actor)
    auth = basic("home.sub.example.com", password)
    assert update("hostname=home.sub.example.com&myip=192.0.2.1", auth) == "good 192.0.2.1\n"
    zone_create(name="sub.example.com", account=account, actor=cli_actor)
    assert update("hostname=home.sub.example.com&myip=192.0.2.2", auth) == "badauth\n"


def test_a_revoked_key_stops_working_at_the_next_request(update, account, cli_actor):
    key, secret = apikey_create(account=account, scope=Scope(), actor=cli_actor)
    assert update("hostname=a.example.com&myip=192.0.2.1", basic(key.key_id, secret)) == "good 192.0.2.1\n"
    apikey_revoke(key=key, actor=cli_actor)
    assert update("hostname=a.example.com&myip=192.0.2.2", basic(key.key_id, secret)) == "badauth\n"


def test_an_update_keeps_the_ttl_of_an_rrset_that_exists(update, zone, key_auth, cli_actor, settings):
    zone_apply(zone=zone, changes=[Add("a", "A", "192.0.2.1", ttl=3600)], actor=cli_actor)
    assert update("hostname=a.example.com&myip=192.0.2.2", key_auth) == "good 192.0.2.2\n"
    assert [(r.ttl, r.content) for r in zone_records(zone=zone) if r.name == "a"] == [(3600, "192.0.2.2")]
    assert update("hostname=a.example.com&myipv6=2001:db8::2", key_auth) == "good 2001:db8::2\n"
    assert {r.type: r.ttl for r in zone_records(zone=zone) if r.name == "a"} == {"A": 3600, "AAAA": settings.DYNDNS_TTL}


def test_an_address_set_by_another_writer_after_the_read_is_nochg(update, zone, key_auth, cli_actor, monkeypatch):
    """The read says the address is new; another writer sets it before the lock: zone_apply finds nothing to do."""

    def read_then_change(**kwargs: Any) -> sql.Read[Lookup]:
        read = dyndns_lookup_read(**kwargs)

        def result(rows: sql.Rows) -> Lookup:
            found = read.result(rows)
            zone_apply(zone=zone, changes=[Replace("a", "A", ("192.0.2.9",))], actor=cli_actor)
            return found

        return sql.Read(read.statement, result)

    monkeypatch.setattr("zones.dyndns.views.dyndns_lookup_read", read_then_change)
    assert update("hostname=a.example.com&myip=192.0.2.9", key_auth) == "nochg 192.0.2.9\n"


@pytest.mark.parametrize("addresses", ["myip=192.0.2.1", "myipv6=2001:db8:abcd::/48"])
def test_a_zone_deleted_between_the_read_and_the_write_is_nohost(  # noqa: PLR0917 (fixtures)
    update, zone, key_auth, cli_actor, monkeypatch, addresses
):
    def read_then_delete(**kwargs: Any) -> sql.Read[Lookup]:
        read = dyndns_lookup_read(**kwargs)

        def result(rows: sql.Rows) -> Lookup:
            found = read.result(rows)
            zone_delete(zone=zone, actor=cli_actor)
            return found

        return sql.Read(read.statement, result)

    monkeypatch.setattr("zones.dyndns.views.dyndns_lookup_read", read_then_delete)
    assert update(f"hostname=a.example.com&{addresses}", key_auth) == "nohost\n"


def test_only_hosts_without_a_dot_in_any_zone_read_nothing(update, key_auth):
    with CaptureQueriesContext(connection) as captured:
        assert update("hostname=nodot&myip=192.0.2.1", key_auth) == "notfqdn\n"
    assert not any("UNION ALL" in query["sql"] for query in captured.captured_queries)
    assert len(captured.captured_queries) == 1  # the key's row, nothing else


def test_the_hosts_of_a_request_are_counted_in_one_round_trip(update, key_auth, zone, monkeypatch, settings):
    calls: list[dict[str, int]] = []

    def counted(windows: dict[str, int]) -> dict[str, tuple[int, float]]:
        calls.append(dict(windows))
        return count_events(windows)

    monkeypatch.setattr("zones.dyndns.views.count_events", counted)
    reply = update("hostname=a.example.com,b.example.com,a.example.org&myip=192.0.2.1", key_auth)
    assert reply == "good 192.0.2.1\ngood 192.0.2.1\nnohost\n"
    assert calls == [
        {f"dyndns-host:{zone.pk}:a": settings.DYNDNS_WINDOW, f"dyndns-host:{zone.pk}:b": settings.DYNDNS_WINDOW}
    ]


@pytest.mark.usefixtures("database_cache")
def test_without_redis_the_failures_and_the_lookup_are_read_in_one_round_trip(update, key_auth, zone, settings):
    update("hostname=a.example.com&myip=192.0.2.1", key_auth)  # the statements prepared
    with CaptureQueriesContext(connection) as captured:
        assert update("hostname=a.example.com&myip=192.0.2.2", key_auth) == "good 192.0.2.2\n"
    first = captured.captured_queries[0]["sql"]
    if postgres():
        assert first.count("EXECUTE ctrlpanel_") == 3  # the client's failures, the lookup, the remembered key's row
        assert f"EXECUTE {sql._named(account_selectors._STATE)[0]}(" in first
    else:  # SQLite runs in the process: the statements one after the other
        assert first.startswith("SELECT key, count FROM accounts_ratecount")
        assert "UNION ALL" in captured.captured_queries[1]["sql"]
        assert "FROM panel_apikey" in captured.captured_queries[2]["sql"]


@pytest.mark.usefixtures("database_cache")
def test_a_blocked_client_s_remembered_key_is_not_verified_even_when_its_row_moved(
    update, key_auth, account, settings, monkeypatch
):
    assert update("hostname=a.example.com&myip=192.0.2.1", key_auth) == "good 192.0.2.1\n"  # remembered
    ApiKey.objects.filter(account=account).update(read_only=True)  # its row moved: verified afresh if judged
    settings.DYNDNS_FAILURES_PER_CLIENT = 1
    count_event("dyndns-fail:192.0.2.50", settings.DYNDNS_WINDOW)
    hashed: list[str] = []

    def secret_matches(stored: str, given: str) -> bool:
        hashed.append(given)
        return False

    monkeypatch.setattr("accounts.selectors.secret_matches", secret_matches)
    assert update("hostname=a.example.com&myip=192.0.2.2", key_auth) == "abuse\n"
    assert hashed == []
    settings.DYNDNS_FAILURES_PER_CLIENT = 100
    assert update("hostname=a.example.com&myip=192.0.2.2", key_auth) == "badauth\n"  # judged now: hashed afresh
    assert len(hashed) == 1


@pytest.mark.usefixtures("database_cache")
def test_a_client_over_its_failures_is_answered_abuse_whatever_else_is_wrong(client: Client, zone, settings):
    settings.DYNDNS_FAILURES_PER_CLIENT = 2
    for _ in range(2):
        response = client.get("/nic/update?hostname=a.example.com", REMOTE_ADDR="192.0.2.60")
        assert response.content == b"badauth\n"
    for query in ("hostname=a.example.com", "hostname=", "wildcard=ON&hostname=a.example.com", "unknown=1"):
        response = client.get(f"/nic/update?{query}", REMOTE_ADDR="192.0.2.60")
        assert (response.status_code, response.content) == (200, b"abuse\n"), query
    response = client.get("/nic/update?unknown=1", REMOTE_ADDR="192.0.2.61")  # another client: its own answer
    assert (response.status_code, response.content) == (400, b"badagent\n")
