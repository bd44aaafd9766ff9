"""panel.postgresql: a kept connection is checked before a request reuses it, without a round trip."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.db import close_old_connections, connection, connections

from panel.postgresql.base import DatabaseWrapper
from tests.conftest import other_connection
from zones.models import Zone

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


def test_the_product_runs_on_this_backend() -> None:
    assert settings.DATABASES["default"]["ENGINE"] == "panel.postgresql"
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]


def kept_connection() -> Any:
    connection.ensure_connection()
    Zone.objects.count()
    return connection.connection


def test_a_healthy_kept_connection_is_usable_and_checking_it_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = kept_connection()

    def no_query(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the check sent a query")

    monkeypatch.setattr(raw, "cursor", no_query)
    monkeypatch.setattr(raw, "execute", no_query)
    assert connection.is_usable()


def test_a_connection_the_server_ended_is_not_usable_and_the_next_request_opens_another() -> None:
    raw = kept_connection()
    pid = raw.info.backend_pid
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while connection.is_usable():  # the server's goodbye reaches the socket
        assert time.monotonic() < deadline, "the ended connection still looks usable"
        time.sleep(0.01)
    # What Django does at the start of a request: the check fails, the connection is closed, a new one serves.
    close_old_connections()
    connection.close_if_health_check_failed()
    assert Zone.objects.count() == 0
    assert connection.connection.info.backend_pid != pid


def test_a_connection_left_in_a_transaction_or_closed_is_not_usable() -> None:
    raw = kept_connection()
    raw.execute("BEGIN")
    assert not connection.is_usable()
    raw.execute("ROLLBACK")
    assert connection.is_usable()
    raw.close()
    assert not connection.is_usable()
    connection.close()
