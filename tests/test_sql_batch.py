"""accounts.sql.batch: several statements in one round trip on PostgreSQL, each prepared once per connection."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import sql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _known_names() -> None:
    sql.batch([("SELECT 1", [])])  # the connection's prepared names are known, so only the tested batch is counted


def prepared_on_server() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE starts_with(name, 'ctrlpanel_')")
        return {name for (name,) in cursor.fetchall()}


def test_statements_go_in_one_round_trip_each_with_its_own_rows() -> None:
    with CaptureQueriesContext(connection) as captured:
        rows = sql.batch(
            [
                ("SELECT %s::int + 1", [41]),
                ("SELECT generate_series(1, %s)", [3]),
                ("SET LOCAL statement_timeout = 5000", []),
                ("SELECT %s::text || %s::text", ["a", "b"]),
            ]
        )
    assert rows == [[(42,)], [(1,), (2,), (3,)], [], [("ab",)]]
    assert len(captured.captured_queries) == 1


def test_a_statement_is_prepared_at_its_first_run_on_a_connection_and_executed_by_name_after() -> None:
    statement = ("SELECT %s::int * 2 AS doubled_for_the_prepare_test", [21])
    name, body = sql._named(statement[0])
    assert body == "SELECT $1::int * 2 AS doubled_for_the_prepare_test"
    with CaptureQueriesContext(connection) as first:
        assert sql.batch([statement]) == [[(42,)]]
    assert name in prepared_on_server()
    with CaptureQueriesContext(connection) as second:
        assert sql.batch([("SELECT %s::int * 2 AS doubled_for_the_prepare_test", [5])]) == [[(10,)]]
    assert f"PREPARE {name} AS SELECT $1::int * 2" in first.captured_queries[0]["sql"]
    assert second.captured_queries[0]["sql"] == f"EXECUTE {name}(5)"


def test_only_queries_and_changes_of_rows_are_prepared() -> None:
    with CaptureQueriesContext(connection) as captured:
        rows = sql.batch(
            [
                ("SAVEPOINT batch_test", []),
                ("  with t(x) as (values (%s::int)) select x from t", [7]),
                ("ROLLBACK TO SAVEPOINT batch_test", []),
            ]
        )
    assert rows == [[], [(7,)], []]
    text = captured.captured_queries[0]["sql"]
    assert text.startswith("SAVEPOINT batch_test; PREPARE ctrlpanel_")
    assert text.endswith("; ROLLBACK TO SAVEPOINT batch_test")
    assert text.count("PREPARE ") == 1


def test_a_percent_sign_in_a_statement_stays_one() -> None:
    assert sql.batch([("SELECT '100%%' || %s::text", ["!"])]) == [[("100%!",)]]
    assert sql.batch([("SELECT '100%%' || %s::text", ["?"])]) == [[("100%?",)]]  # executed by name this time


def test_with_prepared_statements_off_the_text_is_sent_as_it_is(settings) -> None:
    settings.DATABASE_PREPARED_STATEMENTS = False
    before = prepared_on_server()
    with CaptureQueriesContext(connection) as captured:
        assert sql.batch([("SELECT %s::int - 1 AS not_prepared", [8])]) == [[(7,)]]
    assert captured.captured_queries[0]["sql"] == "SELECT 8::int - 1 AS not_prepared"
    assert prepared_on_server() == before


def test_a_failed_batch_forgets_what_it_prepared_and_the_next_reads_it_from_the_server() -> None:
    statement = "SELECT %s::int AS kept_after_the_failure"
    name, _ = sql._named(statement)
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
        sql.batch([(statement, [1]), ("SELECT 1 / %s::int", [0])])
    # The PREPARE ran before the error: PostgreSQL keeps it (prepared statements are not transactional).
    assert name in prepared_on_server()
    assert sql._prepared[connection.connection] is None
    with CaptureQueriesContext(connection) as captured:
        assert sql.batch([(statement, [2])]) == [[(2,)]]  # not prepared twice ("already exists")
    assert "pg_prepared_statements" in captured.captured_queries[0]["sql"]
    assert captured.captured_queries[1]["sql"] == f"EXECUTE {name}(2)"


def test_past_the_limit_a_new_text_is_sent_unprepared(monkeypatch: pytest.MonkeyPatch) -> None:
    sql.batch([("SELECT 1 AS one_prepared_first", [])])
    known = sql._prepared[connection.connection]
    assert known is not None
    monkeypatch.setattr(sql, "PREPARED_PER_CONNECTION", len(known))
    with CaptureQueriesContext(connection) as captured:
        assert sql.batch([("SELECT %s::int AS over_the_limit", [3])]) == [[(3,)]]
        assert sql.batch([("SELECT 1 AS one_prepared_first", [])]) == [[(1,)]]
    assert captured.captured_queries[0]["sql"] == "SELECT 3::int AS over_the_limit"
    assert captured.captured_queries[1]["sql"].startswith("EXECUTE ctrlpanel_")  # what it has, it still uses


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again() -> None:
    statement = ("SELECT %s::int AS on_a_new_connection", [1])
    sql.batch([statement])
    connection.close()
    with CaptureQueriesContext(connection) as captured:
        assert sql.batch([statement]) == [[(1,)]]
    assert len(captured.captured_queries) == 1  # a new session: nothing to read back from the server
    assert "PREPARE" in captured.captured_queries[0]["sql"]


def test_reads_together_share_one_round_trip_and_a_read_without_a_statement_is_just_asked() -> None:
    reads: list[sql.Read[object]] = [
        sql.Read(("SELECT %s::int", [1]), lambda rows: rows[0][0]),
        sql.Read(None, lambda rows: ("asked", rows)),
        sql.Read(("SELECT %s::text", ["two"]), lambda rows: rows[0][0]),
    ]
    with CaptureQueriesContext(connection) as captured:
        assert sql.together(reads) == [1, ("asked", []), "two"]
    assert len(captured.captured_queries) == 1
    assert sql.together([sql.Read(None, lambda rows: 3)]) == [3]
