"""DNSSEC per zone: the switch that customers (panel, REST API) and staff (manage.py zone_dnssec) turn, and what they
are shown: the state, the keys and the DS records to hand to the registrar.

The signing itself is the hidden primaries' (zones/push/signing.py carries a zone through the states): turning the
switch records the wish, audits it and asks a worker to act on it after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import SecurityEvent
from zones import records, tasks
from zones.models import RRset, Zone, ZoneDnssec
from zones.push import control
from zones.push import dnssec as signer
from zones.push.control import ControlError
from zones.push.dnssec import KeyView

log = logging.getLogger(__name__)

State = ZoneDnssec.State
ON_STATES = frozenset({State.SIGNING, State.WAITING_DS, State.SECURE, State.BOGUS})
# What a customer is told each state means, and what to do.
EXPLANATIONS = {
    State.UNSIGNED: "The zone is not signed.",
    State.SIGNING: "The nameservers are generating the keys and signing the zone.",
    State.WAITING_DS: "The zone is signed. Give the DS record below to your registrar; the zone is secure once the "
    "parent zone publishes it.",
    State.SECURE: "The zone is signed and the parent zone has its DS record: validating resolvers check every answer.",
    State.BOGUS: "The parent zone has a DS record that matches none of the zone's keys, so validating resolvers "
    "reject the zone's answers. Replace it at your registrar with the DS record below.",
    State.REMOVING: "Signing is being turned off. Remove the DS record at your registrar (CDS and CDNSKEY DELETE "
    "records are published for registries that read them); the signatures stay until the parent has dropped it.",
}


class DnssecError(Exception):
    """The switch cannot be turned as asked; the message says why, for the person who asked."""


@dataclass(frozen=True)
class DnssecStatus:
    zone: str
    state: str
    changed: datetime | None
    checked: datetime | None
    keys: list[KeyView] = field(default_factory=list)
    parent_ds: list[str] = field(default_factory=list)
    last_error: str = ""

    @property
    def enabled(self) -> bool:
        return self.state in ON_STATES

    @property
    def label(self) -> str:
        return str(State(self.state).label)

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[State(self.state)]

    @property
    def ds_records(self) -> list[str]:
        """Every DS record in presentation form, `ZONE. IN DS <tag> 13 2 <hex>`, SHA-256 before SHA-384."""
        return [record for key in self.keys for record in key.ds_records(self.zone)]


def zone_dnssec_status(*, zone: Zone) -> DnssecStatus:
    """The zone's DNSSEC as a customer sees it (one query)."""
    row = ZoneDnssec.objects.filter(zone=zone).first()
    if row is None:
        return DnssecStatus(zone=zone.name, state=State.UNSIGNED, changed=None, checked=None)
    origin = records.zone_origin(zone.name)
    return DnssecStatus(
        zone=zone.name,
        state=row.state,
        changed=row.changed,
        checked=row.checked,
        keys=[signer.key_view(origin, text) for text in row.keys],
        parent_ds=list(row.parent_ds),
        last_error=row.last_error,
    )


def zone_dnssec_set(*, zone: Zone, enabled: bool, actor: Actor) -> DnssecStatus:
    """Turn the zone's signing on or off; a switch already in that position changes nothing.

    On: the signers get the policy after the commit. Off: the zone goes through *removing* and keeps its signatures
    until no DS may be at the parent any more. Audited in the account's security log.
    """
    with transaction.atomic():
        # The zone row lock orders this with zone_apply, which refuses TTLs a signed zone may not have.
        locked = Zone.objects.select_for_update().select_related("account").get(pk=zone.pk)
        row, _ = ZoneDnssec.objects.select_for_update().get_or_create(zone=locked)
        new = _next_state(locked, row.state, enabled)
        if new is None:
            return zone_dnssec_status(zone=locked)
        row.state, row.changed, row.last_error, row.ds_absent_since = new, timezone.now(), "", None
        row.save(update_fields=["state", "changed", "last_error", "ds_absent_since"])
        security_event_record(
            action=SecurityEvent.Action.DNSSEC_ENABLED if enabled else SecurityEvent.Action.DNSSEC_DISABLED,
            actor=actor,
            subject=locked.name,
            account=locked.account,
            detail={"state": new},
        )
        transaction.on_commit(lambda: dnssec_enqueue(zone_id=locked.pk))
    log.info("DNSSEC of %s turned %s by %s", locked.name, "on" if enabled else "off", actor.label)
    return zone_dnssec_status(zone=locked)


def _next_state(zone: Zone, state: str, enabled: bool) -> str | None:
    if enabled:
        if state in ON_STATES:
            return None
        _check_signable(zone)
        return State.SIGNING
    return None if state in (State.UNSIGNED, State.REMOVING) else State.REMOVING


def _check_signable(zone: Zone) -> None:
    if not signer.signers():
        raise DnssecError("no nameserver here can sign zones yet: staff must register a BIND or Knot hidden primary")
    limit = settings.DNSSEC_MAX_TTL
    too_long = list(RRset.objects.filter(zone=zone, ttl__gt=limit).order_by("name", "type")[:5])
    if too_long:
        names = ", ".join(f"{rrset.name} {rrset.type} (TTL {rrset.ttl})" for rrset in too_long)
        raise DnssecError(f"a signed zone's TTLs may be at most {limit} seconds; lower these first: {names}")


def dnssec_enqueue(*, zone_id: int) -> None:
    """Ask a worker to take the zone's DNSSEC a step on. A broker outage must not fail the committed switch: the
    periodic check (DNSSEC_CHECK_INTERVAL) picks the zone up."""
    try:
        tasks.dnssec_step.delay(zone_id)
    except Exception:  # the broker is down or unreachable; the switch is safe in the database
        log.warning("could not enqueue the DNSSEC step of zone %s; the periodic check will", zone_id, exc_info=True)


def zone_dnssec_report(*, zone: Zone) -> list[tuple[str, str]]:
    """For staff: each signer's own account of the zone's keys (`rndc dnssec -status`, `knotc zone-status`)."""
    report = []
    for nameserver in signer.signers():
        try:
            report.append((nameserver.name, control.zone_signing_report(nameserver, zone.name)))
        except ControlError as exc:
            report.append((nameserver.name, f"error: {exc}"))
    return report
