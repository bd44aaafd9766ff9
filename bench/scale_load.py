"""The provider-size data set of bench/scale.py (issue 15), loaded with set-based SQL into a migrated database.

Shape at --scale 1: 10,000 accounts; 100,000 zones (the account `bigcorp` holds 5,000 of them, the rest spread over
the other accounts); the zone `bigzone.com` with 50,000 records in 40,000 RRsets; the other zones ~30 records in ~20
RRsets each (apex NS, A, AAAA, MX, TXT; www CNAME; mail, mx1, mx2, _dmarc; 4-14 hosts, many with 2-3 records); about
3.07 M records in 2.04 M RRsets; about 1 M journal rows (zones/journal.py form: the NS set at version 1, then one RRset
per change set) over the last two years, every zone's versions 1..Zone.version with date serials; two enabled
nameservers with a ZoneSync row per zone, the second 1-3 versions behind on every 50th zone (2,000), a quarter of
those failing; 200,000 /48 allocations in four /32 pools (first-fit from the bottom, the free table their buddy
decomposition, the counts on the pool rows), 100 of them and 3 IPv4 /29s held by the account `spacecorp`.

Every column list is checked against the migrated schema: a NOT NULL column this file does not know fails the load
naming it, rather than being guessed (zones_record.zone_id, when the schema has it, is filled from the RRset's zone).
The loaded tables' secondary indexes, unique and exclusion constraints and foreign keys are read from pg_index and
pg_constraint, dropped, and recreated from those definitions after the load (primary keys stay), in one transaction.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ipam.prefixes import Block, decompose, prefix_parse

# The tables the load fills in bulk; their secondary structures are rebuilt afterwards.
BULK_TABLES = (
    "panel_account",
    "zones_zone",
    "zones_rrset",
    "zones_record",
    "zones_nameserver",
    "zones_change",
    "zones_zonesync",
    "ipam_pool",
    "ipam_freeblock",
    "ipam_allocation",
)
BIG_ACCOUNT = "bigcorp"
SPACE_ACCOUNT = "spacecorp"
BIG_ZONE = "bigzone.com"  # zone id 1
# The zone with a long journal, and the legacy API password bench/scale.py sets: a zone of bigcorp's.
HISTORY_ZONE_ID = 2
# Every 50th zone is behind on the second nameserver; every 200th of all zones (a quarter of those) is failing there.
BEHIND_EVERY = 50
FAILING_EVERY = 200
IPV6_POOLS = ("3fff::/32", "3fff:1::/32", "3fff:2::/32", "3fff:3::/32")  # RFC 9637 documentation space
IPV4_POOL = "198.18.0.0/22"  # RFC 2544 benchmarking space
SPACE_ALLOCATIONS = 100
SPACE_IPV4_ALLOCATIONS = 3
TEMPLATE_RRSETS = 11  # the fixed RRsets of every zone, before its hosts (see _RRSET_TEMPLATE)


@dataclass(frozen=True)
class Shape:
    """How many of everything at a scale (1.0: issue 15's provider)."""

    scale: float
    accounts: int
    zones: int
    big_account_zones: int
    big_zone_rrsets: int
    big_zone_versions: int
    history_zone_versions: int
    allocations_per_pool: int

    @classmethod
    def at(cls, scale: float) -> Shape:
        def n(full: int, least: int) -> int:
            return max(least, round(full * scale))

        return cls(
            scale=scale,
            accounts=n(10_000, 20),
            zones=n(100_000, 400),
            big_account_zones=n(5_000, 20),
            big_zone_rrsets=n(40_000, 400),
            big_zone_versions=n(2_000, 40),
            history_zone_versions=n(1_000, 40),
            allocations_per_pool=n(50_000, 2 * SPACE_ALLOCATIONS),
        )


@dataclass(frozen=True)
class Structure:
    """A secondary index or constraint of a loaded table, as PostgreSQL reports its definition."""

    table: str
    name: str
    kind: str  # 'i' index, 'u' unique, 'x' exclusion, 'f' foreign key
    definition: str

    def drop(self) -> str:
        if self.kind == "i":
            return f'DROP INDEX "{self.name}"'
        return f'ALTER TABLE "{self.table}" DROP CONSTRAINT "{self.name}"'

    def create(self) -> str:
        if self.kind == "i":
            return self.definition
        return f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.name}" {self.definition}'


class SchemaMismatch(RuntimeError):
    """The migrated schema has a column the loader cannot fill, or lacks one it fills."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the load -------------------------------------------------------------------------------------------------------


SESSION = ("maintenance_work_mem = '512MB'", "work_mem = '256MB'", "synchronous_commit = off")
# An exclusion constraint's GiST build costs about ten times a btree's per row (btree_gist keys, no sorted build).
GIST_WEIGHT = 10


def load(url: str, shape: Shape, *, nameservers: list[str], soa: tuple[str, str]) -> float:
    """Fill the migrated, empty database at `url`; return the seconds it took (VACUUM ANALYZE included)."""
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _session(cur)
        structures = _structures(cur, BULK_TABLES)
        _timed("drop secondary indexes and constraints", lambda: _drop(cur, structures))
        loader = _Loader(cur, shape, now, nameservers, soa)
        loader.run()
    # Committed: the rebuild runs on more than one connection, and they see committed rows only.
    _timed("recreate secondary indexes and constraints", lambda: _restore(url, structures, loader.rows))
    _timed("VACUUM ANALYZE", lambda: vacuum_analyze(url))
    return time.perf_counter() - started


def _session(cur: psycopg.Cursor[tuple[object, ...]]) -> None:
    for setting in SESSION:
        cur.execute(f"SET {setting}")


def _timed(label: str, step: Callable[[], object]) -> None:
    started = time.perf_counter()
    step()
    progress(f"  {label}: {time.perf_counter() - started:.1f} s")


def vacuum_analyze(url: str) -> None:
    """Statistics and the visibility map of the load, as autovacuum would leave them (it may be slow to come)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for table in BULK_TABLES:
            conn.execute(f'VACUUM (ANALYZE) "{table}"')


def _structures(cur: psycopg.Cursor[tuple[object, ...]], tables: tuple[str, ...]) -> list[Structure]:
    """The tables' secondary indexes and their unique, exclusion and foreign-key constraints (not primary keys, not
    CHECKs: those cost nothing to keep), foreign keys last so that dropping goes first and creating goes last."""
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'x', 'f')",
        [list(tables)],
    )
    constraints = [Structure(str(t), str(n), str(k), str(d)) for t, n, k, d in cur.fetchall()]
    cur.execute(
        "SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))",
        [list(tables)],
    )
    indexes = [Structure(str(t), str(n), "i", str(d)) for t, n, d in cur.fetchall()]
    keys = [s for s in constraints if s.kind != "f"]
    foreign = [s for s in constraints if s.kind == "f"]
    return [*indexes, *keys, *foreign]


def _drop(cur: psycopg.Cursor[tuple[object, ...]], structures: list[Structure]) -> None:
    for structure in reversed(structures):
        cur.execute(structure.drop())


def _restore(url: str, structures: list[Structure], rows: dict[str, int]) -> None:
    """The tables' own indexes and keys on two connections at once, each table on one of them (two builds on one
    table would queue for its lock), shared so that both take about as long; then the foreign keys, each of which
    locks two tables."""
    lanes = _lanes([s for s in structures if s.kind != "f"], rows)
    with ThreadPoolExecutor(len(lanes)) as pool:
        list(pool.map(lambda lane: _create(url, lane), lanes))
    _create(url, [s for s in structures if s.kind == "f"])


def _lanes(structures: list[Structure], rows: dict[str, int], count: int = 2) -> list[list[Structure]]:
    """Whole tables to each lane, the heaviest first to the lightest lane (weight: rows times structures)."""
    weights: dict[str, int] = {}
    for structure in structures:
        cost = GIST_WEIGHT if structure.kind == "x" else 1
        weights[structure.table] = weights.get(structure.table, 0) + cost * rows.get(structure.table, 1)
    lanes: list[tuple[int, list[str]]] = [(0, []) for _ in range(count)]
    for table in sorted(weights, key=lambda t: -weights[t]):
        load, tables = min(lanes, key=lambda lane: lane[0])
        lanes.remove((load, tables))
        lanes.append((load + weights[table], [*tables, table]))
    return [[s for s in structures if s.table in tables] for _, tables in lanes if tables]


def _create(url: str, structures: list[Structure]) -> None:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _session(cur)
        for structure in structures:
            started = time.perf_counter()
            cur.execute(structure.create())
            progress(f"    {structure.name}: {time.perf_counter() - started:.1f} s")


# --- column lists from the schema -----------------------------------------------------------------------------------


def _insert(
    cur: psycopg.Cursor[tuple[object, ...]],
    table: str,
    values: dict[str, str],
    source: str,
    *,
    optional: frozenset[str] = frozenset(),
) -> int:
    """INSERT INTO table (columns) SELECT expressions FROM (source): `values` maps each column to its expression over
    the source's columns. Columns in `optional` are filled only when the schema has them; any other column of the
    schema must be in `values`, nullable, or have a database default."""
    columns = _columns(cur, table)
    unknown = [name for name in columns if name not in values]
    required = [name for name in unknown if not columns[name][0] and not columns[name][1]]
    if required:
        raise SchemaMismatch(
            f"{table} has NOT NULL column(s) {', '.join(required)} that bench/scale_load.py does not fill; "
            "teach it what they hold"
        )
    for name in (name for name in unknown if not columns[name][1]):
        progress(f"  {table}.{name}: not known to bench/scale_load.py, left NULL")
    missing = [name for name in values if name not in columns and name not in optional]
    if missing:
        raise SchemaMismatch(f"{table} has no column(s) {', '.join(missing)}; bench/scale_load.py fills them")
    chosen = [name for name in values if name in columns]
    names = ", ".join(f'"{name}"' for name in chosen)
    expressions = ", ".join(values[name] for name in chosen)
    started = time.perf_counter()
    cur.execute(f'INSERT INTO "{table}" ({names}) SELECT {expressions} FROM ({source}) AS src')
    count = cur.rowcount
    progress(f"  {table}: {count:,} rows in {time.perf_counter() - started:.1f} s")
    return count


def _columns(cur: psycopg.Cursor[tuple[object, ...]], table: str) -> dict[str, tuple[bool, bool]]:
    """{column: (nullable, has a default, identity or is generated)} of the migrated table."""
    cur.execute(
        "SELECT column_name, is_nullable = 'YES', "
        "column_default IS NOT NULL OR is_identity = 'YES' OR is_generated = 'ALWAYS' "
        "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
        [table],
    )
    return {str(name): (bool(nullable), bool(default)) for name, nullable, default in cur.fetchall()}


def _same(*names: str) -> dict[str, str]:
    return {name: name for name in names}


# --- what goes in ---------------------------------------------------------------------------------------------------

# (name, type, ttl) of the RRsets every zone has before its hosts; the records come from _record_content.
_RRSET_TEMPLATE = (
    ("@", "NS", 3600),
    ("@", "A", 3600),
    ("@", "AAAA", 3600),
    ("@", "MX", 3600),
    ("@", "TXT", 3600),
    ("www", "CNAME", 3600),
    ("mail", "A", 3600),
    ("mail", "AAAA", 3600),
    ("mx1", "A", 3600),
    ("mx2", "A", 3600),
    ("_dmarc", "TXT", 3600),
)
assert len(_RRSET_TEMPLATE) == TEMPLATE_RRSETS
_WORDS = "ARRAY['shop', 'blog', 'studio', 'cloud', 'home', 'media', 'tech', 'garden', 'travel', 'bakery']"
_TLDS = "ARRAY['com', 'net', 'org', 'de', 'nl', 'eu', 'io', 'co.uk', 'fr', 'ch']"
_INTERFACES = "ARRAY['panel', 'api', 'legacy', 'dyndns', 'cli']"


def _hashed(column: str, factor: int) -> str:
    """0-9 from the zone number by a multiplicative hash: a name's word and TLD must not follow the zone number,
    or the zones behind (every 50th) would all share one word and sit together in name order, which makes a scan in
    name order for the first 100 behind read 60% of the zones instead of 5%."""
    return f"(({column}::bigint * {factor}) >> 16) % 10"


class _Loader:
    """The INSERT ... SELECT statements of one load, in dependency order, over a temporary table of zone facts."""

    def __init__(
        self,
        cur: psycopg.Cursor[tuple[object, ...]],
        shape: Shape,
        now: datetime.datetime,
        nameservers: list[str],
        soa: tuple[str, str],
    ) -> None:
        self.cur, self.shape, self.nameservers, self.soa = cur, shape, nameservers, soa
        self.rows: dict[str, int] = {}
        self.now = f"'{now.isoformat()}'::timestamptz"

    def literal(self, value: object) -> str:
        return sql.Literal(value).as_string(self.cur.connection)

    def insert(self, table: str, values: dict[str, str], source: str, **options: frozenset[str]) -> None:
        self.rows[table] = self.rows.get(table, 0) + _insert(self.cur, table, values, source, **options)

    def run(self) -> None:
        self.zone_facts()
        self.accounts()
        self.zones()
        self.rrsets()
        self.records()
        self.nameserver_rows()
        self.changes()
        self.syncs()
        self.zone_totals()
        self.address_space()
        self.sequences()

    def zone_facts(self) -> None:
        """bench_zone: per zone its account, name, host count, versions, lag on the second server, creation time and
        the id of its first RRset (the RRsets of a zone are numbered consecutively)."""
        s = self.shape
        self.cur.execute(f"""
            CREATE TEMP TABLE bench_zone ON COMMIT DROP AS
            SELECT f.*, sum({TEMPLATE_RRSETS} + f.hosts) OVER (ORDER BY f.zone_id) - ({TEMPLATE_RRSETS} + f.hosts) + 1
                       AS rrset_first
            FROM (
              SELECT z AS zone_id,
                     CASE WHEN z <= {s.big_account_zones} THEN 1
                          ELSE 2 + (z - {s.big_account_zones} - 1) % ({s.accounts} - 1) END AS account_id,
                     CASE WHEN z = 1 THEN '{BIG_ZONE}'
                          ELSE ({_WORDS})[1 + {_hashed("z", 2654435761)}] || '-' || z || '.'
                               || ({_TLDS})[1 + {_hashed("z", 2246822519)}] END AS name,
                     CASE WHEN z = 1 THEN {s.big_zone_rrsets - TEMPLATE_RRSETS} ELSE 4 + (z * 7) % 11 END AS hosts,
                     CASE WHEN z = 1 THEN {s.big_zone_versions}
                          WHEN z = {HISTORY_ZONE_ID} THEN {s.history_zone_versions}
                          WHEN z % {BEHIND_EVERY} = 0 THEN 4 + (z * 13) % 16
                          ELSE 1 + (z * 13) % 19 END AS versions,
                     CASE WHEN z % {BEHIND_EVERY} = 0 THEN 1 + (z / {BEHIND_EVERY}) % 3 ELSE 0 END AS lag,
                     z % {FAILING_EVERY} = 0 AS failing,
                     {self.now} - interval '730 days' + (z % 640) * interval '1 day' + (z % 86400) * interval '1 s'
                       AS created
              FROM generate_series(1, {s.zones}) AS z
            ) AS f""")
        self.cur.execute("CREATE INDEX ON bench_zone (zone_id)")
        self.cur.execute("ANALYZE bench_zone")

    def accounts(self) -> None:
        values = {
            "id": "a",
            "name": f"CASE a WHEN 1 THEN '{BIG_ACCOUNT}' WHEN 2 THEN '{SPACE_ACCOUNT}' "
            "ELSE 'customer-' || lpad(a::text, 5, '0') END",
            "display_name": "CASE a WHEN 1 THEN 'Big Hosting Ltd' WHEN 2 THEN 'Space Networks' "
            "ELSE 'Customer ' || a END",
            "created": f"{self.now} - interval '740 days' + a * interval '1 minute'",
        }
        self.insert("panel_account", values, f"SELECT a FROM generate_series(1, {self.shape.accounts}) AS a")

    def zones(self) -> None:
        mname, rname = (self.literal(v) for v in self.soa)
        values = {
            **_same("name", "version", "created"),
            "id": "zone_id",
            "account_id": "account_id",
            "serial": "1",  # zone_totals sets the serial of the last change
            "default_ttl": "3600",
            "soa_mname": mname,
            "soa_rname": rname,
            "soa_refresh": "10800",
            "soa_retry": "3600",
            "soa_expire": "1209600",
            "soa_minimum": "300",
            "soa_ttl": "3600",
            "record_count": "0",  # zone_totals counts them
            "api_password": "''",
            "updated": "created",
        }
        self.insert("zones_zone", values, "SELECT *, versions AS version FROM bench_zone")

    def rrsets(self) -> None:
        template = ", ".join(
            f"({k}, {self.literal(name)}, {self.literal(rdtype)}, {ttl})"
            for k, (name, rdtype, ttl) in enumerate(_RRSET_TEMPLATE)
        )
        source = f"""
            SELECT p.rrset_first + t.k AS id, p.zone_id, t.name, t.type, t.ttl
            FROM bench_zone p CROSS JOIN (VALUES {template}) AS t(k, name, type, ttl)
            UNION ALL
            SELECT p.rrset_first + {TEMPLATE_RRSETS} + h, p.zone_id, 'host' || (h + 1),
                   CASE WHEN h % 3 = 2 THEN 'AAAA' ELSE 'A' END, 300
            FROM bench_zone p CROSS JOIN LATERAL generate_series(0, p.hosts - 1) AS h"""
        self.insert("zones_rrset", _same("id", "zone_id", "name", "type", "ttl"), source)

    def records(self) -> None:
        ns = len(self.nameservers)
        # Hosts: 1, 1, 2, 2 or 3 records (1.8 on average); in the big zone one in four has 2 (1.25).
        count = f"""CASE WHEN s.type = 'NS' THEN {ns}
                 WHEN s.name = '@' AND s.type IN ('MX', 'TXT') THEN 2
                 WHEN s.name NOT LIKE 'host%' THEN 1
                 WHEN p.zone_id = 1 THEN 1 + ((s.id - p.rrset_first) % 4 = 0)::int
                 ELSE 1 + ((p.zone_id + s.id - p.rrset_first) % 5) / 2 END"""
        source = f"""
            SELECT s.id AS rrset_id, s.zone_id, {_record_content(self.literal(self.nameservers))} AS content
            FROM zones_rrset s JOIN bench_zone p ON p.zone_id = s.zone_id
            CROSS JOIN LATERAL generate_series(0, {count} - 1) AS j
            ORDER BY s.id, j"""
        values = _same("rrset_id", "content", "zone_id")
        self.insert("zones_record", values, source, optional=frozenset({"zone_id"}))

    def nameserver_rows(self) -> None:
        secret = base64.b64encode(hashlib.sha256(b"bench/scale.py").digest()).decode()
        values = {
            **_same("id", "name", "port"),
            "address": "'127.0.0.1'::inet",
            "kind": "'rfc2136'",
            "tsig_name": "'ctrlpanel-bench.'",
            "tsig_algorithm": "'hmac-sha256'",
            "tsig_secret": self.literal(secret),
            "control": "''",
            "zone_directory": "''",
            "enabled": "true",
            "created": f"{self.now} - interval '800 days'",
        }
        source = "SELECT n AS id, 'hidden-primary-' || n AS name, 5300 + n AS port FROM generate_series(1, 2) AS n"
        self.insert("zones_nameserver", values, source)

    def changes(self) -> None:
        # Change sets spread from the zone's creation to two days ago; a behind zone's last `lag` ones are minutes old
        # (the second server has not confirmed them yet). Serials: YYYYMMDDnn of the day, as serial_next makes them.
        created = f"""CASE WHEN p.lag > 0 AND v > p.versions - p.lag
                           THEN {self.now} - (p.versions - v + 1) * interval '7 minutes'
                           ELSE p.created + ({self.now} - interval '2 days' - p.created) * (v - 1) / p.versions END"""
        inner = f"""
            SELECT p.zone_id, p.name AS zone_name, p.account_id, v AS version, {created} AS created,
                   CASE WHEN v = 1 THEN 'panel' ELSE ({_INTERFACES})[1 + (p.zone_id + v) % 5] END AS interface,
                   p.hosts, (p.zone_id + v) % 10 AS kind
            FROM bench_zone p CROSS JOIN LATERAL generate_series(1, p.versions) AS v"""
        source = f"""
            SELECT c.*, to_char(c.created AT TIME ZONE 'UTC', 'YYYYMMDD')::bigint * 100
                      + row_number() OVER (PARTITION BY c.zone_id, (c.created AT TIME ZONE 'UTC')::date
                                           ORDER BY c.version) - 1 AS serial
            FROM ({inner}) AS c"""
        values = {
            **_same("zone_id", "zone_name", "version", "serial", "interface", "created"),
            "before": _journal_side(before=True, nameservers=self.literal(self.nameservers)),
            "after": _journal_side(before=False, nameservers=self.literal(self.nameservers)),
            "actor": """CASE interface WHEN 'panel' THEN 'user-' || account_id
                            WHEN 'api' THEN 'API key ' || substr(md5(account_id::text), 1, 16)
                            WHEN 'legacy' THEN 'legacy API password'
                            WHEN 'dyndns' THEN 'Dynamic DNS host home'
                            ELSE 'staff command line' END""",
            "user_id": "NULL",
            "client_address": "CASE WHEN interface = 'cli' THEN NULL "
            "ELSE ('198.51.100.' || (1 + (zone_id + version) % 254))::inet END",
        }
        self.insert("zones_change", values, source)

    def syncs(self) -> None:
        # The second server lags `lag` versions on the behind zones; a failing one has tried and failed since.
        source = f"""
            SELECT p.zone_id, n.id AS nameserver_id, w.version, c.serial, c.created AS confirmed,
                   w.version < p.versions AS behind, p.failing AND w.version < p.versions AS failing,
                   1 + p.zone_id % 8 AS tries, {self.now} - (p.zone_id % 30) * interval '1 minute' AS tried
            FROM bench_zone p CROSS JOIN zones_nameserver n
            CROSS JOIN LATERAL (SELECT CASE WHEN n.id = 2 THEN p.versions - p.lag ELSE p.versions END AS version) w
            LEFT JOIN zones_change c ON c.zone_id = p.zone_id AND c.version = w.version"""
        values = {
            **_same("zone_id", "nameserver_id", "version", "serial"),
            "last_error": "CASE WHEN failing THEN 'no answer from 127.0.0.1#5302 within 10 s' ELSE '' END",
            "attempts": "CASE WHEN failing THEN tries ELSE 0 END",
            "last_attempt": "CASE WHEN behind THEN tried ELSE confirmed + interval '2 s' END",
            "last_success": "confirmed + interval '2 s'",
            "next_attempt": "CASE WHEN failing THEN tried + least(power(2, tries) * 30, 3600) * interval '1 s' END",
            "verified_version": "0",  # never verified in full: the verifier's first pass transfers every copy
            "verified_serial": "NULL",
            "verified_at": "NULL",
        }
        self.insert("zones_zonesync", values, source)

    def zone_totals(self) -> None:
        """Each zone's serial and update time from its last change, and its record count from its records."""
        started = time.perf_counter()
        self.cur.execute("""
            UPDATE zones_zone z SET serial = c.serial, updated = c.created, record_count = n.records
            FROM zones_change c,
                 (SELECT s.zone_id, count(*) AS records FROM zones_record r JOIN zones_rrset s ON s.id = r.rrset_id
                  GROUP BY s.zone_id) AS n
            WHERE c.zone_id = z.id AND c.version = z.version AND n.zone_id = z.id""")
        assert self.cur.rowcount == self.shape.zones, f"{self.cur.rowcount} zones updated of {self.shape.zones}"
        progress(f"  zones_zone serials and record counts: {time.perf_counter() - started:.1f} s")

    def address_space(self) -> None:
        started = time.perf_counter()
        rows: list[tuple[object, ...]] = []
        for pool_id, prefix in enumerate([*IPV6_POOLS, IPV4_POOL], start=1):
            taken = list(self._allocation_rows(pool_id, prefix))
            self._pool(pool_id, prefix, taken)
            rows.extend(taken)
        _copy(self.cur, "ipam_allocation", ALLOCATION_COLUMNS, rows)
        self.rows["ipam_allocation"] = len(rows)
        progress(f"  ipam pools, free blocks and allocations: {time.perf_counter() - started:.1f} s")

    def _pool(self, pool_id: int, prefix: str, taken: list[tuple[object, ...]]) -> None:
        """The pool row with its counts, and its free table: what lies above its allocations, as aligned blocks."""
        block = prefix_parse(prefix)
        length = 48 if block.family == 6 else 29
        free = list(decompose(block.family, block.start + len(taken) * (1 << (block.bits - length)), block.last))
        counts: dict[str, dict[str, int]] = {}
        for state, size in [*((str(row[5]), length) for row in taken), *(("free", piece.length) for piece in free)]:
            per_length = counts.setdefault(state, {})
            per_length[str(size)] = per_length.get(str(size), 0) + 1
        lengths = [48, 56] if block.family == 6 else [24, 27, 28, 29]
        values = {
            "id": str(pool_id),
            "prefix": self.literal(str(block)),
            "family": str(block.family),
            "start": self.literal(block.key),
            "length": str(block.length),
            "default_length": str(length),
            "allowed_lengths": self.literal(json.dumps(lengths)) + "::jsonb",
            "site": self.literal(f"site{pool_id}"),
            "description": self.literal("bench/scale.py"),
            "quarantine": "interval '30 days'",
            "counts": self.literal(json.dumps(counts, sort_keys=True)) + "::jsonb",
            "created": f"{self.now} - interval '800 days'",
            "updated": self.now,
        }
        self.insert("ipam_pool", values, "SELECT 1")
        blocks = ", ".join(f"({self.literal(piece.key)}, {piece.length})" for piece in free)
        source = f"SELECT * FROM (VALUES {blocks}) AS f(start, length)"
        self.insert("ipam_freeblock", {**_same("start", "length"), "pool_id": str(pool_id)}, source)

    def _allocation_rows(self, pool_id: int, prefix: str) -> Iterator[tuple[object, ...]]:
        """First-fit from the bottom: allocation i of the pool is its i-th block. Every (all pools) `step`-th
        allocation is spacecorp's; of the others one in 97 is a provider reservation, one in 211 quarantined."""
        pool = prefix_parse(prefix)
        if pool.family == 4:
            for i in range(SPACE_IPV4_ALLOCATIONS):
                block = Block(4, pool.start + i * 8, 29)
                yield (pool_id, str(block), block.key, 29, 2, "active", f"office {i + 1}", "staff", None)
            return
        per_pool = self.shape.allocations_per_pool
        step = per_pool * len(IPV6_POOLS) // SPACE_ALLOCATIONS
        for i in range(per_pool):
            block = Block(6, pool.start + (i << 80), 48)
            n = (pool_id - 1) * per_pool + i
            account, status, quarantined = _holder(n, step, self.shape.accounts)
            yield (pool_id, str(block), block.key, 48, account, status, f"customer network {n}", "staff", quarantined)

    def sequences(self) -> None:
        """Identity sequences past the ids written, so that the services' inserts that follow find free ones."""
        for table in BULK_TABLES:
            self.cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM \"{table}\"))"
            )


def _holder(n: int, step: int, accounts: int) -> tuple[int | None, str, str | None]:
    if n % step == 0:
        return 2, "active", None
    if n % 97 == 1:
        return None, "reserved", None
    account = 3 + n % (accounts - 2)
    if n % 211 == 2:
        return account, "quarantined", "2099-01-01T00:00:00+00:00"
    return account, "active", None


ALLOCATION_COLUMNS = (
    "pool_id",
    "prefix",
    "start",
    "length",
    "account_id",
    "status",
    "description",
    "allocated_by",
    "quarantined_until",
)


def _copy(
    cur: psycopg.Cursor[tuple[object, ...]], table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """COPY rows in, after checking the columns against the schema as _insert does (created: now)."""
    schema = _columns(cur, table)
    required = [c for c, (nullable, default) in schema.items() if not nullable and not default]
    left = [c for c in required if c not in columns and c != "created"]
    if left:
        raise SchemaMismatch(f"{table} has NOT NULL column(s) {', '.join(left)} that bench/scale_load.py does not fill")
    names = sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, "created"))
    count = 0
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)) as copy:
        for row in rows:
            copy.write_row((*row, "now"))
            count += 1
    progress(f"  {table}: {count:,} rows (COPY)")


# --- SQL expressions ------------------------------------------------------------------------------------------------


def _record_content(nameservers: str) -> str:
    """Record j of RRset s (zone facts p) in the canonical presentation form zones.records writes."""
    return f"""CASE
        WHEN s.type = 'NS' THEN ({nameservers}::text[])[j + 1]
        WHEN s.type = 'MX' THEN (10 * (j + 1)) || ' mx' || (j + 1) || '.' || p.name || '.'
        WHEN s.type = 'TXT' AND s.name = '@' AND j = 0 THEN '"v=spf1 mx -all"'
        WHEN s.type = 'TXT' AND s.name = '@' THEN '"google-site-verification=' || md5(p.name) || '"'
        WHEN s.type = 'TXT' THEN '"v=DMARC1; p=none; rua=mailto:dmarc@' || p.name || '"'
        WHEN s.type = 'CNAME' THEN p.name || '.'
        WHEN s.type = 'A' THEN (11 + (s.id >> 24) % 200) || '.' || ((s.id >> 16) % 256) || '.'
                               || ((s.id >> 8) % 256) || '.' || ((s.id + j * 85) % 256)
        ELSE '2001:db8:' || to_hex(1 + s.id % 65535) || ':' || to_hex(1 + (s.id >> 16) % 65535) || '::'
             || to_hex(j + 1)
        END"""


def _journal_side(*, before: bool, nameservers: str) -> str:
    """The `before` or `after` list of a change set in the journal's form (zones/journal.py): version 1 sets the apex
    NS set; later ones replace a host's address (7 in 10), add an ACME challenge TXT (2 in 10) or delete it."""

    def entry(name: str, rdtype: str, ttl: str, records: str) -> str:
        return (
            f"jsonb_build_array(jsonb_build_object('name', {name}, 'type', '{rdtype}', 'ttl', {ttl}, "
            f"'records', {records}))"
        )

    host = "'host' || (1 + version % hosts)"
    address = "(100 + zone_id % 100) || '.' || ((zone_id >> 8) % 256) || '.' || (zone_id % 256) || '.' || "
    old = entry(host, "A", "300", f"jsonb_build_array({address}(1 + (version - 1) % 254))")
    new = entry(host, "A", "300", f"jsonb_build_array({address}(1 + version % 254))")
    token = entry("'_acme-challenge'", "TXT", "60", "jsonb_build_array('\"' || md5(zone_name || version) || '\"')")
    ns = entry("'@'", "NS", "3600", f"to_jsonb({nameservers}::text[])")
    none = "'[]'::jsonb"
    if before:
        return f"CASE WHEN version = 1 THEN {none} WHEN kind < 7 THEN {old} WHEN kind < 9 THEN {none} ELSE {token} END"
    return f"CASE WHEN version = 1 THEN {ns} WHEN kind < 7 THEN {new} WHEN kind < 9 THEN {token} ELSE {none} END"
