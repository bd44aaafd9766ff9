"""Statements of the hot paths sent to PostgreSQL several at a time, and prepared once per connection.

Django sends each statement on its own, and PostgreSQL parses and plans it every time: a transaction is BEGIN, its
statements and COMMIT, each a round trip. For the few statements that every write or every request runs
(zones.store's zone_apply transaction, accounts.counters' throttle counts), `batch` sends a list of statements as one
query string: the whole list is one round trip, and an error in one skips the rest. Each query or change of rows
(SELECT, INSERT, UPDATE, DELETE, WITH) is sent as EXECUTE of a statement prepared on the connection, which the server
parsed and planned once; its PREPARE goes in the same string the first time the connection runs it. Anything else
(BEGIN, COMMIT, ROLLBACK) is sent as it is. Parameters are bound on the client by Django's cursor, as everywhere else,
so errors, the query log and the tests' query counts see one query per round trip.

(A psycopg pipeline with statements bound and prepared on the server takes as few round trips, but its Python side
cost about twice the CPU per round trip of one query string: 300 against 130 microseconds, measured on this machine.)

Prepared statements live in the server session: behind a pooler in transaction mode that does not keep one session per
client, DATABASE_PREPARED_STATEMENTS=0 sends the statements' text instead. A connection holds at most
PREPARED_PER_CONNECTION of them; past that, new texts are sent as they are.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

import psycopg
from django.conf import settings
from django.db import connection

Statement = tuple[str, Sequence[Any]]
Rows = list[tuple[Any, ...]]
T = TypeVar("T")
U = TypeVar("U")

PREPARED_PER_CONNECTION = 500
# What PREPARE takes; anything else (BEGIN, COMMIT, SET, ...) is sent as it is.
_PREPARABLE = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b", re.IGNORECASE)
_PREFIX = "ctrlpanel_"
_PLACEHOLDER = re.compile("%%|%s")

# The names prepared on each connection (psycopg's connection object: a new one is a new session, with none). None
# after a failed batch that was preparing some (those before the error were prepared): read from the server again.
_prepared: weakref.WeakKeyDictionary[Any, set[str] | None] = weakref.WeakKeyDictionary()


def batch(statements: Sequence[Statement]) -> list[Rows]:
    """Run the statements in one round trip on the default connection (PostgreSQL only); the rows each returned (none
    for a statement that returns no rows)."""
    connection.ensure_connection()
    raw = connection.connection
    known = _known(raw)
    texts: list[str] = []
    params: list[Any] = []
    preparing: list[str] = []
    for sql, values in statements:
        text = sql
        if known is not None and _PREPARABLE.match(sql):
            name, body = _named(sql)
            if name in known or len(known) + len(preparing) < PREPARED_PER_CONNECTION:
                if name not in known and name not in preparing:
                    texts.append(f"PREPARE {name} AS {body}")
                    preparing.append(name)
                text = f"EXECUTE {name}({', '.join(['%s'] * len(values))})" if values else f"EXECUTE {name}"
        texts.append(text)
        params += values
    results: list[Rows] = []
    with connection.cursor() as cursor:
        try:
            cursor.execute("; ".join(texts), params)
        except BaseException:
            if preparing:
                _prepared[raw] = None
            raise
        if known is not None:
            known.update(preparing)
        for text in texts:
            if not text.startswith("PREPARE "):
                results.append(list(cursor.fetchall()) if cursor.description is not None else [])
            cursor.nextset()
    return results


@dataclass(frozen=True)
class Read(Generic[T]):
    """A read that may travel in the round trip of others (zone_apply sends a throttle's with the zone's lock), and
    what its rows mean. `statement` None: nothing to read from the database (`result` is given no rows)."""

    statement: Statement | None
    result: Callable[[Rows], T]

    def then(self, meaning: Callable[[T], U]) -> Read[U]:
        """The same read, its result passed through `meaning`."""
        result = self.result
        return Read(self.statement, lambda rows: meaning(result(rows)))

    def run(self) -> T:
        """The read on its own: one round trip, or none without a statement."""
        if self.statement is None:
            return self.result([])
        if connection.vendor == "postgresql":
            return self.result(batch([self.statement])[0])
        with connection.cursor() as cursor:
            cursor.execute(*self.statement)
            return self.result(list(cursor.fetchall()))


def together(reads: Sequence[Read[Any]]) -> list[Any]:
    """The results of several reads, their statements in one round trip on PostgreSQL (one by one on SQLite)."""
    sent = [read.statement for read in reads if read.statement is not None]
    if connection.vendor == "postgresql" and len(sent) > 1:
        rows = iter(batch(sent))
        return [read.result(next(rows) if read.statement is not None else []) for read in reads]
    return [read.run() for read in reads]


def _known(raw: Any) -> set[str] | None:
    """The statements prepared on this connection; None when prepared statements are off."""
    if not settings.DATABASE_PREPARED_STATEMENTS:
        return None
    if raw not in _prepared:
        _prepared[raw] = set()
    known = _prepared[raw]
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements WHERE starts_with(name, %s)", [_PREFIX])
            known = {name for (name,) in cursor.fetchall()}
        _prepared[raw] = known
    return known


@lru_cache(maxsize=4096)
def _named(sql: str) -> tuple[str, str]:
    """A statement's name (from its text) and its text with numbered parameters ($1, $2, ...) for PREPARE."""
    numbers = itertools.count(1)
    body = _PLACEHOLDER.sub(lambda found: found[0] if found[0] == "%%" else f"${next(numbers)}", sql)
    return _PREFIX + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest(), body


def in_transaction() -> bool:
    """True if the default connection's session is inside a transaction block (or a failed one)."""
    raw = connection.connection
    if raw is None or raw.closed:
        return False
    return bool(raw.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE)


def rollback() -> None:
    """End the transaction a batch began, if one is open. A connection that was lost, or whose ROLLBACK fails (it is in
    no known state: interrupted halfway), is closed, never used again: the next query opens a new one."""
    raw = connection.connection
    if raw is not None and raw.broken:
        connection.close()
        return
    if not in_transaction():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
    except BaseException:
        connection.close()
        raise
