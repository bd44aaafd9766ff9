"""Real nameservers (BIND and Knot) for the push tests: started once per test session, emptied after each test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from accounts.actors import Actor
from tests.push.servers import Nameserver as Server
from tests.push.servers import bind_server, knot_server
from zones.models import Nameserver, Zone
from zones.push import control
from zones.push.services import nameserver_create


@pytest.fixture(scope="session")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = bind_server(tmp_path_factory.mktemp("bind"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = knot_server(tmp_path_factory.mktemp("knot"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["bind", "knot"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each test that takes it runs once against BIND and once against Knot."""
    server: Server = request.getfixturevalue(request.param)
    return server


@pytest.fixture
def nameserver(server: Server, transactional_db: None) -> Iterator[Nameserver]:
    """The server registered in the database; every zone the test left on it is deleted afterwards."""
    row = register(server)
    yield row
    forget_zones(row)


def register(server: Server, **overrides: object) -> Nameserver:
    arguments = server.registration() | overrides
    return nameserver_create(actor=Actor.cli("push tests"), **arguments)  # type: ignore[arg-type]


def forget_zones(row: Nameserver) -> None:
    row.refresh_from_db()
    for name in Zone.objects.values_list("name", flat=True):
        with contextlib.suppress(control.ControlError):
            control.zone_remove(row, name)
