"""The account security log: every security-relevant write leaves one row (who, through which interface, from which
address, what) through each interface that performs it, never holding the secret; a write that fails or rolls back
leaves none, and a row that cannot be written undoes the write."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.actors import Actor, Interface
from accounts.models import Account, ApiKey, SecurityEvent
from accounts.services import AccountError, ApiKeyError, Scope, account_create, apikey_create, user_create
from zones import services as zone_services
from zones.dyndns.services import dyndns_password_set
from zones.models import DynDNSHost, Nameserver, Record, Zone
from zones.push.services import nameserver_create
from zones.services import ZoneError, zone_create, zone_delete, zone_set_api_password

Action = SecurityEvent.Action
ADDRESS = "198.51.100.7"
CLI = "staff command line"


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    options: dict[str, Any] = {"stdin": io.StringIO(stdin)} if stdin else {}  # not every command takes one
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def latest(action: SecurityEvent.Action) -> SecurityEvent:
    return SecurityEvent.objects.filter(action=action).latest("id")


def row_text(event: SecurityEvent) -> str:
    """Every column of the row as text: where a secret must not appear."""
    return json.dumps(model_to_dict(event), default=str)


def assert_row(
    event: SecurityEvent,
    *,
    actor: str,
    interface: Interface,
    subject: str,
    account: Account | None,
    address: str | None = None,
    secrets: tuple[str, ...] = (),
) -> None:
    assert (event.actor, event.interface, event.client_address, event.subject) == (
        actor,
        interface.value,
        address,
        subject,
    )
    assert (event.account, event.account_name) == (account, account.name if account else "")
    text = row_text(event)
    for secret in secrets:
        assert secret
        assert secret not in text


@pytest.fixture
def bare_zone(account: Account, cli_actor: Actor) -> Zone:
    """A zone of the customer's account with no API password yet."""
    return zone_create(name="example.net", account=account, actor=cli_actor)


@pytest.fixture
def alice(account: Account) -> User:
    user = User.objects.create_user("alice", "alice@example.net", "a long test password")
    account.members.add(user)
    return user


@pytest.fixture
def panel(alice: User) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(alice)
    return client


# --- accounts and people -------------------------------------------------------------------------------------------


def test_creating_an_account_on_the_command_line_is_the_first_row_of_its_log(db) -> None:
    run("account_create", "initech")
    account = Account.objects.get(name="initech")
    event = latest(Action.ACCOUNT_CREATED)
    assert_row(event, actor=CLI, interface=Interface.CLI, subject="initech", account=account)
    assert list(account.security_events.all()) == [event]


def test_creating_a_user_on_the_command_line_is_logged_without_the_password(account: Account) -> None:
    run("user_create", "bob", "--account", "acme", stdin="a sturdy passphrase 42\n")
    stored = User.objects.get(username="bob").password
    assert_row(
        latest(Action.USER_CREATED),
        actor=CLI,
        interface=Interface.CLI,
        subject="bob",
        account=account,
        secrets=("a sturdy passphrase 42", stored),
    )
    assert latest(Action.USER_CREATED).detail == {"staff": False}


def test_a_staff_user_is_logged_without_an_account(db) -> None:
    run("user_create", "sam", "--staff", stdin="a sturdy passphrase 42\n")
    event = latest(Action.USER_CREATED)
    assert_row(event, actor=CLI, interface=Interface.CLI, subject="sam", account=None)
    assert event.detail == {"staff": True}


# --- the legacy API password -----------------------------------------------------------------------------------------


def test_setting_a_first_api_password_in_the_panel_is_logged_without_it(panel: Client, bare_zone: Zone) -> None:
    password = "a fresh api password"
    response = panel.post("/zones/example.net/credentials/api-password", {"password": password})
    assert response.status_code == 200
    bare_zone.refresh_from_db()
    assert_row(
        latest(Action.API_PASSWORD_SET),
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject="example.net",
        account=bare_zone.account,
        secrets=(password, bare_zone.api_password),
    )


def test_rotating_the_api_password_in_the_panel_is_logged_without_the_generated_one(panel: Client, zone: Zone):
    response = panel.post("/zones/example.com/credentials/api-password", {"password": ""})
    generated = response.context["new_api_password"]
    zone.refresh_from_db()
    assert_row(
        latest(Action.API_PASSWORD_ROTATED),
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject="example.com",
        account=zone.account,
        secrets=(generated, zone.api_password),
    )


def test_rotating_the_api_password_on_the_command_line_is_logged(zone: Zone) -> None:
    run("zone_set_password", "example.com", stdin="another api password\n")
    assert_row(
        latest(Action.API_PASSWORD_ROTATED),
        actor=CLI,
        interface=Interface.CLI,
        subject="example.com",
        account=zone.account,
        secrets=("another api password",),
    )


def test_removing_the_api_password_in_the_panel_is_logged_once(panel: Client, zone: Zone) -> None:
    for _ in range(2):  # the second time it is off already: nothing changes, nothing is recorded
        assert panel.post("/zones/example.com/credentials/api-password", {"off": "1"}).status_code == 302
    assert SecurityEvent.objects.filter(action=Action.API_PASSWORD_REMOVED).count() == 1
    assert_row(
        latest(Action.API_PASSWORD_REMOVED),
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject="example.com",
        account=zone.account,
    )


# --- API keys --------------------------------------------------------------------------------------------------------


def test_creating_an_api_key_in_the_panel_logs_its_scope_not_its_secret(panel: Client, zone: Zone) -> None:
    form = {
        "account": zone.account_id,
        "label": "acme client",
        "zones": "example.com",
        "hosts": "_acme-challenge.*",
        "record_types": "TXT",
        "networks": "192.0.2.0/24",
        "read_only": "",
    }
    response = panel.post("/keys", form)
    assert response.status_code == 200
    key, secret = response.context["new_key"], response.context["new_secret"]
    event = latest(Action.APIKEY_CREATED)
    assert_row(
        event,
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject=key.key_id,
        account=zone.account,
        secrets=(secret, ApiKey.objects.get(pk=key.pk).secret_hash),
    )
    assert event.detail == {
        "label": "acme client",
        "zones": ["example.com"],
        "hosts": ["_acme-challenge.*"],
        "record_types": ["TXT"],
        "networks": ["192.0.2.0/24"],
        "read_only": False,
        "expires": None,
    }


def test_creating_an_api_key_on_the_command_line_is_logged_without_the_secret(account: Account) -> None:
    output = run("apikey_create", "--account", "acme", "--read-only")
    key = ApiKey.objects.get()
    secret = next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith("secret"))
    event = latest(Action.APIKEY_CREATED)
    assert_row(
        event,
        actor=CLI,
        interface=Interface.CLI,
        subject=key.key_id,
        account=account,
        secrets=(secret, key.secret_hash),
    )
    assert event.detail["read_only"] is True


def test_revoking_an_api_key_in_the_panel_is_logged(panel: Client, account: Account, cli_actor: Actor) -> None:
    key, secret = apikey_create(account=account, scope=Scope(), actor=cli_actor)
    assert panel.post(f"/keys/{key.key_id}/revoke").status_code == 302
    assert_row(
        latest(Action.APIKEY_REVOKED),
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject=key.key_id,
        account=account,
        secrets=(secret, key.secret_hash),
    )


# --- Dynamic DNS host passwords --------------------------------------------------------------------------------------


def test_setting_and_replacing_a_dyndns_password_in_the_panel_is_logged_without_it(panel: Client, zone: Zone):
    passwords = []
    for _ in range(2):
        response = panel.post("/zones/example.com/credentials/dyndns", {"host": "home"})
        assert response.status_code == 200
        passwords.append(response.context["new_dyndns"]["password"])
    stored = DynDNSHost.objects.get(zone=zone, host="home").password_hash
    first, second = SecurityEvent.objects.filter(action=Action.DYNDNS_PASSWORD_SET).order_by("id")
    for event in (first, second):
        assert_row(
            event,
            actor="alice",
            interface=Interface.PANEL,
            address=ADDRESS,
            subject="home.example.com",
            account=zone.account,
            secrets=(*passwords, stored),
        )
    assert (first.detail["replaced"], second.detail["replaced"]) == (False, True)


def test_removing_a_dyndns_password_in_the_panel_is_logged(panel: Client, zone: Zone, cli_actor: Actor) -> None:
    password = dyndns_password_set(zone=zone, host="@", actor=cli_actor)
    assert panel.post("/zones/example.com/credentials/dyndns/delete", {"host": "@"}).status_code == 302
    assert_row(
        latest(Action.DYNDNS_PASSWORD_DELETED),
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject="example.com",
        account=zone.account,
        secrets=(password,),
    )


# --- the second factor -----------------------------------------------------------------------------------------------


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _totp_secrets(device: TOTPDevice) -> tuple[str, str]:
    return device.key, base64.b32encode(device.bin_key).decode().rstrip("=")


def test_turning_totp_on_and_off_in_the_panel_is_logged_in_every_account_of_the_person(
    panel: Client, alice: User, account: Account, other_account: Account
) -> None:
    other_account.members.add(alice)
    panel.get("/auth/security")
    device = TOTPDevice.objects.get(user=alice)
    code = _code(device)
    assert panel.post("/auth/security", {"token": code}).status_code == 302
    on = list(SecurityEvent.objects.filter(action=Action.TOTP_ENABLED).order_by("account_name"))
    assert [event.account for event in on] == [account, other_account]
    for event in on:
        assert_row(
            event,
            actor="alice",
            interface=Interface.PANEL,
            address=ADDRESS,
            subject="alice",
            account=event.account,
            secrets=_totp_secrets(device),
        )
    device.refresh_from_db()
    device.last_t = -1  # the code of this time step was used to turn it on; a second one in the same step is refused
    device.save()
    assert panel.post("/auth/security", {"token": _code(device)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    off = SecurityEvent.objects.filter(action=Action.TOTP_DISABLED).order_by("account_name")
    assert [event.account for event in off] == [account, other_account]
    assert_row(
        off[0],
        actor="alice",
        interface=Interface.PANEL,
        address=ADDRESS,
        subject="alice",
        account=account,
        secrets=_totp_secrets(device),
    )


# --- nameservers and zones -------------------------------------------------------------------------------------------


def test_adding_a_nameserver_on_the_command_line_is_logged_without_its_tsig_secret(db, tmp_path: Path) -> None:
    secret = base64.b64encode(b"k" * 32).decode()
    (tmp_path / "tsig").write_text(secret + "\n")
    run(
        "nameserver_add",
        "hidden-primary",
        "--address=192.0.2.53",
        "--tsig-name=ctrlpanel.",
        f"--tsig-secret-file={tmp_path / 'tsig'}",
    )
    event = latest(Action.NAMESERVER_CREATED)
    assert_row(event, actor=CLI, interface=Interface.CLI, subject="hidden-primary", account=None, secrets=(secret,))
    assert event.detail == {
        "kind": "rfc2136",
        "address": "192.0.2.53",
        "port": 53,
        "tsig_name": "ctrlpanel.",
        "tsig_algorithm": "hmac-sha256",
    }


def test_creating_a_zone_in_the_panel_is_logged(panel: Client, account: Account) -> None:
    assert panel.post("/zones/new", {"account": account.pk, "name": "Example.ORG"}).status_code == 302
    event = latest(Action.ZONE_CREATED)
    assert_row(event, actor="alice", interface=Interface.PANEL, address=ADDRESS, subject="example.org", account=account)
    assert event.detail == {"default_ttl": 3600}


def test_creating_a_zone_on_the_command_line_is_logged(account: Account) -> None:
    run("zone_create", "example.org", "--account", "acme")
    assert_row(latest(Action.ZONE_CREATED), actor=CLI, interface=Interface.CLI, subject="example.org", account=account)


def test_deleting_a_zone_is_logged_with_the_range_of_its_journal(zone: Zone, account: Account) -> None:
    actor = Actor(interface=Interface.PANEL, label="sam", address="2001:db8::5", is_staff=True)
    ids = list(zone.changes.order_by("id").values_list("id", flat=True))
    version, serial = zone.version, zone.serial
    zone_delete(zone=zone, actor=actor)
    event = latest(Action.ZONE_DELETED)
    assert_row(
        event, actor="sam", interface=Interface.PANEL, address="2001:db8::5", subject="example.com", account=account
    )
    assert event.detail == {"version": version, "serial": serial, "changes": [ids[0], ids[-1]]}


def test_a_row_outlives_its_account_by_name(db, cli_actor: Actor) -> None:
    account = account_create(name="initech", actor=cli_actor)
    account.delete()
    event = latest(Action.ACCOUNT_CREATED)
    assert (event.account, event.account_name) == (None, "initech")


# --- failures and rollbacks ------------------------------------------------------------------------------------------


def _failures(account: Account, zone: Zone, actor: Actor) -> list[Any]:
    return [
        lambda: account_create(name="acme", actor=actor),
        lambda: user_create(username="eve", password="password", account=account, actor=actor),
        lambda: zone_set_api_password(zone=zone, password="short", actor=actor),
        lambda: apikey_create(account=account, scope=Scope(hosts=("bad host!",)), actor=actor),
        lambda: dyndns_password_set(zone=zone, host="outside.example.org.", actor=actor),
        lambda: nameserver_create(
            name="ns",
            address="192.0.2.1",
            port=53,
            kind="rfc2136",
            tsig_name="k.",
            tsig_algorithm="hmac-sha256",
            tsig_secret="not base64!",
            actor=actor,
        ),
        lambda: zone_create(name="example.com", account=account, actor=actor),
    ]


def test_a_refused_action_leaves_no_row(zone: Zone, account: Account, cli_actor: Actor) -> None:
    before = SecurityEvent.objects.count()
    for attempt in _failures(account, zone, cli_actor):
        with pytest.raises((AccountError, ApiKeyError, ZoneError, ValueError)):
            attempt()
    assert SecurityEvent.objects.count() == before
    assert not Nameserver.objects.exists()


def test_an_action_rolled_back_with_its_callers_transaction_leaves_no_row(zone: Zone, cli_actor: Actor) -> None:
    def writes_then_fails() -> None:
        with transaction.atomic():
            zone_set_api_password(zone=zone, password="rolled back password", actor=cli_actor)
            apikey_create(account=zone.account, scope=Scope(), actor=cli_actor)
            zone_delete(zone=zone, actor=cli_actor)
            raise RuntimeError("the caller fails after the writes")

    before = SecurityEvent.objects.count()
    with pytest.raises(RuntimeError):
        writes_then_fails()
    assert SecurityEvent.objects.count() == before
    assert (Zone.objects.filter(pk=zone.pk).exists(), ApiKey.objects.exists()) == (True, False)


def test_a_row_that_cannot_be_written_undoes_the_write(zone: Zone, cli_actor: Actor, monkeypatch) -> None:
    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("the log is unavailable")

    monkeypatch.setattr(account_services, "security_event_record", refuse)
    monkeypatch.setattr(zone_services, "security_event_record", refuse)
    records = Record.objects.filter(rrset__zone=zone).count()
    with pytest.raises(RuntimeError):
        apikey_create(account=zone.account, scope=Scope(), actor=cli_actor)
    with pytest.raises(RuntimeError):
        zone_delete(zone=zone, actor=cli_actor)
    assert not ApiKey.objects.exists()
    assert Record.objects.filter(rrset__zone=zone).count() == records
    assert Zone.objects.filter(pk=zone.pk).exists()
