"""A change the server refuses holds back nothing else: the rest of the change set, and every later change, is
delivered, and zones_status names exactly what the server refused and its answer."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.push.conftest import forget_zones, register
from zones.push.selectors import SyncState, sync_statuses
from zones.services import Replace, zone_apply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_bind(bind, transactional_db):
    row = register(bind)
    yield bind
    forget_zones(row)


def test_an_rrset_bind_refuses_is_named_and_the_other_changes_still_arrive(settings, on_bind, zone, cli_actor, capsys):
    bind = on_bind
    settings.ZONE_MAX_RRSET_RECORDS = 150  # above BIND's own limit of 100: BIND answers SERVFAIL
    big = Replace(name="big", type="TXT", contents=tuple(f'"record {i}"' for i in range(150)))
    small = Replace(name="www", type="A", contents=("192.0.2.1",))
    assert zone_apply(zone=zone, changes=[big, small], actor=cli_actor).ok

    assert bind.answer("www.example.com.", "A") == ["192.0.2.1"]
    assert bind.answer("big.example.com.", "TXT") == []
    [status] = sync_statuses(zone_names=["example.com"])
    assert status.state == SyncState.FAILING
    assert "refused big TXT (SERVFAIL)" in status.last_error

    assert zone_apply(zone=zone, changes=[Replace(name="later", type="A", contents=("192.0.2.2",))], actor=cli_actor).ok
    assert bind.answer("later.example.com.", "A") == ["192.0.2.2"]
    capsys.readouterr()
    call_command("zones_status", "example.com")
    assert "refused big TXT (SERVFAIL)" in capsys.readouterr().out
