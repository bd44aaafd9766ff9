"""Journal retention (zones/retention.py): what the prune removes, what it never removes (a change a nameserver still
needs, the last versions of a zone, the security record, a deleted zone's history its deletion row points to), restores
past the pruned part refused in every interface that restores, and the history page saying how far back it goes."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor, Interface
from accounts.audit import security_event_record
from accounts.models import Account, SecurityEvent
from tests.zones.conftest import zone_state
from zones import journal, tasks
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.push.locks import journal_prune_lock
from zones.retention import Policy, PruneBusy, history_reach, journal_prune
from zones.services import Add, Operation, Replace, ZoneError, zone_apply, zone_create, zone_delete, zone_restore

PRUNER = Actor.cli("retention tests")

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
KEEP = 3  # versions each zone keeps whatever their age, in these tests


@pytest.fixture(autouse=True)
def policy(settings: Any) -> Policy:
    settings.JOURNAL_RETENTION_DAYS = 365
    settings.JOURNAL_KEEP_VERSIONS = KEEP
    settings.SECURITY_LOG_RETENTION_DAYS = 1095
    return Policy.from_settings()


@pytest.fixture
def customer(account: Account) -> User:
    user = User.objects.create_user("alice", password="a long test password")
    account.members.add(user)
    return user


@pytest.fixture
def alice(customer: User) -> Actor:
    """A customer in the panel: their changes are not security-relevant unless what they change is."""
    return Actor(interface=Interface.PANEL, label="alice", user=customer, address="192.0.2.1")


@pytest.fixture
def zone(account: Account, alice: Actor) -> Zone:
    """example.org created by a customer (a zone created on the command line starts with a staff change)."""
    return zone_create(name="example.org", account=account, actor=alice)


def change(zone: Zone, actor: Actor, *ops: Operation) -> int:
    result = zone_apply(zone=zone, changes=ops, actor=actor)
    assert result.ok, result.errors
    return zone.version


def www_changes(zone: Zone, actor: Actor, count: int) -> None:
    for n in range(count):
        change(zone, actor, Replace("www", "A", (f"192.0.2.{n + 1}",)))


def age(days: float, **where: object) -> None:
    Change.objects.filter(**where).update(created=timezone.now() - timedelta(days=days))


def versions(zone: Zone) -> list[int]:
    return list(Change.objects.filter(zone=zone).order_by("version").values_list("version", flat=True))


# --- age and versions --------------------------------------------------------------------------------------------


def test_changes_past_the_retention_go_and_each_zone_keeps_its_last_versions(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 8)  # versions 2..9
    age(400, zone=zone)
    report = journal_prune(actor=PRUNER)
    assert versions(zone) == [7, 8, 9]
    assert (report.changes, report.complete, report.dry_run) == (6, True, False)


def test_changes_younger_than_the_retention_stay_however_many_there_are(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 20)
    age(364, zone=zone)
    assert journal_prune(actor=PRUNER).changes == 0
    assert versions(zone) == list(range(1, 22))


def test_nothing_goes_when_the_journal_is_kept_forever(zone: Zone, alice: Actor, settings: Any) -> None:
    settings.JOURNAL_RETENTION_DAYS = 0
    www_changes(zone, alice, 8)
    age(5000, zone=zone)
    assert journal_prune(actor=PRUNER).changes == 0
    assert len(versions(zone)) == 9


def test_a_dry_run_counts_what_would_go_and_removes_nothing(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 8)
    age(400, zone=zone)
    out = io.StringIO()
    call_command("journal_prune", "--dry-run", stdout=out)
    assert "would remove 6 journal changes and 0 security log rows" in out.getvalue()
    assert "changes kept 365 days and each zone's last 3 versions" in out.getvalue()
    assert len(versions(zone)) == 9
    out = io.StringIO()
    call_command("journal_prune", stdout=out)
    assert "removed 6 journal changes and 0 security log rows" in out.getvalue()
    assert versions(zone) == [7, 8, 9]


def test_the_command_refuses_an_option_it_does_not_know(zone: Zone) -> None:
    with pytest.raises(CommandError, match="unrecognized arguments: --days"):
        call_command("journal_prune", "--days", "3")


def test_the_last_versions_and_the_age_are_per_zone_across_accounts(
    zone: Zone, alice: Actor, other_account: Account, cli_actor: Actor
) -> None:
    other = zone_create(name="example.net", account=other_account, actor=alice)
    www_changes(zone, alice, 8)
    www_changes(other, alice, 2)  # versions 1..3: all among its last three
    third = zone_create(name="example.com", account=other_account, actor=alice)
    www_changes(third, alice, 8)
    age(400, zone__in=[zone, other])  # the third zone's changes are recent
    journal_prune(actor=PRUNER)
    assert (versions(zone), versions(other), versions(third)) == ([7, 8, 9], [1, 2, 3], list(range(1, 10)))


# --- push safety ---------------------------------------------------------------------------------------------------


def _nameserver(name: str, *, enabled: bool = True) -> Nameserver:
    # Registered after the changes were made, so that no push tries to reach it: the rows are what a push would leave.
    return Nameserver.objects.create(
        name=name, address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0", enabled=enabled
    )


@pytest.fixture
def old_zone(zone: Zone, alice: Actor) -> Zone:
    """example.org at version 9, every change 400 days old: without nameservers, versions 1..6 would go."""
    www_changes(zone, alice, 8)
    age(400, zone=zone)
    return zone


def test_changes_after_the_lowest_confirmed_version_of_an_enabled_server_stay(old_zone: Zone) -> None:
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-a"), version=4)
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-b"), version=9)
    journal_prune(actor=PRUNER)
    assert versions(old_zone) == [5, 6, 7, 8, 9]  # ns-a needs 5..9 to catch up incrementally
    assert journal.rrsets_changed(zone=old_zone, since=4, until=9) is not None


def test_an_enabled_server_that_confirmed_nothing_holds_the_whole_journal(old_zone: Zone) -> None:
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-a"), version=0)
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-b"), version=9)
    assert journal_prune(actor=PRUNER).changes == 0
    assert versions(old_zone) == list(range(1, 10))


def test_an_enabled_server_without_a_sync_row_holds_the_whole_journal(old_zone: Zone) -> None:
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-a"), version=9)
    _nameserver("ns-new")  # added after the zone: its row is created by its first push
    assert journal_prune(actor=PRUNER).changes == 0
    assert versions(old_zone) == list(range(1, 10))


def test_a_disabled_server_holds_nothing(old_zone: Zone) -> None:
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-a"), version=9)
    ZoneSync.objects.create(zone=old_zone, nameserver=_nameserver("ns-off", enabled=False), version=2)
    journal_prune(actor=PRUNER)
    assert versions(old_zone) == [7, 8, 9]


# --- restore -------------------------------------------------------------------------------------------------------


def test_a_restore_to_a_version_still_covered_works_and_one_before_is_refused(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 5)
    state_at_6 = zone_state(zone)
    www_changes(zone, alice, 3)
    age(400, zone=zone)
    journal_prune(actor=PRUNER)
    assert versions(zone) == [7, 8, 9]
    with pytest.raises(ZoneError) as refused:
        zone_restore(zone=zone, version=5, actor=alice)
    assert str(refused.value) == (
        "version 5 of example.org can no longer be restored: changes are kept 365 days and at least the last 3 "
        "versions, and the journal is complete from version 7 on, so the earliest version a restore can bring back is 6"
    )
    assert zone_restore(zone=zone, version=6, actor=alice).ok
    assert zone_state(zone) == state_at_6


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_panel_refuses_a_restore_past_the_journal_and_changes_nothing(
    zone: Zone, alice: Actor, customer: User
) -> None:
    www_changes(zone, alice, 8)
    age(400, zone=zone)
    journal_prune(actor=PRUNER)
    before = zone_state(zone)
    client = _client(customer)
    response = client.post("/zones/example.org/history/5/restore", follow=True)
    assert response.status_code == 200
    assert "version 5 of example.org can no longer be restored" in unescape(response.content.decode())
    assert zone_state(zone) == before
    assert Zone.objects.get(pk=zone.pk).version == 9
    response = client.post("/zones/example.org/history/7/restore", follow=True)
    assert "Restored the records of version 7 as version 10." in response.content.decode()


def test_the_history_page_says_how_far_back_it_goes(zone: Zone, alice: Actor, customer: User) -> None:
    www_changes(zone, alice, 8)
    age(400, zone=zone, version__lte=8)
    journal_prune(actor=PRUNER)
    oldest = Change.objects.get(zone=zone, version=7).created
    page = _client(customer).get("/zones/example.org/history").content.decode()
    assert (
        "History is kept for 365 days and at least the last 3 versions; the oldest version here is 7 from "
        f'<time datetime="{oldest.isoformat()}">{oldest:%Y-%m-%d}</time>.'
    ) in page
    assert page.count("Restore this version") == 2  # versions 7 and 8; 9 is the current one
    assert "not restorable" not in page


def test_security_rows_kept_below_a_pruned_stretch_are_shown_but_not_restorable(
    zone: Zone, alice: Actor, customer: User
) -> None:
    www_changes(zone, alice, 2)  # versions 2, 3
    change(zone, alice, Add("sub", "NS", "ns1.example.net."))  # version 4: a delegation
    www_changes(zone, alice, 5)  # versions 5..9
    age(400, zone=zone)
    journal_prune(actor=PRUNER)
    assert versions(zone) == [4, 7, 8, 9]
    reach = history_reach(zone=zone)
    assert (reach.oldest_version, reach.complete_from, reach.restorable_from) == (4, 7, 6)
    page = _client(customer).get("/zones/example.org/history").content.decode()
    assert "the oldest version here is 4 from" in page
    assert "Changes before version 7 are kept for the security record" in page
    assert page.count("not restorable") == 1
    with pytest.raises(ZoneError, match="can no longer be restored"):
        zone_restore(zone=zone, version=4, actor=alice)


# --- the security record -------------------------------------------------------------------------------------------


def _journaled(zone: Zone, actor: Actor, *, before: object, after: object) -> Change:
    """A change set as the journal holds it, written as zone_apply does (version bumped under the zone's lock): the
    record types the service takes today are not all that a journal of years may hold."""
    with transaction.atomic():
        locked = Zone.objects.select_for_update().get(pk=zone.pk)
        locked.version += 1
        locked.save(update_fields=["version"])
        row = journal.change_write(zone=locked, actor=actor)
        Change.objects.filter(pk=row.pk).update(before=before, after=after)
    return row


def _rrset(name: str, rdtype: str, *records: str) -> list[dict[str, object]]:
    return [{"name": name, "type": rdtype, "ttl": 3600, "records": list(records)}]


@pytest.mark.parametrize(
    ("entries", "kept"),
    [
        (_rrset("@", "DNSKEY", "257 3 13 AAAA"), True),
        (_rrset("@", "CDS", "0 0 0 00"), True),
        (_rrset("@", "CDNSKEY", "0 3 0 AA=="), True),
        (_rrset("sub", "DS", "12345 13 2 AB"), True),
        (_rrset("sub", "NS", "ns1.example.net."), True),
        (_rrset("@", "NS", "ns1.example.net."), False),  # the provider's: changed by staff, who are kept anyway
        (_rrset("www", "A", "192.0.2.1") + _rrset("sub.www", "NS", "ns1.example.net."), True),
        (_rrset("www", "A", "192.0.2.1"), False),
        ("not a journal side", True),  # cannot be judged: kept the longer time
    ],
)
@pytest.mark.parametrize("side", ["before", "after"])
def test_what_the_security_record_keeps(zone: Zone, alice: Actor, entries: object, kept: bool, side: str) -> None:
    row = _journaled(zone, alice, **{side: entries, ("after" if side == "before" else "before"): []})
    www_changes(zone, alice, KEEP)
    age(400, zone=zone)
    journal_prune(actor=PRUNER)
    assert Change.objects.filter(pk=row.pk).exists() is kept
    age(1100, zone=zone)
    journal_prune(actor=PRUNER)
    assert not Change.objects.filter(pk=row.pk).exists()


def test_delegations_and_ds_records_stay_until_the_security_log_retention(zone: Zone, alice: Actor) -> None:
    change(zone, alice, Add("sub", "NS", "ns1.example.net."))  # 2
    change(zone, alice, Add("sub", "DS", "12345 13 2 " + "ab" * 32))  # 3
    change(zone, alice, Add("www", "A", "192.0.2.200"))  # 4
    change(zone, alice, Replace("sub", "NS", ()), Replace("sub", "DS", ()))  # 5: the delegation goes
    www_changes(zone, alice, 4)  # 6..9
    age(1000, zone=zone)
    journal_prune(actor=PRUNER)
    assert versions(zone) == [2, 3, 5, 7, 8, 9]
    age(1100, zone=zone, version__in=[2, 3])
    journal_prune(actor=PRUNER)
    assert versions(zone) == [5, 7, 8, 9]


def test_changes_by_staff_and_on_the_command_line_stay_until_the_security_log_retention(
    zone: Zone, alice: Actor, cli_actor: Actor
) -> None:
    sam = User.objects.create_user("sam", is_staff=True)
    staff = Actor(interface=Interface.PANEL, label="sam", user=sam, address="192.0.2.9", is_staff=True)
    change(zone, staff, Add("www", "A", "192.0.2.100"))  # 2
    change(zone, cli_actor, Add("www", "A", "192.0.2.101"))  # 3
    www_changes(zone, alice, 6)  # 4..9
    age(400, zone=zone)
    journal_prune(actor=PRUNER)
    assert versions(zone) == [2, 3, 7, 8, 9]
    User.objects.filter(pk=sam.pk).update(is_staff=False)  # staff no longer: their changes are a customer's
    journal_prune(actor=PRUNER)
    assert versions(zone) == [3, 7, 8, 9]


def test_the_security_log_is_pruned_past_its_own_retention_in_batches(account: Account, cli_actor: Actor) -> None:
    for n in range(12):
        security_event_record(
            action=SecurityEvent.Action.APIKEY_CREATED, actor=cli_actor, account=account, subject=f"k{n}"
        )
    old = SecurityEvent.objects.filter(subject__in=[f"k{n}" for n in range(9)])
    old.update(created=timezone.now() - timedelta(days=1096))
    kept = set(SecurityEvent.objects.exclude(pk__in=old.values("pk")).values_list("pk", flat=True))
    assert journal_prune(actor=PRUNER, dry_run=True).security_events == 9
    with CaptureQueriesContext(connection) as queries:
        report = journal_prune(actor=PRUNER, batch=4)
    assert report.security_events == 9
    deletes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "accounts_securityevent"')
    ]
    assert len(deletes) == 3  # 4 + 4 + 1
    assert set(SecurityEvent.objects.values_list("pk", flat=True)) == kept


def test_the_security_log_is_kept_forever_when_its_retention_is_0(
    account: Account, cli_actor: Actor, settings: Any
) -> None:
    settings.SECURITY_LOG_RETENTION_DAYS = 0
    SecurityEvent.objects.update(created=timezone.now() - timedelta(days=5000))
    assert journal_prune(actor=PRUNER).security_events == 0
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.ACCOUNT_CREATED).exists()


# --- deleted zones -------------------------------------------------------------------------------------------------


def test_a_deleted_zones_history_stays_as_long_as_its_deletion_row(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 8)
    zone_delete(zone=zone, actor=alice)
    deletion = SecurityEvent.objects.get(action=SecurityEvent.Action.ZONE_DELETED)
    age(1000, zone__isnull=True)  # older than the journal's retention, whatever their version
    journal_prune(actor=PRUNER)
    assert Change.objects.filter(zone__isnull=True, zone_name="example.org").count() == 9
    SecurityEvent.objects.filter(pk=deletion.pk).update(created=timezone.now() - timedelta(days=1096))
    report = journal_prune(actor=PRUNER)
    assert (report.security_events, report.changes) == (1, 9)
    assert not Change.objects.filter(zone_name="example.org").exists()


def test_a_deleted_zone_without_a_deletion_row_is_pruned_by_age_and_another_zones_row_protects_nothing(
    zone: Zone, alice: Actor, account: Account
) -> None:
    www_changes(zone, alice, 2)
    zone_delete(zone=zone, actor=alice)
    SecurityEvent.objects.filter(action=SecurityEvent.Action.ZONE_DELETED).delete()  # as if pruned long ago
    again = zone_create(name="example.org", account=account, actor=alice)  # the same name, rows of its own
    www_changes(again, alice, 2)
    gone = zone_create(name="example.com", account=account, actor=alice)
    www_changes(gone, alice, 2)
    zone_delete(zone=gone, actor=alice)  # its deletion row is recent: its history stays
    age(400)
    journal_prune(actor=PRUNER)
    assert not Change.objects.filter(zone__isnull=True, zone_name="example.org").exists()
    assert Change.objects.filter(zone__isnull=True, zone_name="example.com").count() == 3
    assert versions(again) == [1, 2, 3]


def test_a_zone_deleted_between_the_read_and_the_delete_keeps_its_history(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 8)
    age(400, zone=zone)
    deleted: list[bool] = []

    def delete_the_zone_after_the_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The prune runs each statement in a transaction of its own: the zone's deletion commits in between.
        if not deleted and sql.startswith('SELECT "zones_change"."id"'):
            deleted.append(True)
            zone_delete(zone=zone, actor=alice)
        return result

    with connection.execute_wrapper(delete_the_zone_after_the_read):
        report = journal_prune(actor=PRUNER)
    assert deleted
    assert report.changes == 0
    assert Change.objects.filter(zone__isnull=True, zone_name="example.org").count() == 9


# --- batches, deadline, lock, task -----------------------------------------------------------------------------------


def test_the_prune_reads_a_bounded_number_of_rows_per_statement_with_a_fixed_number_of_queries(
    zone: Zone, alice: Actor, account: Account
) -> None:
    www_changes(zone, alice, 20)  # versions 2..21: 1..18 go
    other = zone_create(name="example.net", account=account, actor=alice)
    www_changes(other, alice, 3)  # versions 2..4: 1 goes
    third = zone_create(name="example.info", account=account, actor=alice)
    www_changes(third, alice, 4)  # versions 2..5: 1 and 2 go
    small = zone_create(name="example.com", account=account, actor=alice)
    www_changes(small, alice, 2)  # versions 1..3: all kept, never looked at
    age(400)
    with CaptureQueriesContext(connection) as queries:
        report = journal_prune(actor=PRUNER, batch=10)
    assert report.changes == 18 + 1 + 2
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "zones_change"')]
    # example.org has more rows than a statement may read: ranges of at most 10 versions; the two small zones (4 and
    # 5 rows) are read together, versions 1 to 2 of each.
    ranges = [re.findall(r'"version" >= (\d+) AND "zones_change"."version" <= (\d+)', sql) for sql in deletes]
    assert ranges == [[("1", "10")], [("11", "18")], [("1", "2")]]
    assert re.search(r'"zone_id" IN \((\d+), (\d+)\)', deletes[-1])
    lock = 2 if connection.vendor == "postgresql" else 0  # taken and given back; elsewhere a lock in the process
    # the security log; the enabled nameservers, the deletion rows, the zones with more versions than are kept (one
    # query, with their oldest version and push floor); one DELETE per statement; the deleted zones' old rows.
    assert len(queries) == lock + 1 + 3 + len(deletes) + 1
    assert (versions(zone), versions(other), versions(third), versions(small)) == (
        [19, 20, 21],
        [2, 3, 4],
        [3, 4, 5],
        [1, 2, 3],
    )


def test_a_run_past_its_deadline_stops_between_batches_and_the_next_carries_on(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 20)
    age(400, zone=zone)
    report = journal_prune(actor=PRUNER, deadline=0.0, batch=5)
    assert (report.changes, report.complete) == (0, False)
    report = journal_prune(actor=PRUNER, batch=5)
    assert (report.changes, report.complete) == (18, True)


def test_two_runs_do_not_overlap(zone: Zone) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with journal_prune_lock() as acquired:
                assert acquired
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(PruneBusy):
            journal_prune(actor=PRUNER)
        with pytest.raises(CommandError, match="another prune of the journal is running"):
            call_command("journal_prune", stdout=io.StringIO())
        assert tasks.journal_prune.apply().get() == 0
    finally:
        release.set()
        holder.join()
    assert journal_prune(actor=PRUNER).complete


def test_the_beat_task_prunes_and_is_safe_to_run_twice(zone: Zone, alice: Actor) -> None:
    www_changes(zone, alice, 8)
    age(400, zone=zone)
    assert tasks.journal_prune.apply().get() == 6
    assert tasks.journal_prune.apply().get() == 0
    assert versions(zone) == [7, 8, 9]
    assert settings.CELERY_BEAT_SCHEDULE["journal-prune"] == {
        "task": "zones.tasks.journal_prune",
        "schedule": float(settings.JOURNAL_PRUNE_INTERVAL),
    }


# --- settings ------------------------------------------------------------------------------------------------------


def _start(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run `code` after django.setup() with the product's settings and these variables (no retention variable else)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNAL_", "SECURITY_LOG_"))}
    env |= {"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "panel.settings", **environment}
    command = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        ({}, ""),
        ({"JOURNAL_RETENTION_DAYS": "0", "JOURNAL_KEEP_VERSIONS": "1", "SECURITY_LOG_RETENTION_DAYS": "0"}, ""),
        ({"JOURNAL_RETENTION_DAYS": "-1"}, "JOURNAL_RETENTION_DAYS must be at least 0, not -1"),
        ({"JOURNAL_RETENTION_DAYS": "a year"}, "JOURNAL_RETENTION_DAYS must be an integer, not 'a year'"),
        ({"JOURNAL_KEEP_VERSIONS": "0"}, "JOURNAL_KEEP_VERSIONS must be at least 1, not 0"),
        (
            {"JOURNAL_RETENTION_DAYS": "400", "SECURITY_LOG_RETENTION_DAYS": "365"},
            "SECURITY_LOG_RETENTION_DAYS (365) may not be shorter than JOURNAL_RETENTION_DAYS (400)",
        ),
        ({"JOURNAL_PRUNE_INTERVAL": "0"}, "JOURNAL_PRUNE_INTERVAL must be at least 60, not 0"),
    ],
)
def test_the_retention_settings_are_checked_at_start_up(environment: dict[str, str], error: str) -> None:
    started = _start("pass", **environment)
    if not error:
        assert started.returncode == 0, started.stderr
        return
    assert started.returncode == 1
    assert started.stderr.strip().splitlines()[-1] == f"django.core.exceptions.ImproperlyConfigured: {error}"


def test_the_defaults_keep_a_year_fifty_versions_and_the_security_record_three_years() -> None:
    code = (
        "from django.conf import settings as s; print(s.JOURNAL_RETENTION_DAYS, s.JOURNAL_KEEP_VERSIONS, "
        "s.SECURITY_LOG_RETENTION_DAYS, s.JOURNAL_PRUNE_INTERVAL)"
    )
    assert _start(code).stdout.split() == ["365", "50", "1095", "3600"]
