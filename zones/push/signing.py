"""The steps that carry a zone through its DNSSEC states on the signing nameservers (ZoneDnssec.State):

- signing: the signers get the policy; once each publishes keys whose RRSIG validates, the keys are stored (public
  data only) and the zone is *waiting for DS*.
- waiting for DS, secure, bogus: every check reads the keys again and asks a validating resolver for the DS at the
  parent: none is *waiting for DS*, one that matches a key is *secure* (BIND is told, `rndc dnssec -checkds
  published`, so that it never retires the key on its own), one that matches none is *bogus*.
- removing: each signer moves to the insecure policy (CDS/CDNSKEY DELETE published, signatures kept; BIND only once its
  keys are established, as it would drop younger ones at once). Signatures stay while a DS may still be at the
  parent: until the resolver has shown no DS for the DS TTL last seen, at least DNSSEC_DS_REMOVAL_WAIT seconds. Then
  each signer's copy is created again from the database, unsigned, at a serial past the signed one, and the zone is
  *unsigned*.

Each step works on the servers under the zone's push lock, so that no push meets a zone half re-configured, and moves
the state with a compare-and-set, so that a customer's switch in between is never overwritten. The resolver is asked
about the parent before the lock is taken: a slow resolver must not hold up the zone's pushes.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import dns.name
from django.conf import settings
from django.utils import timezone

from zones import records
from zones.models import Nameserver, ZoneDnssec
from zones.push import control, transport
from zones.push import dnssec as signer
from zones.push import services as push_services
from zones.push.control import ControlError
from zones.push.locks import zone_push_lock
from zones.push.services import PushError
from zones.push.transport import TransportError

log = logging.getLogger(__name__)

State = ZoneDnssec.State
WATCHED = frozenset({State.WAITING_DS, State.SECURE, State.BOGUS})


def zone_dnssec_step(*, zone_id: int, wait: float = 0.0) -> ZoneDnssec | None:
    """Move the zone's DNSSEC on as far as the servers and the parent allow now; safe to run any time, any number of
    times. `wait`: seconds to wait for a signer to publish keys after it was given the policy."""
    row = None
    for _ in range(2):  # a zone signed in the first pass is checked at the parent in the second
        row = ZoneDnssec.objects.filter(zone_id=zone_id).select_related("zone").first()
        if row is None or row.state == State.UNSIGNED:
            return row
        before = row.state
        parent = _parent(row) if row.state != State.SIGNING else None
        with zone_push_lock(zone_id, blocking=True):
            row.refresh_from_db()
            try:
                _step(row, wait, parent)
            except (TransportError, ControlError, PushError) as exc:
                log.warning("DNSSEC of %s (%s): %s", row.zone.name, row.state, exc)
                _note(row, error=str(exc))
        if not (before == State.SIGNING and row.state == State.WAITING_DS):
            break
    return row


def _parent(row: ZoneDnssec) -> transport.DSAnswer | TransportError:
    try:
        return signer.parent_ds(records.zone_origin(row.zone.name))
    except TransportError as exc:
        return exc


def _answer(parent: transport.DSAnswer | TransportError | None) -> transport.DSAnswer:
    if isinstance(parent, TransportError):
        raise parent
    if parent is None:
        raise TransportError("the parent was not asked")  # the next step asks
    return parent


def zones_dnssec_check() -> int:
    """Beat: one step for every zone that is signed or on its way in or out. Returns how many were looked at."""
    zone_ids = list(ZoneDnssec.objects.exclude(state=State.UNSIGNED).values_list("zone_id", flat=True))
    for zone_id in zone_ids:
        zone_dnssec_step(zone_id=zone_id)
    return len(zone_ids)


def _step(row: ZoneDnssec, wait: float, parent: transport.DSAnswer | TransportError | None) -> None:
    servers = signer.signers()
    if not servers:
        _note(row, error="no enabled nameserver signs zones (kind bind or knot)")
    elif row.state == State.SIGNING:
        _sign(row, servers, wait)
    elif row.state == State.REMOVING:
        _remove(row, servers, parent)
    else:
        _watch(row, servers, parent)


# --- signing ------------------------------------------------------------------------------------------------------


def _sign(row: ZoneDnssec, servers: list[Nameserver], wait: float) -> None:
    origin = records.zone_origin(row.zone.name)
    keys: list[str] = []
    waiting: list[str] = []
    for nameserver in servers:
        server = push_services.server_of(nameserver)
        if transport.soa_query(server, origin) is None:
            waiting.append(f"{nameserver.name} (the push creates the zone there, signed)")
            continue
        found = signer.keys_await(server, origin, timeout=0)
        if not found or signer.cds_delete_published(server, origin):
            control.zone_signing_set(nameserver, row.zone.name, settings.DNSSEC_POLICY)
            found = signer.keys_await(server, origin, timeout=wait)
        if not found:
            waiting.append(nameserver.name)
            continue
        keys += [key.to_text() for key in found]
    if waiting:
        _note(row, error=f"waiting for keys from {', '.join(waiting)}")
        return
    _move(row, State.SIGNING, State.WAITING_DS, keys=sorted(set(keys)))


def _watch(row: ZoneDnssec, servers: list[Nameserver], parent: transport.DSAnswer | TransportError | None) -> None:
    origin = records.zone_origin(row.zone.name)
    keys = _keys_now(servers, origin)
    if keys is None:  # a signer lost the keys (its copy was created again, say): sign again
        _move(row, row.state, State.SIGNING)
        return
    answer = _answer(parent)
    ds = sorted(rdata.to_text() for rdata in answer.records)
    if not ds:
        new = State.WAITING_DS
    elif signer.ds_matches(origin, ds, keys):
        new = State.SECURE
    else:
        new = State.BOGUS
    if new == State.SECURE and row.state != State.SECURE:
        for nameserver in servers:
            control.zone_checkds(nameserver, row.zone.name)
    _move(row, row.state, new, keys=keys, parent_ds=ds, parent_ds_ttl=answer.ttl or row.parent_ds_ttl)


def _keys_now(servers: list[Nameserver], origin: dns.name.Name) -> list[str] | None:
    keys: set[str] = set()
    for nameserver in servers:
        found = signer.keys_read(push_services.server_of(nameserver), origin)
        if not found:
            return None
        keys.update(key.to_text() for key in found)
    return sorted(keys)


# --- removing -----------------------------------------------------------------------------------------------------


def _remove(row: ZoneDnssec, servers: list[Nameserver], parent: transport.DSAnswer | TransportError | None) -> None:
    origin = records.zone_origin(row.zone.name)
    pending = [nameserver for nameserver in servers if not _insecure(nameserver, origin)]
    if pending:
        # Moved now, or not yet able to move: either way the DS check waits for the next step, so that CDS DELETE is
        # out before anything is taken away.
        for nameserver in pending:
            _to_insecure(row, nameserver)
        return
    answer = _answer(parent)
    now = timezone.now()
    if answer.records:
        ds = sorted(rdata.to_text() for rdata in answer.records)
        error = "the parent still has a DS for the zone: remove it at the registrar (the signatures stay until then)"
        _move(row, State.REMOVING, State.REMOVING, parent_ds=ds, parent_ds_ttl=answer.ttl, ds_absent_since=None)
        _note(row, error=error)
        return
    if row.ds_absent_since is None:
        _move(row, State.REMOVING, State.REMOVING, parent_ds=[], ds_absent_since=now)
        return
    hold = timedelta(seconds=max(row.parent_ds_ttl or 0, settings.DNSSEC_DS_REMOVAL_WAIT))
    if now - row.ds_absent_since < hold:
        return
    _unsign(row, servers, origin)


def _insecure(nameserver: Nameserver, origin: dns.name.Name) -> bool:
    """True when the server signs the zone no more than the insecure policy does (or has no keys, or no zone)."""
    server = push_services.server_of(nameserver)
    if transport.soa_query(server, origin) is None or signer.keys_read(server, origin) is None:
        return True
    return signer.cds_delete_published(server, origin)


def _to_insecure(row: ZoneDnssec, nameserver: Nameserver) -> None:
    if not control.zone_keys_established(nameserver, row.zone.name):
        _note(row, error=f"waiting for the keys on {nameserver.name} to be established before publishing CDS DELETE")
        return
    # BIND keeps a key whose DS it believes published until told the DS is gone (which it never is: the zone is
    # created again instead), so that its insecure policy never drops signatures a DS may still point at.
    control.zone_checkds(nameserver, row.zone.name)
    control.zone_signing_set(nameserver, row.zone.name, settings.DNSSEC_INSECURE_POLICY)


def _unsign(row: ZoneDnssec, servers: list[Nameserver], origin: dns.name.Name) -> None:
    for nameserver in servers:
        served = transport.soa_query(push_services.server_of(nameserver), origin)
        above = int(served.serial) if served is not None else 0  # type: ignore[attr-defined]
        push_services.zone_recreate(nameserver=nameserver, zone_id=row.zone_id, policy=None, above=above)
    if _move(row, State.REMOVING, State.UNSIGNED, keys=[], parent_ds=[], parent_ds_ttl=None, ds_absent_since=None):
        log.info("%s is unsigned on %s", row.zone.name, ", ".join(ns.name for ns in servers))


# --- state --------------------------------------------------------------------------------------------------------


def _move(row: ZoneDnssec, old: str, new: str, **fields: object) -> bool:
    """Compare-and-set the state from `old` (the customer may have turned the switch meanwhile); True if it moved."""
    now = timezone.now()
    values: dict[str, object] = {"state": new, "checked": now, "last_error": "", **fields}
    if new != old:
        values["changed"] = now
    if not ZoneDnssec.objects.filter(pk=row.pk, state=old).update(**values):
        row.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(row, name, value)
    if new != old:
        log.info("DNSSEC of %s: %s -> %s", row.zone.name, old, new)
    return True


def _note(row: ZoneDnssec, *, error: str) -> None:
    ZoneDnssec.objects.filter(pk=row.pk).update(last_error=error[:2000], checked=timezone.now())
    row.last_error = error
