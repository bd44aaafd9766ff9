"""Fixtures for the Primary DNS API v1 tests: a client that speaks the form protocol, and a second tenant."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from accounts.actors import Actor
from accounts.models import Account
from tests.conftest import API_PASSWORD
from zones import selectors
from zones.models import Zone
from zones.services import zone_create, zone_set_api_password

# live_server binds to "localhost" unless told otherwise; on this shared machine servers bind to 127.0.0.1 only.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

PATH = "/customer/primarydnsapi"
FORM = "application/x-www-form-urlencoded"
OTHER_PASSWORD = "another tenant's secret"
CLIENT_ADDRESS = "192.0.2.7"
# What LIST shows of a new zone with showall=0: the provider's apex NS set (tests/settings: the default nameservers).
NS_LINES = "@ 3600 NS ns1.ctrlpanel.test. \n@ 3600 NS ns2.ctrlpanel.test. \n"


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    response: Response

    @property
    def lines(self) -> list[str]:
        return self.body.splitlines()


class Api:
    """Sends Primary DNS API v1 requests as example.com (unless told otherwise) through Django's test client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, *commands: str, path: str = PATH, remote_addr: str = CLIENT_ADDRESS, **params: Any) -> Reply:
        body = urlencode(self.form(commands, params), doseq=True)
        return self.raw(body.encode(), path=path, REMOTE_ADDR=remote_addr)

    def get(self, *commands: str, path: str = PATH, remote_addr: str = CLIENT_ADDRESS, **params: Any) -> Reply:
        query = urlencode(self.form(commands, params), doseq=True)
        return self.reply(self.client.get(f"{path}?{query}", REMOTE_ADDR=remote_addr))

    def raw(self, body: bytes, *, path: str = PATH, content_type: str = FORM, **meta: Any) -> Reply:
        """POST an exact body: for what urlencode would never produce (raw spaces, bad bytes)."""
        meta.setdefault("REMOTE_ADDR", CLIENT_ADDRESS)
        return self.reply(self.client.generic("POST", path, body, content_type=content_type, **meta))

    @staticmethod
    def form(commands: Iterable[str], params: Mapping[str, object]) -> dict[str, object]:
        form: dict[str, object] = {"domain": "example.com", "password": API_PASSWORD}
        if commands:
            form["command"] = list(commands)
        form.update(params)
        return {name: value for name, value in form.items() if value is not None}

    @staticmethod
    def reply(response: Response) -> Reply:
        return Reply(response.status_code, response.content.decode("utf-8", "replace"), response)


@pytest.fixture
def api(client: Client, zone: Zone) -> Api:
    return Api(client)


@pytest.fixture
def other_zone(other_account: Account, cli_actor: Actor) -> Zone:
    """A zone of another account, with its own API password."""
    other = zone_create(name="example.org", account=other_account, actor=cli_actor)
    zone_set_api_password(zone=other, password=OTHER_PASSWORD, actor=cli_actor)
    return other


def records_of(zone: Zone) -> list[tuple[str, int, str, str]]:
    """The zone's records as (name, ttl, type, content), without the provider's apex NS set."""
    return [
        (r.name, r.ttl, r.type, r.content)
        for r in selectors.zone_records(zone=zone)
        if not (r.name == "@" and r.type == "NS")
    ]


def rrset(zone: Zone, name: str, rdtype: str) -> list[tuple[int, str]]:
    return [(ttl, content) for owner, ttl, t, content in records_of(zone) if (owner, t) == (name, rdtype)]
