"""Reads for the REST API and Dynamic DNS: zones a key may see, records by host and type.

Whether the nameservers are current (`?verify`) is zones/push/selectors.py's to answer.
"""

from __future__ import annotations

from accounts.memory import Remembered
from accounts.models import ApiKey
from accounts.selectors import apikey_allows_record, apikey_allows_zone
from zones import records
from zones.api import codec
from zones.api.codec import ApiRecord
from zones.api.selection import Selection
from zones.models import Zone
from zones.records import RecordError
from zones.selectors import RRsets, RRsetView, records_at, rrsets_from_rows, rrsets_matching


def zones_for_key(key: ApiKey) -> list[str]:
    names = Zone.objects.filter(account_id=key.account_id).order_by("name").values_list("name", flat=True)
    return [name for name in names if apikey_allows_zone(key, zone_name=name, account_id=key.account_id)]


def zone_for_key(key: ApiKey, name: str, *, remembered: bool = False) -> Zone | None:
    """The zone `name` if the key may see it; None alike for a missing zone and another account's (no oracle).

    `remembered`: a zone of the key's account found before in this process may come from memory, as an unread Zone
    with only its id, name and account: for a write that checks them again under the zone's lock (zones/api/services.py,
    `owner`), and forgets the zone (`zone_forget`) when they no longer hold."""
    try:
        normalized = records.zone_name_normalize(name)
    except RecordError:
        return None
    if not apikey_allows_zone(key, zone_name=normalized, account_id=key.account_id):
        return None
    if remembered and (found := _ZONES.get(normalized)) is not None and found[1] == key.account_id:
        return Zone(pk=found[0], name=normalized, account_id=key.account_id)
    zone = Zone.objects.filter(name=normalized, account_id=key.account_id).first()
    if zone is not None:
        _ZONES.put(normalized, (zone.pk, zone.account_id))
    return zone


def zone_forget(name: str) -> None:
    _ZONES.forget(name)


# Zones read by this process: name -> id, account, until when. Nothing here is trusted without the check under the lock.
_ZONES: Remembered[str, tuple[int, int]] = Remembered(ttl=300.0)


def rrsets_visible(*, zone: Zone, key: ApiKey, host: str | None, rdtype: str | None) -> RRsets:
    """rrsets_matching, less what the key's scope hides."""
    found = rrsets_matching(zone=zone, host=host, rdtype=rdtype)
    return {k: v for k, v in found.items() if apikey_allows_record(key, host=k[0], rdtype=k[1])}


def rrsets_selected(*, zone: Zone, key: ApiKey, selection: Selection) -> RRsets:
    """The RRsets the key can see that the selection's hosts and types name, whole (a data filter picks records from
    them: the caller's part), in one query."""
    if not selection.clauses:
        return {}
    hosts = {clause.host for clause in selection.clauses}
    types = {clause.rdtype for clause in selection.clauses}
    named = {host for host in hosts if host is not None}
    rows = records_at(zone, None if None in hosts else named)
    if None not in types:
        rows = rows.filter(rrset__type__in=types)
    return {
        (host, rdtype): view
        for (host, rdtype), view in rrsets_from_rows(rows).items()
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
