from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiKey
from accounts.selectors import apikey_verify, token_verify
from accounts.services import ApiKeyError, Scope, apikey_create, apikey_revoke, token_issue


def test_the_secret_is_stored_only_as_a_salted_hash(key):
    stored = ApiKey.objects.get(pk=key.key.pk).secret_hash
    assert key.secret not in stored
    assert len(stored.split("$")) == 2


def test_verify_accepts_the_right_secret_and_refuses_others(key):
    assert apikey_verify(key_id=key.key.key_id, secret=key.secret) == key.key
    assert apikey_verify(key_id=key.key.key_id, secret=key.secret + "x") is None
    assert apikey_verify(key_id="0000000000000000", secret=key.secret) is None


def test_two_keys_with_the_same_secret_text_get_different_hashes(make_key):
    first, second = make_key(), make_key()
    assert first.key.secret_hash.split("$")[0] != second.key.secret_hash.split("$")[0]


def test_a_revoked_key_no_longer_verifies_nor_do_its_tokens(key, cli_actor):
    token, _ = token_issue(key=key.key)
    apikey_revoke(key=key.key, actor=cli_actor)
    assert apikey_verify(key_id=key.key.key_id, secret=key.secret) is None
    assert token_verify(token) is None


def test_an_expired_key_does_not_verify(make_key):
    expired = make_key(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert apikey_verify(key_id=expired.key.key_id, secret=expired.secret) is None


def test_a_tampered_token_does_not_verify(key):
    token, lifetime = token_issue(key=key.key)
    assert token_verify(token) == key.key
    assert lifetime > 0
    assert token_verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("hosts", ("bad host",)), ("record_types", ("A B",)), ("networks", ("300.1.2.3/8",)), ("zones", ("com",))],
)
def test_malformed_restrictions_are_refused(account, cli_actor, field, value):
    with pytest.raises(ApiKeyError):
        apikey_create(account=account, scope=Scope(**{field: value}), actor=cli_actor)


def test_the_command_prints_an_id_and_a_secret_that_work(account, zone, capsys):
    call_command(
        "apikey_create",
        "--account",
        "acme",
        "--zone",
        "example.com",
        "--host",
        "_acme-challenge.*",
        "--type",
        "txt",
        "--read-only",
    )
    out = capsys.readouterr().out
    key_id = out.split("id: ")[1].split()[0]
    secret = out.split("secret: ")[1].split()[0]
    key = apikey_verify(key_id=key_id, secret=secret)
    assert key is not None
    assert (key.zones, key.hosts, key.record_types, key.read_only) == (
        ["example.com"],
        ["_acme-challenge.*"],
        ["TXT"],
        True,
    )
