from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from accounts.models import Account
from accounts.services import AccountError, account_create
from zones.models import Zone


def run(*args, stdin=""):
    out = io.StringIO()
    call_command(*args, stdin=io.StringIO(stdin), stdout=out)
    return out.getvalue()


def test_user_create_makes_a_member_who_can_log_in(account):
    assert run("user_create", "alice", "--account", "acme", stdin="a sturdy passphrase 42\n") == "user alice created\n"
    user = authenticate(username="alice", password="a sturdy passphrase 42")
    assert user is not None
    assert list(user.accounts.values_list("name", flat=True)) == ["acme"]
    assert not user.is_staff
    assert user.password != "a sturdy passphrase 42"


def test_user_create_refuses_a_weak_password_and_creates_nobody(account):
    with pytest.raises(CommandError, match=r"too common|too short"):
        run("user_create", "bob", "--account", "acme", stdin="password\n")
    assert authenticate(username="bob", password="password") is None
    assert not account.members.exists()


def test_user_create_needs_an_account_unless_staff(db):
    with pytest.raises(CommandError, match="needs --account"):
        run("user_create", "carol", stdin="a sturdy passphrase 42\n")
    run("user_create", "carol", "--staff", stdin="a sturdy passphrase 42\n")
    carol = authenticate(username="carol", password="a sturdy passphrase 42")
    assert carol is not None
    assert carol.is_staff


def test_user_create_refuses_an_unknown_account_and_a_taken_name(account):
    with pytest.raises(CommandError, match="no account named nope"):
        run("user_create", "dave", "--account", "nope", stdin="a sturdy passphrase 42\n")
    run("user_create", "dave", "--account", "acme", stdin="a sturdy passphrase 42\n")
    with pytest.raises(CommandError, match="exists already"):
        run("user_create", "dave", "--account", "acme", stdin="another sturdy passphrase\n")


def test_demo_setup_is_idempotent_and_gives_a_working_zone_and_login(db, monkeypatch):
    monkeypatch.setenv("DEMO_API_PASSWORD", "demo-api-secret")
    outputs = [io.StringIO(), io.StringIO()]
    for out in outputs:
        call_command("demo_setup", stdout=out)
    first, second = (out.getvalue() for out in outputs)
    assert "created" in first
    assert "created" not in second
    zone = Zone.objects.get(name="example.test")
    assert zone.account.name == "demo"
    assert authenticate(username="demo", password="demo-panel-password") is not None


def test_an_account_name_is_unique_and_a_slug(account, cli_actor):
    with pytest.raises(AccountError, match="exists already"):
        account_create(name="acme", actor=cli_actor)
    with pytest.raises(AccountError, match=r"slug|letters"):
        account_create(name="no spaces here", actor=cli_actor)
    assert list(Account.objects.values_list("name", flat=True)) == ["acme"]


def test_account_create_command_reports_a_taken_name(account):
    with pytest.raises(CommandError, match="exists already"):
        call_command("account_create", "acme", stdout=io.StringIO())
