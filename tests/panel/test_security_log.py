"""The security log pages: customers read their accounts' rows (and only theirs), staff everyone's; a deleted zone's
history is reached from its deletion row."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actors import Actor, Interface
from accounts.audit import security_event_record
from accounts.models import Account, SecurityEvent
from accounts.services import Scope, apikey_create, apikey_revoke, totp_disable, totp_enable, user_create
from zones.dyndns.services import dyndns_password_delete, dyndns_password_set
from zones.models import Zone
from zones.push.services import nameserver_create
from zones.services import Add, zone_apply, zone_create, zone_delete, zone_set_api_password

Action = SecurityEvent.Action
# What _every_action performs through the services; test_the_log_shows_every_kind_of_row_by_its_label covers the rest.
PERFORMED = {
    Action.ACCOUNT_CREATED,
    Action.USER_CREATED,
    Action.API_PASSWORD_SET,
    Action.API_PASSWORD_ROTATED,
    Action.API_PASSWORD_REMOVED,
    Action.APIKEY_CREATED,
    Action.APIKEY_REVOKED,
    Action.DYNDNS_PASSWORD_SET,
    Action.DYNDNS_PASSWORD_DELETED,
    Action.TOTP_ENABLED,
    Action.TOTP_DISABLED,
    Action.NAMESERVER_CREATED,
    Action.ZONE_CREATED,
    Action.ZONE_DELETED,
}


def _actions(page: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', page))


def _every_action(account: Account, zone: Zone, customer: User, cli_actor: Actor) -> None:
    """Each action of the security log once or more, for `account` (the nameserver is the provider's)."""
    actor = Actor(interface=Interface.PANEL, label=customer.username, user=customer, address="192.0.2.44")
    user_create(username="bob", password="a sturdy passphrase 42", account=account, actor=cli_actor)
    zone_set_api_password(zone=zone, password="rotated api password", actor=actor)
    zone_set_api_password(zone=zone, password="", actor=actor)
    key, _ = apikey_create(account=account, scope=Scope(read_only=True), actor=actor)
    apikey_revoke(key=key, actor=actor)
    dyndns_password_set(zone=zone, host="home", actor=actor)
    dyndns_password_delete(zone=zone, host="home", actor=actor)
    totp_enable(device=TOTPDevice.objects.create(user=customer, name="phone", confirmed=False), actor=actor)
    totp_disable(user=customer, actor=actor)
    nameserver_create(
        name="hidden-primary",
        address="192.0.2.53",
        port=53,
        kind="rfc2136",
        tsig_name="ctrlpanel.",
        tsig_algorithm="hmac-sha256",
        tsig_secret=base64.b64encode(b"k" * 32).decode(),
        actor=cli_actor,
    )
    gone = zone_create(name="example.org", account=account, actor=actor)
    zone_delete(zone=gone, actor=actor)


def test_the_security_log_lists_every_kind_of_row_of_the_account(
    customer_client: Client, staff_client: Client, zone: Zone, customer: User, cli_actor: Actor
) -> None:
    _every_action(zone.account, zone, customer, cli_actor)
    page = customer_client.get("/security-log").content.decode()
    assert _actions(page) == PERFORMED - {Action.NAMESERVER_CREATED}
    assert "<code>192.0.2.44</code>" in page
    assert "<code>home.example.com</code>" in page
    assert "read only: yes" in page
    everything = staff_client.get("/staff/security-log").content.decode()
    assert _actions(everything) == PERFORMED
    assert "<code>hidden-primary</code>" in everything


def test_the_log_shows_every_kind_of_row_by_its_label(customer_client: Client, account: Account) -> None:
    actor = Actor(interface=Interface.API, label="API key 3f2a", address="2001:db8::7")
    for action in Action:
        security_event_record(action=action, actor=actor, account=account, subject=f"subject-{action.value}")
    page = customer_client.get("/security-log").content.decode()
    assert _actions(page) == set(Action.values)
    for action in Action:
        assert f"<strong>{action.label}</strong> <code>subject-{action.value}</code>" in page


def test_the_newest_row_comes_first(customer_client: Client, zone: Zone, cli_actor: Actor) -> None:
    zone_set_api_password(zone=zone, password="", actor=cli_actor)
    page = customer_client.get("/security-log").content.decode()
    assert re.findall(r'data-action="([a-z_]+)"', page) == [
        "api_password_removed",
        "api_password_set",
        "zone_created",
        "account_created",
    ]


def test_a_customer_never_sees_another_accounts_rows(
    customer_client: Client, other_client: Client, zone: Zone, other_account: Account, cli_actor: Actor
) -> None:
    zone_create(name="example.org", account=other_account, actor=cli_actor)
    mine = customer_client.get("/security-log").content.decode()
    assert "example.com" in mine
    assert "example.org" not in mine
    assert "globex" not in mine
    theirs = other_client.get("/security-log").content.decode()
    assert "example.com" not in theirs
    assert "acme" not in theirs


def test_another_accounts_log_does_not_exist(other_client: Client, customer_client: Client, zone: Zone) -> None:
    assert other_client.get("/security-log?account=acme").status_code == 404
    assert other_client.get("/security-log?account=nope").status_code == 404
    assert customer_client.get("/security-log?account=acme").status_code == 200


def test_a_person_in_two_accounts_may_read_each_alone(
    customer_client: Client, customer: User, zone: Zone, other_account: Account, cli_actor: Actor
) -> None:
    other_account.members.add(customer)
    zone_create(name="example.org", account=other_account, actor=cli_actor)
    both = customer_client.get("/security-log").content.decode()
    assert "example.com" in both
    assert "example.org" in both
    one = customer_client.get("/security-log?account=globex").content.decode()
    assert "example.org" in one
    assert "example.com" not in one


def test_the_staff_log_refuses_customers_and_filters_by_account(
    customer_client: Client, staff_client: Client, zone: Zone, other_account: Account, cli_actor: Actor
) -> None:
    assert customer_client.get("/staff/security-log").status_code == 403
    zone_create(name="example.org", account=other_account, actor=cli_actor)
    page = staff_client.get("/staff/security-log?account=globex").content.decode()
    assert "example.org" in page
    assert "example.com" not in page


def test_a_deleted_zones_history_is_reached_from_its_deletion_row(
    customer_client: Client, other_client: Client, zone: Zone, account: Account, cli_actor: Actor
) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.80")], actor=cli_actor)
    zone_delete(zone=zone, actor=cli_actor)
    zone_create(name="example.com", account=account, actor=cli_actor)  # the same name again, with a journal of its own
    event = SecurityEvent.objects.get(action=Action.ZONE_DELETED)
    log = customer_client.get("/security-log").content.decode()
    assert f'href="/security-log/{event.pk}/history"' in log
    history = customer_client.get(f"/security-log/{event.pk}/history").content.decode()
    assert history.count("data-version=") == 2
    assert ">192.0.2.80<" in history
    assert "Restore this version" not in history
    assert other_client.get(f"/security-log/{event.pk}/history").status_code == 404
    created = SecurityEvent.objects.filter(action=Action.ZONE_CREATED).latest("id")
    assert customer_client.get(f"/security-log/{created.pk}/history").status_code == 404


def test_the_dashboard_and_the_security_page_link_to_the_log(customer_client: Client, account: Account) -> None:
    for path in ("/dashboard", "/auth/security"):
        assert 'href="/security-log"' in customer_client.get(path).content.decode()


def _add_rows(account: Account, actor: Actor, rows: int) -> None:
    for n in range(rows):
        apikey_create(account=account, scope=Scope(), label=f"key {n}", actor=actor)


@pytest.mark.parametrize("rows", [1, 40])
def test_the_log_page_takes_eight_queries_however_many_rows(
    customer_client: Client, account: Account, cli_actor: Actor, django_assert_num_queries, rows: int
) -> None:
    _add_rows(account, cli_actor, rows)
    # session, user, the person's accounts, the count for the pager, the page of rows; then the session is saved
    # (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release)
    with django_assert_num_queries(8):
        assert customer_client.get("/security-log").status_code == 200


def test_the_staff_log_page_costs_no_more_queries_for_more_rows(
    staff_client: Client, account: Account, cli_actor: Actor
) -> None:
    counts = []
    for rows in (1, 40):
        _add_rows(account, cli_actor, rows)
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get("/staff/security-log").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
