"""The reads of one dyndns2 request, in one statement: the zones its host names fall in, the Dynamic DNS password
row of the host that signs in (if one does), and the A and AAAA records at those hosts (a `nochg` is answered from
them, with no lock and no write).

A verified host password is remembered in this process, keyed by an HMAC of the user name and password (never the
password), with the row it matched. Every request reads that row anyway (in the one statement), and a remembered
password counts only while the row is the same one with the same hash: a password replaced or removed is refused at
the next request in every worker, as an API key is (accounts/selectors.py).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from accounts import sql
from accounts.memory import Remembered, credential_digest
from accounts.secrets import secret_hash, secret_matches
from zones.models import DynDNSHost, Record, RRset, Zone

# Hashed for unknown hosts, so that timing does not reveal which hosts have a password.
_DUMMY = secret_hash("dummy", b"\0" * 16)


@dataclass(frozen=True)
class ZoneRef:
    """A zone as the request's read found it: enough for zone_apply, which checks it again under the zone's lock."""

    id: int
    name: str
    account_id: int


@dataclass(frozen=True)
class HostPassword:
    """A DynDNSHost row: the one host (relative to its zone) its password may update."""

    id: int
    zone_id: int
    host: str
    password_hash: str


@dataclass
class Lookup:
    zones: dict[str, tuple[ZoneRef, str]] = field(default_factory=dict)  # fqdn -> its zone and its relative name
    password: HostPassword | None = None  # the row of the user name that signs in, if it has one
    addresses: dict[tuple[int, str], dict[str, list[str]]] = field(default_factory=dict)  # (zone, host) -> type -> data

    def current(self, zone: ZoneRef, host: str) -> dict[str, list[str]]:
        """The host's A and AAAA records as read (no key: none of that type)."""
        return self.addresses.get((zone.id, host), {})


def _candidates(fqdn: str) -> list[tuple[str, str]]:
    """Every (zone name, relative name) the domain name could be: each suffix of two labels or more, longest first."""
    labels = fqdn.lower().rstrip(".").split(".")
    return [(".".join(labels[i:]), ".".join(labels[:i]) or "@") for i in range(len(labels) - 1)]


def _marks(values: Iterable[object]) -> str:
    return ", ".join("%s" for _ in values)


def dyndns_lookup(*, fqdns: Iterable[str], user: str | None) -> Lookup:
    """Where each of `fqdns` lives (the longest zone name it ends in, as zones.selectors.zone_for_fqdn says), the
    password row of `user` (a host's fully qualified name; None: the request signs in with an API key), and the A and
    AAAA records of those hosts: one statement, one round trip."""
    return dyndns_lookup_read(fqdns=fqdns, user=user).run()


def dyndns_lookup_read(*, fqdns: Iterable[str], user: str | None) -> sql.Read[Lookup]:
    """dyndns_lookup as a read that can share a round trip (accounts.sql.together)."""
    names = list(dict.fromkeys(fqdns))
    pairs = {pair for fqdn in [*names, *([user] if user else [])] for pair in _candidates(fqdn)}
    user_pairs = _candidates(user) if user else []
    zone_names = sorted({zone for zone, _ in pairs})
    if not zone_names:
        return sql.Read(None, lambda _: Lookup())  # nothing to look for (and PostgreSQL refuses an empty IN list)
    hosts = sorted({host for _, host in pairs})
    user_zones, user_hosts = sorted({z for z, _ in user_pairs}) or [""], sorted({h for _, h in user_pairs}) or [""]
    zone_t, host_t, rrset_t, record_t = (m._meta.db_table for m in (Zone, DynDNSHost, RRset, Record))
    statement = (
        f"SELECT 'z', z.id, z.name, z.account_id, NULL, NULL FROM {zone_t} z WHERE z.name IN ({_marks(zone_names)})"  # noqa: S608 (table names and marks only)
        f" UNION ALL SELECT 'h', h.zone_id, h.host, h.id, h.password_hash, z.name FROM {host_t} h"
        f" JOIN {zone_t} z ON z.id = h.zone_id"
        f" WHERE z.name IN ({_marks(user_zones)}) AND h.host IN ({_marks(user_hosts)})"
        f" UNION ALL SELECT 'r', s.zone_id, s.name, NULL, s.type, r.content FROM {rrset_t} s"
        f" JOIN {zone_t} z ON z.id = s.zone_id JOIN {record_t} r ON r.rrset_id = s.id"
        f" WHERE z.name IN ({_marks(zone_names)}) AND s.name IN ({_marks(hosts)}) AND s.type IN ('A', 'AAAA')"
    )
    parameters = [*zone_names, *user_zones, *user_hosts, *zone_names, *hosts]
    return sql.Read((statement, parameters), lambda rows: _assembled(rows, names, user_pairs))


def _assembled(rows: list[tuple[Any, ...]], names: list[str], user_pairs: list[tuple[str, str]]) -> Lookup:
    zones = {row[2]: ZoneRef(int(row[1]), row[2], int(row[3])) for row in rows if row[0] == "z"}
    found = Lookup()
    for fqdn in names:
        match = next(((zones[z], host) for z, host in _candidates(fqdn) if z in zones), None)
        if match is not None:
            found.zones[fqdn] = match
    # The user's zone is the longest it ends in, as for any host: its password row must be of that zone.
    user_zone = next(((zones[z], host) for z, host in user_pairs if z in zones), None)
    for kind, zone_id, name, number, text, extra in rows:
        if kind == "h" and user_zone is not None and (extra, name) == (user_zone[0].name, user_zone[1]):
            found.password = HostPassword(int(number), int(zone_id), name, text)
        elif kind == "r":
            found.addresses.setdefault((int(zone_id), name), {}).setdefault(text, []).append(extra)
    return found


# --- host passwords remembered -------------------------------------------------------------------------------------

# HMAC(SECRET_KEY, user name and password) -> the row's id and hash it matched, and when to forget it.
_REMEMBERED: Remembered[bytes, tuple[int, str]] = Remembered(ttl=300.0)


def dyndns_password_verify(*, user: str, password: str, row: HostPassword | None) -> HostPassword | None:
    """`row` if `password` is its Dynamic DNS password, else None; `row` is the user's password row as this request
    read it (None: the host has none). Constant time whether or not the host has one.

    A password verified before is recalled, not hashed again, while `row` is the row it matched, unchanged."""
    digest = credential_digest("dyndns-host", user, password)
    if row is not None and _recalled(digest, row):
        return row
    if row is None:
        secret_matches(_DUMMY, password)
        return None
    if not secret_matches(row.password_hash, password):
        return None
    _REMEMBERED.put(digest, (row.id, row.password_hash))
    return row


def _recalled(digest: bytes, row: HostPassword) -> bool:
    found = _REMEMBERED.get(digest)
    if found is None:
        return False
    row_id, stored = found
    if row_id == row.id and hmac.compare_digest(stored, row.password_hash):
        return True
    _REMEMBERED.forget(digest)  # replaced or removed: verified afresh
    return False
