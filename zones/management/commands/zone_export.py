from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zones import selectors
from zones.management.lookup import zone_named


class Command(BaseCommand):
    help = "Print the zone in BIND master-file format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(selectors.zone_master_file(zone=zone_named(options["zone"])), ending="")
