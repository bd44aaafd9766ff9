"""API keys for tests of every API that takes them (/dns/v2, /api/ipam): `make_key(**scope)` and `key`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.actors import Actor
from accounts.models import Account, ApiKey
from accounts.services import Scope, apikey_create


@dataclass
class Key:
    key: ApiKey
    secret: str

    @property
    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.key.key_id}:{self.secret}".encode()).decode()


MakeKey = Callable[..., Key]


@pytest.fixture
def make_key(account: Account, cli_actor: Actor) -> MakeKey:
    def make(owner: Account | None = None, **scope: Any) -> Key:
        for name in ("zones", "hosts", "record_types", "networks"):
            if name in scope:
                scope[name] = tuple(scope[name])
        key, secret = apikey_create(account=owner or account, scope=Scope(**scope), actor=cli_actor)
        return Key(key, secret)

    return make


@pytest.fixture
def key(make_key: MakeKey) -> Key:
    return make_key()
