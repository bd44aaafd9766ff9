"""Query counts of the hot paths, pinned: a change here is a deliberate decision, not an accident.

Each zone_apply count includes the SAVEPOINT and RELEASE of its atomic block (the test runs inside a transaction; in
production, on PostgreSQL, BEGIN and COMMIT go with the statements: tests/zones/test_own_transaction.py). On
PostgreSQL the rest is two round trips: the zone's row locked and read with the touched RRsets (two statements in one
query), then the statements that write the difference, the zone row and the journal (zones/store.py). SQLite, which
runs in the process, gets the statements one by one: the lock read, the touched RRsets, one per kind of write, the
zone row, the Change row.
"""

from __future__ import annotations

from django.db import connection

from tests.zones.conftest import Apply
from zones import selectors, store
from zones.models import Zone
from zones.services import Add, Replace


def queries(*, postgresql: int, sqlite: int) -> int:
    return postgresql if connection.vendor == "postgresql" else sqlite


def test_a_replace_of_an_existing_rrset(zone: Zone, apply: Apply, django_assert_num_queries):
    apply(Replace("www", "A", ("192.0.2.1",)))
    # SQLite: savepoint, lock, read, delete the old record, insert the new one, zone row, Change row, release
    with django_assert_num_queries(queries(postgresql=4, sqlite=8)):
        assert apply(Replace("www", "A", ("192.0.2.2",))).ok


def test_a_replace_that_also_changes_the_ttl(zone: Zone, apply: Apply, django_assert_num_queries):
    apply(Replace("www", "A", ("192.0.2.1",)))
    with django_assert_num_queries(queries(postgresql=4, sqlite=9)):
        assert apply(Replace("www", "A", ("192.0.2.2",), ttl=60)).ok


def test_an_add_that_creates_an_rrset(zone: Zone, apply: Apply, django_assert_num_queries):
    # SQLite: savepoint, lock, read, insert the RRset, insert the record, zone row, Change row, release
    with django_assert_num_queries(queries(postgresql=4, sqlite=8)):
        assert apply(Add("www", "A", "192.0.2.1")).ok


def test_removing_an_rrset(zone: Zone, apply: Apply, django_assert_num_queries):
    apply(Replace("www", "A", ("192.0.2.1", "192.0.2.2")))
    # SQLite: savepoint, lock, read, delete the records, delete the RRset, zone row, Change row, release
    with django_assert_num_queries(queries(postgresql=4, sqlite=8)):
        assert apply(Replace("www", "A", ())).ok


def test_an_rrset_replaced_by_another_at_its_name_deletes_in_a_statement_of_its_own(
    zone: Zone, apply: Apply, django_assert_num_queries
):
    # PostgreSQL runs the parts of one statement in no set order: the A RRset must be gone before the CNAME comes,
    # or the exclusion constraint would see both.
    apply(Replace("www", "A", ("192.0.2.1",)))
    with django_assert_num_queries(queries(postgresql=4, sqlite=10)) as captured:
        assert apply(Replace("www", "A", ()), Add("www", "CNAME", "elsewhere.example.net.")).ok
    if connection.vendor == "postgresql":  # two statements, sent in one round trip
        assert captured.captured_queries[2]["sql"].count("EXECUTE ") == 2


def test_a_refused_change_set(zone: Zone, apply: Apply, django_assert_num_queries):
    with django_assert_num_queries(queries(postgresql=3, sqlite=4)):  # savepoint, lock and read, release
        assert not apply(Add("www", "A", "192.0.2.1"), Add("www", "CNAME", "x.example.net.")).ok


def test_a_batch_of_a_hundred_changes_costs_no_more_queries_than_one(
    zone: Zone, apply: Apply, django_assert_max_num_queries
):
    with django_assert_max_num_queries(queries(postgresql=4, sqlite=8)):
        assert apply(*(Add(f"h{i}", "A", f"10.0.0.{i}", ttl=60 + i) for i in range(100))).ok
    # every RRset changes records and TTL: still one query per kind of write
    with django_assert_max_num_queries(queries(postgresql=4, sqlite=10)):
        assert apply(*(Replace(f"h{i}", "A", (f"10.0.1.{i}",), ttl=600 + i) for i in range(100))).ok
    with django_assert_max_num_queries(queries(postgresql=4, sqlite=9)):
        assert apply(*(Replace(f"h{i}", "A", ()) for i in range(100))).ok


def test_a_large_import_sized_change_set_reads_and_writes_in_bulk(
    zone: Zone, apply: Apply, django_assert_max_num_queries
):
    # PostgreSQL takes every name and row in arrays; SQLite has no arrays and a bound-parameter limit: 2000 names are
    # read 899 at a time (3 reads), 2000 RRsets of 4 columns inserted 225 at a time (9), their records of 3 columns
    # (zone, RRset, data) 300 at a time (7), 2000 records and RRsets deleted 900 at a time (3 each). Batching, not a
    # query per change.
    assert store.SQLITE_PARAMETERS == 900
    with django_assert_max_num_queries(queries(postgresql=4, sqlite=8 + (3 - 1) + (9 - 1) + (7 - 1))):
        assert apply(*(Add(f"h{i}", "A", "10.0.0.1") for i in range(2000))).ok
    with django_assert_max_num_queries(queries(postgresql=4, sqlite=8 + (3 - 1) + 2 * (3 - 1))):
        assert apply(*(Replace(f"h{i}", "A", ()) for i in range(2000))).ok
    assert zone.record_count == 2


def test_listing_a_zone_takes_one_query(zone: Zone, apply: Apply, django_assert_num_queries) -> None:
    apply(*(Add(f"h{i}", "A", f"10.0.0.{i}") for i in range(50)), Add("@", "MX", "10 mx.example.net."))
    with django_assert_num_queries(1):
        rows = selectors.zone_records(zone=zone)
    assert len(rows) == 53
    assert [(r.name, r.type) for r in rows[:3]] == [("@", "MX"), ("@", "NS"), ("@", "NS")]
