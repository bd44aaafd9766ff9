"""Configure a zone's transfers (its customer secondaries and the provider's public ones) on every enabled
nameserver that ctrlpanel controls (BIND, Knot); after a secondary is added or removed, and for staff after a change
of CATALOG_SECONDARIES (`manage.py zones_transfers`)."""

from __future__ import annotations

import logging

from zones.models import Nameserver, Zone
from zones.push import control
from zones.push.control import ControlError

log = logging.getLogger(__name__)

CONTROLLED_KINDS = (Nameserver.Kind.BIND, Nameserver.Kind.KNOT)


class TransfersError(Exception):
    """At least one server could not be configured; the task retries."""


def zone_transfers_apply(*, zone_id: int, removed: tuple[str, ...] = ()) -> None:
    """Write the zone's transfer configuration to every enabled BIND and Knot nameserver; `removed` names the keys of
    secondaries removed since, which leave the servers too. A zone gone meanwhile needs nothing."""
    zone_name = Zone.objects.filter(pk=zone_id).values_list("name", flat=True).first()
    if zone_name is None:
        return
    errors = []
    for nameserver in Nameserver.objects.filter(enabled=True, kind__in=CONTROLLED_KINDS):
        try:
            control.zone_transfers_set(nameserver, zone_name, removed=removed)
        except ControlError as exc:
            errors.append(f"{nameserver.name}: {exc}")
    if errors:
        raise TransfersError("; ".join(errors))
    log.info("transfers of %s configured", zone_name)
