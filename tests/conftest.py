"""Fixtures shared by the whole suite. Fixtures that start real services live beside the tests that need them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from accounts.actors import Actor, Interface
from accounts.models import Account
from accounts.services import account_create
from zones.models import Zone
from zones.services import zone_create, zone_set_api_password

API_PASSWORD = "correct horse battery"
# make_key and key: API keys for every API that takes them.
pytest_plugins = ["tests.apikeys"]


def other_connection() -> psycopg.Connection[Any]:
    """A connection of its own to the test database (PostgreSQL), autocommit: it sees only what was committed."""
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    )


def run_with_settings(code: str, tmp_path: Path, *, unset: Iterable[str] = ()) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new Python process on the product's settings, as a server would load them: a SQLite database
    in `tmp_path`, no Redis, and without the variables named in `unset` (the suite's own settings do not apply)."""
    dropped = {"REDIS_URL", "DATABASE_URL", *unset}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="subprocess-test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Throttling counters live in the cache; one test's failures must not block the next.
    cache.clear()


@pytest.fixture
def database_cache(db):
    """The cache of an installation without Redis: the throttle counters in the database (accounts.counters)."""
    backend = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_counters_cache"}
    with override_settings(CACHES={"default": backend}):
        call_command("createcachetable", verbosity=0)
        yield


@pytest.fixture
def cli_actor() -> Actor:
    return Actor.cli("test suite")


@pytest.fixture
def customer_actor() -> Actor:
    return Actor(interface=Interface.PANEL, label="customer", address="192.0.2.1")


@pytest.fixture
def account(db, cli_actor: Actor) -> Account:
    return account_create(name="acme", actor=cli_actor)


@pytest.fixture
def other_account(db, cli_actor: Actor) -> Account:
    return account_create(name="globex", actor=cli_actor)


@pytest.fixture
def zone(account: Account, cli_actor: Actor) -> Zone:
    zone = zone_create(name="example.com", account=account, actor=cli_actor)
    zone_set_api_password(zone=zone, password=API_PASSWORD, actor=cli_actor)
    return zone


@pytest.fixture
def legacy(client: Client) -> Callable[..., tuple[int, str]]:
    """POST to the Primary DNS API v1 as example.com with the right password; returns (status, body)."""

    def post(*commands: str, remote_addr: str = "192.0.2.7", **params: str) -> tuple[int, str]:
        data: dict[str, object] = {"domain": "example.com", "password": API_PASSWORD, "command": list(commands)}
        data.update(params)
        response = client.post("/customer/primarydnsapi", data, REMOTE_ADDR=remote_addr)
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        return response.status_code, response.content.decode()

    return post


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres need PostgreSQL itself (parallel transactions, exclusion constraints): on SQLite they
    are reported as skipped with that reason rather than failing. `make test` runs them on PostgreSQL."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    needs = pytest.mark.skip(reason="needs PostgreSQL (make test-postgres runs it)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(needs)
