from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zones.management.lookup import zone_named
from zones.models import Zone
from zones.push.transfers import TransfersError, zone_transfers_apply


class Command(BaseCommand):
    help = (
        "Write the transfer configuration (public secondaries from CATALOG_SECONDARIES, customers' secondaries) of the "
        "named zones, or of every zone, to the enabled BIND and Knot nameservers: after changing CATALOG_SECONDARIES, "
        "or when a configuration task was lost."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zones", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        zones = [zone_named(name) for name in options["zones"]] or list(Zone.objects.order_by("name"))
        failed = 0
        for zone in zones:
            try:
                zone_transfers_apply(zone_id=zone.pk)
            except TransfersError as exc:
                failed += 1
                self.stderr.write(f"{zone.name}: {exc}")
        self.stdout.write(f"{len(zones) - failed} zones configured, {failed} failed")
        if failed:
            raise CommandError(f"{failed} zones could not be configured")
