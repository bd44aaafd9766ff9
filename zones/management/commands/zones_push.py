from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zones.management.lookup import zone_named
from zones.models import Zone
from zones.push.services import PushError, zone_push


class Command(BaseCommand):
    help = "Push zones (all when none is named) to every enabled nameserver now, in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zones", nargs="*")

    def handle(self, *args: Any, **options: Any) -> None:
        zones = [zone_named(name) for name in options["zones"]] or list(Zone.objects.all())
        failed = 0
        for zone in zones:
            try:
                zone_push(zone_id=zone.pk, blocking=True)
            except PushError as exc:
                failed += 1
                self.stderr.write(f"{zone.name}: {exc}")
            else:
                self.stdout.write(f"{zone.name}: pushed (version {Zone.objects.get(pk=zone.pk).version})")
        if failed:
            raise CommandError(f"{failed} of {len(zones)} zones failed")
