"""The journal module: entries built by zone_apply read back through the one parser; serial arithmetic wraps."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.zones.conftest import Apply
from zones import journal
from zones.journal import SERIAL_MODULUS, JournalError, serial_add, serial_at_least, serial_greater, serial_next
from zones.models import Change, Zone
from zones.services import Add, Delete, Replace


def refresh(zone: Zone) -> Zone:
    return Zone.objects.get(pk=zone.pk)


def test_an_applied_change_reads_back_through_the_parser_as_it_was_built(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.9", ttl=300))
    result = apply(Replace("www", "A", ("192.0.2.2", "192.0.2.1")), Add("mail", "MX", "10 mx.example.net."))
    assert result.change is not None
    stored = Change.objects.get(pk=result.change.pk)
    assert journal.entries_parse(stored.before) == [journal.rrset_entry(("www", "A"), ttl=300, records=["192.0.2.9"])]
    assert journal.entries_parse(stored.after) == [
        journal.rrset_entry(("mail", "MX"), ttl=zone.default_ttl, records=["10 mx.example.net."]),
        journal.rrset_entry(("www", "A"), ttl=300, records=["192.0.2.1", "192.0.2.2"]),  # sorted when built
    ]


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"name": "www", "type": "A", "ttl": 300, "records": []},  # one entry, not a list of them
        [{"name": "www", "type": "A", "ttl": 300}],
        [{"name": "www", "type": "A", "ttl": "300", "records": []}],
        [{"name": "www", "type": "A", "ttl": True, "records": []}],
        [{"name": "www", "type": "A", "ttl": 300, "records": "192.0.2.1"}],
        [{"name": "www", "type": "A", "ttl": 300, "records": [1]}],
        [{"name": 1, "type": "A", "ttl": 300, "records": []}],
        ["www A 300 192.0.2.1"],
    ],
)
def test_the_parser_refuses_anything_but_a_list_of_rrset_entries(value: object) -> None:
    with pytest.raises(JournalError):
        journal.entries_parse(value)


def test_rrsets_changed_gives_every_touched_rrset_as_it_is_at_the_last_version(zone: Zone, apply: Apply) -> None:
    start = refresh(zone).version
    apply(Add("www", "A", "192.0.2.1"), Add("old", "TXT", '"bye"'))
    apply(Add("www", "A", "192.0.2.2", ttl=60))
    apply(Delete("old", "TXT", '"bye"'))
    now = refresh(zone)
    delta = journal.rrsets_changed(zone=now, since=start, until=now.version)
    assert delta is not None
    rrsets, serial = delta
    assert rrsets == {
        ("www", "A"): journal.rrset_entry(("www", "A"), ttl=60, records=["192.0.2.1", "192.0.2.2"]),
        ("old", "TXT"): None,
    }
    assert serial == now.serial


def test_rrsets_changed_is_none_when_the_journal_has_a_gap_or_nothing_to_say(zone: Zone, apply: Apply) -> None:
    start = refresh(zone).version
    apply(Add("a", "A", "192.0.2.1"))
    apply(Add("b", "A", "192.0.2.2"))
    now = refresh(zone)
    assert journal.rrsets_changed(zone=now, since=now.version, until=now.version) is None
    Change.objects.filter(zone=zone, version=start + 1).delete()
    assert journal.rrsets_changed(zone=now, since=start, until=now.version) is None
    assert journal.rrsets_changed(zone=now, since=start + 1, until=now.version) is not None


def test_rrsets_at_gives_every_rrset_changed_since_as_it_was_then(zone: Zone, apply: Apply) -> None:
    apply(Add("www", "A", "192.0.2.1", ttl=300))
    then = refresh(zone).version
    apply(Add("www", "A", "192.0.2.2"), Add("new", "TXT", '"hi"'))
    apply(Delete("www", "A", "192.0.2.1"))
    assert journal.rrsets_at(zone=zone, version=then) == {
        ("www", "A"): journal.rrset_entry(("www", "A"), ttl=300, records=["192.0.2.1"]),
        ("new", "TXT"): None,
    }


def test_the_serial_wraps_past_the_top_to_one_and_counts_as_later() -> None:
    top = SERIAL_MODULUS - 1
    assert serial_next(top, datetime.date(2026, 11, 27)) == 1  # never 0
    assert serial_greater(1, top)
    assert not serial_greater(top, 1)
    assert serial_add(top, 1) == 0
    assert serial_add(top - 1, 3) == 1


def test_serials_half_the_circle_apart_are_neither_greater() -> None:
    # RFC 1982 §3.2 leaves the comparison undefined there; a push must not take either for the later one.
    assert not serial_greater(2**31, 0)
    assert not serial_greater(0, 2**31)
    assert not serial_greater(5, 5)


def test_a_serial_is_at_least_itself_and_at_least_the_serials_before_it_across_the_wrap() -> None:
    assert serial_at_least(5, 5)
    assert serial_at_least(1, SERIAL_MODULUS - 1)
    assert not serial_at_least(SERIAL_MODULUS - 1, 1)


@given(serial=st.integers(0, SERIAL_MODULUS - 1), step=st.integers(1, 2**31 - 1))
def test_adding_less_than_half_the_circle_always_gives_a_later_serial(serial: int, step: int) -> None:
    later = serial_add(serial, step)
    assert serial_greater(later, serial)
    assert not serial_greater(serial, later)
