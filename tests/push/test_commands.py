"""The operators' commands and what the sweeper selects (no nameserver needed: nothing is pushed here)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.push.servers import new_secret
from zones.management.commands import zones_status
from zones.models import Nameserver, ZoneSync
from zones.push.selectors import SyncState, sync_statuses, zones_due
from zones.services import zone_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(tmp_path) -> Nameserver:
    secret_file = tmp_path / "secret"
    secret_file.write_text(new_secret() + "\n")
    call_command(
        "nameserver_add", "ns-test", "--address", "127.0.0.1", "--port", "5399", "--kind", "rfc2136",
        "--tsig-name", "push", "--tsig-secret-file", str(secret_file),
    )  # fmt: skip
    return Nameserver.objects.get(name="ns-test")


def test_nameserver_add_stores_the_secret_read_from_the_file(registered, tmp_path):
    assert registered.tsig_secret == (tmp_path / "secret").read_text().strip()
    assert (registered.kind, registered.port, registered.enabled) == ("rfc2136", 5399, True)


def test_nameserver_add_refuses_a_secret_that_is_not_base64(tmp_path):
    (tmp_path / "bad").write_text("not base64 at all!")
    with pytest.raises(CommandError):
        call_command(
            "nameserver_add", "ns-bad", "--address", "127.0.0.1", "--tsig-name", "k",
            "--tsig-secret-file", str(tmp_path / "bad"),
        )  # fmt: skip
    assert not Nameserver.objects.exists()


def test_a_bind_nameserver_needs_a_zone_directory(tmp_path):
    (tmp_path / "secret").write_text(new_secret())
    with pytest.raises(CommandError, match="zone directory"):
        call_command(
            "nameserver_add", "ns-bind", "--address", "127.0.0.1", "--kind", "bind", "--tsig-name", "k",
            "--tsig-secret-file", str(tmp_path / "secret"),
        )  # fmt: skip


def test_a_zone_never_pushed_is_pending_since_its_creation(registered, zone, capsys):
    [status] = sync_statuses(zone_names=["example.com"])
    assert status.state == SyncState.PENDING
    assert status.pending_since is not None
    call_command("zones_status")
    out = capsys.readouterr().out
    assert "example.com\tns-test\tpending\tv0/1\tsince " in out
    since = status.pending_since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert f"\tsince {since}\n" in out  # the commit time in UTC, to the second


def test_a_failing_server_is_reported_with_its_last_error(registered, zone, capsys):
    ZoneSync.objects.create(zone=zone, nameserver=registered, attempts=3, last_error="REFUSED")
    call_command("zones_status", "--behind")
    assert "\tfailing\t" in capsys.readouterr().out
    [status] = sync_statuses()
    assert (status.state, status.attempts, status.last_error) == (SyncState.FAILING, 3, "REFUSED")


def test_the_sweeper_selects_zones_behind_and_leaves_backed_off_servers_alone(registered, zone):
    assert zones_due() == [zone.pk]
    sync = ZoneSync.objects.create(zone=zone, nameserver=registered, attempts=1)
    sync.next_attempt = timezone.now() + timedelta(minutes=1)
    sync.save()
    assert zones_due() == []
    assert zones_due(now=timezone.now() + timedelta(minutes=2)) == [zone.pk]
    ZoneSync.objects.filter(pk=sync.pk).update(version=zone.version, next_attempt=None)
    assert zones_due() == []


def test_a_disabled_nameserver_is_neither_swept_nor_reported(registered, zone):
    Nameserver.objects.filter(pk=registered.pk).update(enabled=False)
    assert zones_due() == []
    assert sync_statuses() == []


def test_the_listing_is_written_in_batches_every_line_once_in_order(
    registered, account, cli_actor, capsys, monkeypatch
):
    monkeypatch.setattr(zones_status, "LINES_PER_WRITE", 2)
    names = [zone_create(name=f"z{n}.example", account=account, actor=cli_actor).name for n in range(5)]
    call_command("zones_status", "--behind")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:3] for line in lines[:-1]] == [[name, "ns-test", "pending"] for name in names]
    assert lines[-1] == "zones: 0 in sync, 5 pending, 0 failing"
