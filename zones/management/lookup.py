"""Shared by the zone commands: find the zone a command names, or stop with a message that says what is missing."""

from __future__ import annotations

from django.core.management.base import CommandError

from zones import records, selectors
from zones.models import Zone
from zones.records import RecordError


def zone_named(name: str) -> Zone:
    try:
        zone = selectors.zone_by_name(records.zone_name_normalize(name))
    except RecordError as exc:
        raise CommandError(f"{name!r} is not a zone name: {exc}") from None
    if zone is None:
        raise CommandError(f"no zone named {name}")
    return zone
