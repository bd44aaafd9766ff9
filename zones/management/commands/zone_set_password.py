from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.management.lookup import password_read
from zones.management.lookup import zone_named
from zones.services import ZoneError, zone_set_api_password


class Command(BaseCommand):
    help = "Set the zone's Primary DNS API v1 password, read from standard input (an empty line turns the API off)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        password = password_read(options, f"New API password for {zone.name}: ")
        try:
            zone_set_api_password(zone=zone, password=password, actor=Actor.cli())
        except ZoneError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"API password of {zone.name} {'set' if password else 'removed'}")
