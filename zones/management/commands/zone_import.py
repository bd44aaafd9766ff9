from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panel.actors import Actor
from zones.management.lookup import zone_named
from zones.services import ZoneError, zone_import


class Command(BaseCommand):
    help = (
        "Make the zone's records those of a master file ('-' reads standard input), all or nothing. "
        "The SOA and apex NS records stay the provider's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        text = sys.stdin.read() if options["file"] == "-" else Path(options["file"]).read_text()
        try:
            result = zone_import(zone=zone, text=text, actor=Actor.cli(), dry_run=options["dry_run"])
        except ZoneError as exc:
            raise CommandError(str(exc)) from None
        if not result.ok:
            raise CommandError("nothing imported:\n" + "\n".join(result.errors))
        zone.refresh_from_db()
        done = "validated" if options["dry_run"] else f"imported; serial {zone.serial}"
        self.stdout.write(f"{zone.name}: {done}")
