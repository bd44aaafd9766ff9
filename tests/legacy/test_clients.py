"""Real clients against a real server (pytest-django's live_server): octoDNS, Home Assistant's mbddns, curl."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import mbddns
import pytest
import yaml
from django.test import override_settings
from octodns.manager import Manager
from octodns_mythicbeasts import MythicBeastsProvider
from yarl import URL

from accounts.actors import Actor
from tests.legacy.conftest import records_of, rrset
from zones.models import Zone
from zones.services import zone_set_api_password

PATH = "/customer/primarydnsapi"
OCTODNS_PASSWORD = "octodns sync password"


class LiveMythicBeastsProvider(MythicBeastsProvider):  # type: ignore[misc]
    """The octoDNS provider, pointed at the test server instead of the provider's public host."""

    def __init__(self, id: str, passwords: dict[str, str], base: str, **kwargs: Any) -> None:
        super().__init__(id, passwords, **kwargs)
        self.BASE = base


ZONE_V1 = {
    "": [
        {"type": "A", "values": ["192.0.2.10", "192.0.2.11"]},
        {"type": "AAAA", "value": "2001:db8::10"},
        {
            "type": "MX",
            "values": [
                {"preference": 10, "exchange": "mx1.example.net."},
                {"preference": 20, "exchange": "mx2.example.net."},
            ],
        },
        {"type": "TXT", "value": "v=spf1 include:_spf.example.net ~all"},
        {"type": "CAA", "value": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}},
    ],
    "www": {"type": "CNAME", "ttl": 600, "value": "example.com."},
    "_sip._tcp": {"type": "SRV", "value": {"priority": 10, "weight": 20, "port": 5060, "target": "sip.example.net."}},
    "note": {"type": "TXT", "value": "hello world with  spaces"},
    "_dmarc": {"type": "TXT", "value": "v=DMARC1\\; p=none"},
}

ZONE_V2 = {
    "": [
        {"type": "A", "values": ["192.0.2.11", "192.0.2.12"]},
        {"type": "MX", "value": {"preference": 5, "exchange": "mx.example.net."}},
        {"type": "TXT", "value": "v=spf1 -all"},
        {"type": "CAA", "value": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}},
    ],
    "www": {"type": "CNAME", "ttl": 300, "value": "example.com."},
    "note": {"type": "TXT", "value": "changed words, still spaces"},
    "_dmarc": {"type": "TXT", "value": "v=DMARC1\\; p=reject"},
    "new": {"type": "AAAA", "value": "2001:db8::20"},
}


@pytest.fixture
def octodns_config(tmp_path: Path, live_server: Any, zone: Zone, cli_actor: Actor) -> Path:
    zone_set_api_password(zone=zone, password=OCTODNS_PASSWORD, actor=cli_actor)
    (tmp_path / "zones").mkdir()
    config = {
        "manager": {"max_workers": 1},
        "providers": {
            "config": {
                "class": "octodns.provider.yaml.YamlProvider",
                "directory": str(tmp_path / "zones"),
                "default_ttl": 3600,
                "enforce_order": False,
            },
            "ctrlpanel": {
                "class": "tests.legacy.test_clients.LiveMythicBeastsProvider",
                "passwords": {"example.com.": OCTODNS_PASSWORD},
                "base": live_server.url + PATH,
                # A test zone is small: every change is a large share of it.
                "update_pcent_threshold": 1.0,
                "delete_pcent_threshold": 1.0,
            },
        },
        "zones": {"example.com.": {"sources": ["config"], "targets": ["ctrlpanel"]}},
    }
    path = tmp_path / "octodns.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def octodns_sync(config: Path, zone_data: dict[str, Any], *, dry_run: bool = False) -> int:
    (config.parent / "zones" / "example.com.yaml").write_text(yaml.safe_dump(zone_data))
    return int(Manager(str(config)).sync(eligible_zones=["example.com."], dry_run=dry_run) or 0)


def test_octodns_syncs_a_zone_then_changes_and_removes_records_then_sees_nothing_to_do(
    octodns_config: Path, zone: Zone
) -> None:
    assert octodns_sync(octodns_config, ZONE_V1) > 0
    assert records_of(zone) == [
        ("@", 3600, "A", "192.0.2.10"),
        ("@", 3600, "A", "192.0.2.11"),
        ("@", 3600, "AAAA", "2001:db8::10"),
        ("@", 3600, "CAA", '0 issue "letsencrypt.org"'),
        ("@", 3600, "MX", "10 mx1.example.net."),
        ("@", 3600, "MX", "20 mx2.example.net."),
        ("@", 3600, "TXT", '"v=spf1 include:_spf.example.net ~all"'),
        ("_dmarc", 3600, "TXT", '"v=DMARC1; p=none"'),
        ("_sip._tcp", 3600, "SRV", "10 20 5060 sip.example.net."),
        ("note", 3600, "TXT", '"hello world with  spaces"'),
        ("www", 600, "CNAME", "example.com."),
    ]
    assert octodns_sync(octodns_config, ZONE_V2) > 0
    assert records_of(zone) == [
        ("@", 3600, "A", "192.0.2.11"),
        ("@", 3600, "A", "192.0.2.12"),
        ("@", 3600, "CAA", '0 issue "letsencrypt.org"'),
        ("@", 3600, "MX", "5 mx.example.net."),
        ("@", 3600, "TXT", '"v=spf1 -all"'),
        ("_dmarc", 3600, "TXT", '"v=DMARC1; p=reject"'),
        ("new", 3600, "AAAA", "2001:db8::20"),
        ("note", 3600, "TXT", '"changed words, still spaces"'),
        ("www", 300, "CNAME", "example.com."),
    ]
    assert octodns_sync(octodns_config, ZONE_V2, dry_run=True) == 0


def routed_session(live_server_url: str, host: str) -> type[aiohttp.ClientSession]:
    """A ClientSession that sends every request to the test server, keeping the path and naming `host`."""

    class Routed(aiohttp.ClientSession):
        async def _request(self, method: str, str_or_url: Any, **kwargs: Any) -> aiohttp.ClientResponse:
            target = URL(live_server_url).with_path(URL(str(str_or_url)).path)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Host": host}
            return await super()._request(method, target, **kwargs)

    return Routed


# aiohttp discourages subclassing ClientSession; mbddns's URL is fixed, so rewriting it in _request is the only way in.
ROUTED_WARNING = "ignore:Inheritance class Routed from ClientSession is discouraged:DeprecationWarning"


@pytest.mark.filterwarnings(ROUTED_WARNING)
def test_home_assistants_mbddns_updates_the_address(live_server: Any, zone: Zone) -> None:
    async def update() -> bool:
        session = routed_session(live_server.url, "dnsapi4.mythic-beasts.com")()
        return bool(await mbddns.update("example.com", "correct horse battery", "home", session=session))

    with override_settings(LEGACY_API_HOSTS=["dnsapi4.mythic-beasts.com"]):
        assert asyncio.run(update()) is True
    assert rrset(zone, "home", "A") == [(60, "127.0.0.1")]


@pytest.mark.filterwarnings(ROUTED_WARNING)
def test_home_assistants_mbddns_reports_a_wrong_password(live_server: Any, zone: Zone) -> None:
    async def update() -> bool:
        session = routed_session(live_server.url, "dnsapi4.mythic-beasts.com")()
        return bool(await mbddns.update("example.com", "wrong password", "home", session=session))

    with override_settings(LEGACY_API_HOSTS=["dnsapi4.mythic-beasts.com"]):
        assert asyncio.run(update()) is False
    assert rrset(zone, "home", "A") == []


CURL = shutil.which("curl") or "curl"


def curl(url: str, data: str) -> str:
    """POST `data` exactly as a shell script's `curl --data "..." URL` would."""
    command = [CURL, "-sS", "--data", data, url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)  # noqa: S603 (our own args)
    return result.stdout


def test_the_2013_curl_one_liner_with_raw_spaces(live_server: Any, zone: Zone, cli_actor: Actor) -> None:
    zone_set_api_password(zone=zone, password="MY_PASSWORD_2013", actor=cli_actor)
    body = curl(
        live_server.url + PATH,
        "domain=example.com&password=MY_PASSWORD_2013&command=REPLACE myhost 300 A 1.2.3.4",
    )
    assert body == "REPLACE myhost 300 A 1.2.3.4\n"
    assert rrset(zone, "myhost", "A") == [(300, "1.2.3.4")]


def test_an_acme_hook_adds_and_deletes_its_challenge(live_server: Any, zone: Zone, cli_actor: Actor) -> None:
    zone_set_api_password(zone=zone, password="s3cr3t&x=1", actor=cli_actor)
    url = live_server.url + "/control/fcgi/customer/primarydnsapi"
    credentials = "domain=example.com&password=s3cr3t%26x%3D1"
    assert curl(url, credentials + "&command=ADD+_acme-challenge.www+30+TXT+AbC-_123") == (
        "ADD _acme-challenge.www 30 TXT AbC-_123\n"
    )
    assert rrset(zone, "_acme-challenge.www", "TXT") == [(30, '"AbC-_123"')]
    assert curl(url, credentials + "&command=DELETE+_acme-challenge.www+30+TXT+AbC-_123") == (
        "DELETE _acme-challenge.www 30 TXT AbC-_123\n"
    )
    assert rrset(zone, "_acme-challenge.www", "TXT") == []
