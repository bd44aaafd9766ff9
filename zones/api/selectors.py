"""Reads for the REST API and Dynamic DNS: zones a key may see, records by host and type.

Whether the nameservers are current (`?verify`) is zones/push/selectors.py's to answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from accounts.models import ApiKey
from accounts.selectors import apikey_allows_record, apikey_allows_zone
from zones import records
from zones.api import codec
from zones.api.codec import ApiRecord
from zones.api.selection import Selection
from zones.models import Record, Zone
from zones.records import RecordError


@dataclass
class RRsetView:
    ttl: int
    contents: list[str] = field(default_factory=list)


RRsets = dict[tuple[str, str], RRsetView]


def zones_for_key(key: ApiKey) -> list[str]:
    names = Zone.objects.filter(account_id=key.account_id).order_by("name").values_list("name", flat=True)
    return [name for name in names if apikey_allows_zone(key, zone_name=name, account_id=key.account_id)]


def zone_for_key(key: ApiKey, name: str) -> Zone | None:
    """The zone `name` if the key may see it; None alike for a missing zone and another account's (no oracle)."""
    try:
        normalized = records.zone_name_normalize(name)
    except RecordError:
        return None
    zone = Zone.objects.filter(name=normalized, account_id=key.account_id).first()
    if zone is None or not apikey_allows_zone(key, zone_name=zone.name, account_id=zone.account_id):
        return None
    return zone


def zone_for_fqdn(fqdn: str) -> tuple[Zone, str] | None:
    """The zone holding the domain name `fqdn` (the longest matching zone name) and the name relative to it."""
    labels = fqdn.lower().rstrip(".").split(".")
    suffixes = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    candidates = sorted(Zone.objects.filter(name__in=suffixes), key=lambda z: len(z.name), reverse=True)
    zone = candidates[0] if candidates else None
    if zone is None:
        return None
    relative = ".".join(labels[: len(labels) - len(zone.name.split("."))]) or "@"
    return zone, relative


def rrsets_matching(*, zone: Zone, host: str | None = None, rdtype: str | None = None) -> RRsets:
    """The zone's RRsets at `host` of `rdtype` (None: any), in one query, keyed by (host, type)."""
    rows = Record.objects.filter(rrset__zone=zone)
    if host is not None:
        rows = rows.filter(rrset__name=host)
    if rdtype is not None:
        rows = rows.filter(rrset__type=rdtype)
    return _rrsets(rows)


def _rrsets(rows: QuerySet[Record]) -> RRsets:
    result: RRsets = defaultdict(lambda: RRsetView(ttl=0))
    for name, rtype, ttl, content in rows.values_list("rrset__name", "rrset__type", "rrset__ttl", "content"):
        view = result[(name, rtype)]
        view.ttl = ttl
        view.contents.append(content)
    return dict(result)


def rrsets_visible(*, zone: Zone, key: ApiKey, host: str | None, rdtype: str | None) -> RRsets:
    """rrsets_matching, less what the key's scope hides."""
    found = rrsets_matching(zone=zone, host=host, rdtype=rdtype)
    return {k: v for k, v in found.items() if apikey_allows_record(key, host=k[0], rdtype=k[1])}


def rrsets_selected(*, zone: Zone, key: ApiKey, selection: Selection) -> RRsets:
    """The RRsets the key can see that the selection's hosts and types name, whole (a data filter picks records from
    them: the caller's part), in one query."""
    if not selection.clauses:
        return {}
    rows = Record.objects.filter(rrset__zone=zone)
    hosts = {clause.host for clause in selection.clauses}
    types = {clause.rdtype for clause in selection.clauses}
    if None not in hosts:
        rows = rows.filter(rrset__name__in=hosts)
    if None not in types:
        rows = rows.filter(rrset__type__in=types)
    return {
        (host, rdtype): view
        for (host, rdtype), view in _rrsets(rows).items()
        if selection.covers_rrset(host, rdtype) and apikey_allows_record(key, host=host, rdtype=rdtype)
    }


def records_selected(*, zone: Zone, key: ApiKey, selection: Selection, provider: bool) -> list[ApiRecord]:
    """The v2 records of a GET, apex first. The SOA only when every select names type SOA (/records/@/SOA): no
    listing holds it otherwise, as in the v2 tutorial's. The apex NS set (the provider's nameservers, as a v2
    template's) unless `provider` is false (?exclude-generated, ?exclude-template)."""
    origin = records.zone_origin(zone.name)
    found = rrsets_selected(zone=zone, key=key, selection=selection)
    soa_visible = selection.covers_rrset("@", "SOA") and apikey_allows_record(key, host="@", rdtype="SOA")
    if selection.names("SOA") and soa_visible:
        found[records.APEX_SOA] = RRsetView(ttl=zone.soa_ttl, contents=[zone.soa_content])
    if not provider:
        # The provider's RRsets are what v2 calls "generated".
        found = {k: v for k, v in found.items() if k not in records.PROVIDER_RRSETS}
    return [
        codec.content_to_api(host, view.ttl, rdtype, content)
        for (host, rdtype), view in sorted(found.items(), key=lambda kv: (kv[0][0] != "@", kv[0]))
        for content in sorted(view.contents)
        if selection.covers(host, rdtype, codec.data_of(rdtype, content), origin)
    ]
