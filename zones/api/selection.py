"""Which records a v2 request addresses: the URL's host and type, the filters host, type and data, and select=.

As the DNS API v2 defines it, `/zones/{zone}/records[/{host}[/{type}]]` selects by host and type and the query narrows
that further (`?data=`, `?host=`, `?type=`); `select=` names several such selections in one request (its value is its
own URL-encoded `host=...&type=...`), and the request addresses their union. A GET lists the selection, a DELETE
removes it, a PUT replaces it and nothing else, a POST adds records that must lie inside it. docs/dns-api-v2.md says
where the public description is silent and what we chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dns.name

from zones import records
from zones.api import codec
from zones.records import RecordError


class RequestError(Exception):
    """The request is invalid (an unknown parameter, a malformed filter, invalid records); `errors` lists every
    problem (400)."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Filter:
    """One conjunction of filters as the request spells it (None: not given)."""

    host: str | None = None
    type: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class Clause:
    """One conjunction of a selection: records at `host` of type `rdtype` whose v2 `data` is `data` (None: any)."""

    host: str | None = None
    rdtype: str | None = None
    data: str | None = None

    def covers_rrset(self, host: str, rdtype: str) -> bool:
        return (self.host is None or self.host == host) and (self.rdtype is None or self.rdtype == rdtype)

    def covers(self, host: str, rdtype: str, data: str, origin: dns.name.Name) -> bool:
        if not self.covers_rrset(host, rdtype):
            return False
        return self.data is None or codec.data_equal(rdtype, data, self.data, origin)

    def narrowed(self, other: Clause) -> Clause | None:
        """The records both clauses select, or None when they contradict each other (no record is in both)."""
        pairs = [(self.host, other.host), (self.rdtype, other.rdtype), (self.data, other.data)]
        if any(mine is not None and theirs is not None and mine != theirs for mine, theirs in pairs):
            return None
        host, rdtype, data = (mine if mine is not None else theirs for mine, theirs in pairs)
        return Clause(host=host, rdtype=rdtype, data=data)


@dataclass(frozen=True)
class Selection:
    """The union of its clauses; the whole zone by default, no record at all without a clause."""

    clauses: tuple[Clause, ...] = (Clause(),)

    @property
    def whole_zone(self) -> bool:
        return self.clauses == (Clause(),)

    @property
    def host(self) -> str | None:
        """The host every clause names (records in the body that name none take it), else None."""
        hosts = {clause.host for clause in self.clauses}
        return hosts.pop() if len(hosts) == 1 else None

    @property
    def rdtype(self) -> str | None:
        types = {clause.rdtype for clause in self.clauses}
        return types.pop() if len(types) == 1 else None

    def names(self, rdtype: str) -> bool:
        """True when every clause names this type (how the SOA is asked for: it is in no listing otherwise)."""
        return bool(self.clauses) and all(clause.rdtype == rdtype for clause in self.clauses)

    def covers_rrset(self, host: str, rdtype: str) -> bool:
        return any(clause.covers_rrset(host, rdtype) for clause in self.clauses)

    def covers(self, host: str, rdtype: str, data: str, origin: dns.name.Name) -> bool:
        return any(clause.covers(host, rdtype, data, origin) for clause in self.clauses)


def selection_parse(
    zone_name: str, host: str | None, rdtype: str | None, top: Filter = Filter(), selects: Sequence[Filter] = ()
) -> Selection:
    """The selection of a request: the URL's host and type narrowed by the query's filters, and with select= the union
    of each select narrowed by both. Hosts and types are canonicalised; RequestError if one is malformed."""
    origin = records.zone_origin(zone_name)
    base = Clause(host=_host(host, origin), rdtype=_rdtype(rdtype)).narrowed(_clause(top, origin))
    if base is None:
        return Selection(clauses=())
    if not selects:
        return Selection(clauses=(base,))
    narrowed = [base.narrowed(_clause(select, origin)) for select in selects]
    return Selection(clauses=tuple(dict.fromkeys(clause for clause in narrowed if clause is not None)))


def _clause(spelled: Filter, origin: dns.name.Name) -> Clause:
    return Clause(host=_host(spelled.host, origin), rdtype=_rdtype(spelled.type), data=spelled.data)


def _host(text: str | None, origin: dns.name.Name) -> str | None:
    """A host as the v2 API spells it: relative to the zone, '@' for the apex; an empty host is the apex too (what
    dns-lexicon sends for a name equal to the zone)."""
    if text is None:
        return None
    try:
        return records.owner_parse(text or "@", apex=origin, origin=origin)
    except RecordError as exc:
        raise RequestError([f"host {text!r}: {exc}"]) from None


def _rdtype(text: str | None) -> str | None:
    if text is None:
        return None
    rdtype = text.strip().upper()
    if rdtype == "SOA":
        return rdtype  # readable, never writable: zone_apply refuses it
    try:
        return records.type_parse(rdtype)
    except RecordError as exc:
        raise RequestError([str(exc)]) from None
