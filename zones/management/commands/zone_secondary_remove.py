from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from zones.management.lookup import zone_named
from zones.models import Secondary
from zones.secondaries import SecondaryError, secondary_remove


class Command(BaseCommand):
    help = "Remove a secondary from a zone: the hidden primary refuses its key and stops notifying it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("--address", required=True)
        parser.add_argument("--port", type=int, default=53)

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        secondary = Secondary.objects.filter(zone=zone, address=options["address"], port=options["port"]).first()
        if secondary is None:
            raise CommandError(f"{zone.name} has no secondary at {options['address']}#{options['port']}")
        try:
            secondary_remove(secondary=secondary, actor=Actor.cli())
        except SecondaryError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"secondary {secondary.address}#{secondary.port} of {zone.name} removed")
