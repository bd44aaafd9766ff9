"""Dynamic DNS writes: set, keep, delete or renumber a host's A and AAAA records, through zone_apply."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import SecurityEvent
from accounts.secrets import secret_hash
from zones import records
from zones.models import DynDNSHost, Zone
from zones.records import RecordError
from zones.selectors import rrsets_matching
from zones.services import Operation, Replace, zone_apply
from zones.store import ZoneHead

log = logging.getLogger(__name__)

IPv4 = ipaddress.IPv4Address
IPv6 = ipaddress.IPv6Address


@dataclass(frozen=True)
class HostUpdate:
    """What to do with each family: None leaves it alone, () deletes it, addresses replace it.

    `v6_prefix` renumbers: every AAAA record keeps its interface bits and takes the network bits of the prefix (a
    home network whose provider hands out a new prefix now and then)."""

    v4: tuple[IPv4, ...] | None = None
    v6: tuple[IPv6, ...] | None = None
    v6_prefix: ipaddress.IPv6Network | None = None

    @property
    def types(self) -> set[str]:
        touched = {"A"} if self.v4 is not None else set()
        return touched | ({"AAAA"} if self.v6 is not None or self.v6_prefix is not None else set())


@dataclass
class HostOutcome:
    changed: bool = False
    addresses: list[str] = field(default_factory=list)
    error: str | None = None


def dyndns_host_update(
    *,
    zone: Zone,
    host: str,
    update: HostUpdate,
    actor: Actor,
    precondition: Callable[[ZoneHead], bool] | None = None,
) -> HostOutcome:
    """Apply `update` to the host's A/AAAA RRsets in one zone_apply. New RRsets get the short Dynamic DNS TTL.

    Addresses given are one zone_apply and nothing else (`zone` need not have been read: `precondition` checks it
    under the lock, PreconditionFailed otherwise, Zone.DoesNotExist if it is gone). A prefix renumbers the records the
    host has, so they are read under the zone's lock first."""
    if update.v6_prefix is not None:
        return _renumbered(zone=zone, host=host, update=update, actor=actor, precondition=precondition)
    wanted = _wanted(update, {})
    operations: list[Operation] = [
        Replace(name=host, type=rdtype, contents=tuple(contents), ttl_new=settings.DYNDNS_TTL)
        for rdtype, contents in wanted.items()
    ]
    if not operations:
        return HostOutcome()
    result = zone_apply(zone=zone, changes=operations, actor=actor, precondition=precondition)
    if not result.ok:
        return HostOutcome(error="; ".join(result.errors))
    # The RRsets are now exactly what was asked for: the answer needs no read.
    return HostOutcome(changed=result.change is not None, addresses=_addresses(update, wanted))


def _addresses(update: HostUpdate, final: dict[str, list[str]]) -> list[str]:
    """The answer's addresses: those of each family the update touched, A first."""
    return [a for rdtype in ("A", "AAAA") if rdtype in update.types for a in sorted(final.get(rdtype, []))]


def dyndns_unchanged(update: HostUpdate, current: dict[str, list[str]]) -> list[str] | None:
    """The answer's addresses if `update` would leave a host whose A and AAAA records are `current` as it is (a
    `nochg`), else None. Only for addresses given: a prefix is renumbered under the lock."""
    if update.v6_prefix is not None or not update.types:
        return None
    wanted = _wanted(update, {})
    if any(sorted(current.get(rdtype, [])) != contents for rdtype, contents in wanted.items()):
        return None
    return _addresses(update, wanted)


def _renumbered(
    *, zone: Zone, host: str, update: HostUpdate, actor: Actor, precondition: Callable[[ZoneHead], bool] | None
) -> HostOutcome:
    with transaction.atomic():
        Zone.objects.select_for_update().filter(pk=zone.pk).first()
        current = rrsets_matching(zone=zone, host=host)
        wanted = _wanted(update, {t: v.contents for (_, t), v in current.items() if t in {"A", "AAAA"}})
        operations: list[Operation] = [
            Replace(
                name=host,
                type=rdtype,
                contents=tuple(contents),
                ttl=None if (host, rdtype) in current else settings.DYNDNS_TTL,
            )
            for rdtype, contents in wanted.items()
        ]
        result = None
        if operations:
            result = zone_apply(zone=zone, changes=operations, actor=actor, precondition=precondition)
    if result is not None and not result.ok:
        return HostOutcome(error="; ".join(result.errors))
    final = {t: v.contents for (_, t), v in current.items() if t in {"A", "AAAA"}} | wanted
    return HostOutcome(changed=result is not None and result.change is not None, addresses=_addresses(update, final))


def _wanted(update: HostUpdate, current: dict[str, list[str]]) -> dict[str, list[str]]:
    wanted: dict[str, list[str]] = {}
    if update.v4 is not None:
        wanted["A"] = sorted({str(a) for a in update.v4})
    if update.v6 is not None:
        wanted["AAAA"] = sorted({str(a) for a in update.v6})
    if update.v6_prefix is not None:
        existing = [IPv6(a) for a in current.get("AAAA", [])]
        wanted["AAAA"] = sorted({str(renumber(a, update.v6_prefix)) for a in existing} | set(wanted.get("AAAA", [])))
    return wanted


def renumber(address: IPv6, prefix: ipaddress.IPv6Network) -> IPv6:
    """The address with its network bits (the prefix's length) taken from `prefix`, its host bits kept."""
    network_bits = int(prefix.network_address) & int(prefix.netmask)
    host_bits = int(address) & int(prefix.hostmask)
    return IPv6(network_bits | host_bits)


# --- per-host passwords --------------------------------------------------------------------------------------------


def dyndns_password_set(*, zone: Zone, host: str, actor: Actor) -> str:
    """Create (or replace) the host's Dynamic DNS password; return it (stored only hashed). The user name is the
    host's fully qualified name."""
    origin = records.zone_origin(zone.name)
    try:
        name = records.owner_parse(host, apex=origin, origin=origin)
    except RecordError as exc:
        raise ValueError(str(exc)) from None
    password = secrets.token_urlsafe(24)
    with transaction.atomic():
        _, created = DynDNSHost.objects.update_or_create(
            zone=zone, host=name, defaults={"password_hash": secret_hash(password)}
        )
        security_event_record(
            action=SecurityEvent.Action.DYNDNS_PASSWORD_SET,
            actor=actor,
            account=zone.account,
            subject=_fqdn(name, zone),
            detail={"zone": zone.name, "host": name, "replaced": not created},
        )
    log.info("Dynamic DNS password for %s in %s set by %s", name, zone.name, actor.label)
    return password


def dyndns_password_delete(*, zone: Zone, host: str, actor: Actor) -> bool:
    """Remove the host's Dynamic DNS password (its records stay); False if it had none."""
    with transaction.atomic():
        deleted, _ = DynDNSHost.objects.filter(zone=zone, host=host).delete()
        if deleted:
            security_event_record(
                action=SecurityEvent.Action.DYNDNS_PASSWORD_DELETED,
                actor=actor,
                account=zone.account,
                subject=_fqdn(host, zone),
                detail={"zone": zone.name, "host": host},
            )
    if deleted:
        log.info("Dynamic DNS password for %s in %s removed by %s", host, zone.name, actor.label)
    return bool(deleted)


def _fqdn(host: str, zone: Zone) -> str:
    """The host's fully qualified name: the user name a router signs in with."""
    return zone.name if host == "@" else f"{host}.{zone.name}"
