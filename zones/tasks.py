"""Celery tasks of the zones app. Thin: they take ids, re-read state and call a service."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def push_zone(zone_id: int) -> None:
    """Carry the zone's committed changes to the nameservers (the transport lands with the push pipeline)."""
    log.debug("push of zone %s requested", zone_id)
