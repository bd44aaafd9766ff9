"""dns-lexicon (PyPI `dns-lexicon`), its `mythicbeasts` provider, against the live server: only its endpoint changes.

The provider holds its two URLs as literals (the auth service's in authenticate(), the API's in __init__); both go
through requests, so a wrapper of requests.Session.request points them at the live server and nothing else changes.
After each operation every record the operation was not meant to touch is checked to be still there.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from lexicon._private.providers.mythicbeasts import Provider
from lexicon.config import ConfigResolver

from accounts.actors import Actor
from accounts.services import Scope, account_create, apikey_create
from zones.models import Zone
from zones.selectors import zone_records
from zones.services import Add, zone_apply, zone_create

ENDPOINTS = ("https://auth.mythic-beasts.com", "https://api.mythic-beasts.com")
ZONE = [
    Add("www", "A", "192.0.2.1"),
    Add("@", "MX", "10 mail.example.com."),
    Add("@", "TXT", '"v=spf1 mx -all"'),
    Add("test1", "A", "192.0.2.3"),
    Add("mail", "AAAA", "2001:db8::25"),
]
Rows = set[tuple[str, str, str]]


@pytest.fixture
def endpoint(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    send = requests.Session.request

    def to_live_server(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        for endpoint in ENDPOINTS:
            url = url.replace(endpoint, live_server.url)
        return send(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", to_live_server)


@pytest.fixture
def zone(transactional_db: None) -> Zone:
    actor = Actor.cli("test suite")
    account = account_create(name="acme", actor=actor)
    zone = zone_create(name="example.com", account=account, actor=actor)
    zone_apply(zone=zone, changes=ZONE, actor=actor)
    return zone


@pytest.fixture
def provider(endpoint: None, zone: Zone) -> Provider:
    key, secret = apikey_create(account=zone.account, scope=Scope(), actor=Actor.cli("test suite"))
    config = ConfigResolver().with_dict(
        {
            "provider_name": "mythicbeasts",
            "domain": "example.com",
            "ttl": 300,
            "mythicbeasts": {"auth_username": key.key_id, "auth_password": secret},
        }
    )
    provider = Provider(config)
    provider.authenticate()  # POST /login (Basic key:secret, grant_type), then GET /dns/v2/zones
    return provider


def rows(zone: Zone) -> Rows:
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone)}


def test_lexicon_authenticates_with_a_token_from_login_and_finds_its_zone(provider):
    assert provider.auth_token
    assert ":" not in provider.auth_token
    assert provider.domain_id == "example.com"


def test_lexicon_lists_with_and_without_type_name_and_content(provider, zone):
    everything = provider.list_records()
    assert {(r["type"], r["name"]) for r in everything} >= {("A", "www.example.com"), ("MX", "@.example.com")}
    assert "SOA" not in {r["type"] for r in everything}
    assert {r["content"] for r in provider.list_records("A")} == {"192.0.2.1", "192.0.2.3"}
    assert [r["content"] for r in provider.list_records(name="test1.example.com")] == ["192.0.2.3"]
    assert [r["name"] for r in provider.list_records("A", content="192.0.2.1")] == ["www.example.com"]
    [mx] = provider.list_records("MX")
    assert (mx["content"], mx["options"]) == ("mail.example.com.", {"mx": {"priority": 10}})
    assert provider.list_records("TXT", "nothing.example.com") == []


def test_lexicon_creates_a_record_and_a_second_create_is_the_duplicate_it_ignores(provider, zone):
    before = rows(zone)
    provider.create_record("TXT", "_acme-challenge.example.com", "token-one")
    assert rows(zone) == before | {("_acme-challenge", "TXT", '"token-one"')}
    version = Zone.objects.get(pk=zone.pk).version
    provider.create_record("TXT", "_acme-challenge.example.com", "token-one")  # 400 "Duplicate record...": no error
    assert Zone.objects.get(pk=zone.pk).version == version
    provider.create_record("A", "new.example.com", "192.0.2.50")
    [new] = [r for r in zone_records(zone=zone) if r.name == "new"]
    assert (new.type, new.content, new.ttl) == ("A", "192.0.2.50", 300)
    assert rows(zone) == before | {("_acme-challenge", "TXT", '"token-one"'), ("new", "A", "192.0.2.50")}


def test_lexicon_updates_the_one_record_of_a_name_and_type(provider, zone):
    before = rows(zone)
    provider.update_record(None, "A", "test1.example.com", "192.0.2.33")
    assert rows(zone) == before - {("test1", "A", "192.0.2.3")} | {("test1", "A", "192.0.2.33")}


def test_lexicon_deletes_with_content_only_that_record(provider, zone):
    provider.create_record("TXT", "_acme-challenge.example.com", "one")
    provider.create_record("TXT", "_acme-challenge.example.com", "two")
    before = rows(zone)
    provider.delete_record(None, "TXT", "_acme-challenge.example.com", "one")
    assert rows(zone) == before - {("_acme-challenge", "TXT", '"one"')}


def test_lexicon_deletes_without_content_every_record_of_that_name_and_type_and_nothing_else(provider, zone):
    # The measurement: this emptied the zone but for SOA and NS while host and type were ignored.
    provider.create_record("TXT", "test1.example.com", "one")
    provider.create_record("TXT", "test1.example.com", "two")
    before = rows(zone)
    provider.delete_record(None, "TXT", "test1.example.com")
    assert rows(zone) == before - {("test1", "TXT", '"one"'), ("test1", "TXT", '"two"')}
    assert ("test1", "A", "192.0.2.3") in rows(zone)
