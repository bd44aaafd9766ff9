"""The provider's catalog zone (RFC 9432, version 2): one member record per hosted zone, from which the provider's
public secondaries (BIND `catalog-zones`, Knot `catalog-role: interpret`) learn every zone without per-zone
configuration.

The catalog is an ordinary zone of the provider's account (settings CATALOG_ZONE, CATALOG_ACCOUNT): it is journaled,
pushed by RFC 2136 UPDATE, verified and repaired like every other zone. Its content is derived from the zone table, so
a lost step never loses a member: the push adds a zone's member once a server has the zone (a consumer that learns
of a zone before the primary serves it only retries later), the deprovisioning of a deleted zone removes it, and the
sweeper's `catalog_sync` puts right whatever is missing or stale.

It writes through zones.services like any client of the zones, so it sits above the push pipeline, not in it: the
pipeline reaches it only through the hooks ZonesConfig.ready registers (zones.push.services.catalog_hooks_register).

    <catalog>.             NS   invalid.
    version.<catalog>.     TXT  "2"
    <id>.zones.<catalog>.  PTR  <member zone>.

The member's unique id (RFC 9432 §4.1) is a digest of the zone's row id and name: a zone deleted and created again
under the same name gets a new id, which tells every consumer to drop the old zone's data and transfer it afresh.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db.models import Q

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import account_create
from zones import services as zone_services
from zones.models import Zone
from zones.push.services import CatalogHooks
from zones.selectors import records_of

log = logging.getLogger(__name__)

MEMBERS = "zones"
VERSION = ("version", "TXT", '"2"')
# RFC 9432 §4.1: the apex NS of a catalog names no real server.
APEX_NS = ("@", "NS", "invalid.")


class CatalogError(Exception):
    """The catalog zone refused a change (a limit: ZONE_MAX_RECORDS); it is incomplete until the sweeper succeeds."""


def catalog_name() -> str:
    """The catalog zone's name (no trailing dot), or "" when the provider runs without one."""
    return str(settings.CATALOG_ZONE).strip().rstrip(".").lower()


def member_owner(zone_id: int, zone_name: str) -> str:
    """The owner of a zone's member record, relative to the catalog apex."""
    digest = hashlib.sha256(f"{zone_id}:{zone_name}".encode()).hexdigest()[:16]
    return f"{digest}.{MEMBERS}"


def _actor(reason: str) -> Actor:
    # Staff: the catalog's apex NS belongs to the provider like every apex NS set.
    return Actor.cli(f"catalog zone: {reason}")


def catalog_zone() -> Zone | None:
    """The catalog zone, created (with its account) when missing; None when no catalog is configured."""
    name = catalog_name()
    if not name:
        return None
    zone = Zone.objects.filter(name=name).first()
    if zone is not None:
        return zone
    account = Account.objects.filter(name=settings.CATALOG_ACCOUNT).first()
    if account is None:
        account = account_create(name=settings.CATALOG_ACCOUNT, actor=_actor("its account"))
    try:
        zone = zone_services.zone_create(name=name, account=account, actor=_actor("created"), allow_reserved=True)
    except zone_services.ZoneError:
        # Another worker created it meanwhile (or the name is invalid: then say so).
        zone = Zone.objects.filter(name=name).first()
        if zone is None:
            raise
        return zone
    _apply(zone, [_fixed(APEX_NS), _fixed(VERSION)], "created")
    return zone


def catalog_member_add(*, zone_id: int) -> None:
    """Make the zone a member of the catalog (and drop a member of an earlier zone of the same name)."""
    catalog = catalog_zone()
    zone = Zone.objects.filter(pk=zone_id).only("pk", "name").first()
    if catalog is None or zone is None or zone.pk == catalog.pk:
        return
    owner = member_owner(zone.pk, zone.name)
    members = _members(catalog, Q(rrset__name=owner) | Q(content=_target(zone.name)))
    if members == {owner: _target(zone.name)}:
        return
    changes = [_member(name, None) for name in members if name != owner]
    changes.append(_member(owner, _target(zone.name)))
    _apply(catalog, changes, f"{zone.name} added")


def catalog_member_remove(*, zone_name: str) -> None:
    """Remove the members naming `zone_name`, unless a zone of that name exists (again): then only stale ones."""
    catalog = catalog_zone()
    if catalog is None or zone_name == catalog.name:
        return
    members = _members(catalog, Q(content=_target(zone_name)))
    current = Zone.objects.filter(name=zone_name).values_list("pk", flat=True).first()
    keep = member_owner(current, zone_name) if current is not None else None
    changes = [_member(name, None) for name in members if name != keep]
    if changes:
        _apply(catalog, changes, f"{zone_name} removed")


def catalog_sync() -> int:
    """Make the catalog's members exactly the hosted zones; returns how many member records changed (the sweeper)."""
    catalog = catalog_zone()
    if catalog is None:
        return 0
    wanted = {
        member_owner(pk, name): _target(name)
        for pk, name in Zone.objects.exclude(pk=catalog.pk).values_list("pk", "name").iterator()
    }
    members = _members(catalog, Q())
    changes = [_member(name, None) for name in sorted(members.keys() - wanted.keys())]
    changes += [_member(name, target) for name, target in sorted(wanted.items()) if members.get(name) != target]
    _apply(catalog, [_fixed(APEX_NS), _fixed(VERSION), *changes], "sweeper")
    if changes:
        log.warning("catalog %s: %d member records put right by the sweeper", catalog.name, len(changes))
    return len(changes)


def catalog_hooks() -> CatalogHooks:
    """What the push pipeline calls (registered by ZonesConfig.ready: the pipeline cannot import this module)."""
    return CatalogHooks(member_add=_member_add_delivered, member_remove=_member_remove, sync=_sync_swept)


def _member_add_delivered(zone_id: int) -> None:
    # A failure here must not fail the push that delivered the zone: the sweeper's catalog_sync adds the member later.
    try:
        catalog_member_add(zone_id=zone_id)
    except CatalogError as exc:
        log.error("could not add zone %s to the catalog: %s", zone_id, exc)


def _member_remove(zone_name: str) -> None:
    catalog_member_remove(zone_name=zone_name)


def _sync_swept() -> int:
    try:
        return catalog_sync()
    except CatalogError as exc:  # a full catalog must not stop the sweeper's pushes
        log.error("catalog sync failed: %s", exc)
        return 0


def _target(zone_name: str) -> str:
    return f"{zone_name}."


def _members(catalog: Zone, where: Q) -> dict[str, str]:
    """Member owner -> the zone it names, of the catalog's member records matching `where`."""
    rows = records_of(catalog).filter(rrset__type="PTR", rrset__name__endswith=f".{MEMBERS}")
    return dict(rows.filter(where).values_list("rrset__name", "content"))


def _member(owner: str, target: str | None) -> zone_services.Replace:
    return zone_services.Replace(name=owner, type="PTR", contents=(target,) if target else ())


def _fixed(rrset: tuple[str, str, str]) -> zone_services.Replace:
    return zone_services.Replace(name=rrset[0], type=rrset[1], contents=(rrset[2],))


def _apply(catalog: Zone, changes: list[zone_services.Replace], reason: str) -> None:
    result = zone_services.zone_apply(zone=catalog, changes=changes, actor=_actor(reason))
    if not result.ok:
        # Only a limit (ZONE_MAX_RECORDS) can refuse a member: say so loudly, the catalog is incomplete.
        raise CatalogError(f"catalog {catalog.name}: {'; '.join(result.errors)}")
