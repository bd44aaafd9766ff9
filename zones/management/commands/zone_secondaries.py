from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zones.management.lookup import zone_named
from zones.secondaries import SecondaryStatus, secondaries_status


class Command(BaseCommand):
    help = (
        "A zone's secondaries: address, label, key name, the serial each serves (asked now) and whether it is the "
        "serial the primary serves."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("--no-check", action="store_true", help="show what they served when last asked")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        statuses = secondaries_status(zone=zone, check=not options["no_check"])
        if not statuses:
            self.stdout.write(f"{zone.name} has no secondaries")
            return
        for status in statuses:
            self.stdout.write(self._line(status))

    def _line(self, status: SecondaryStatus) -> str:
        secondary = status.secondary
        state = "current" if status.current else "unknown" if status.serial is None else "behind"
        serial = "-" if status.serial is None else str(status.serial)
        line = (
            f"{secondary.address}#{secondary.port}\t{secondary.label or '-'}\t{secondary.tsig_name}\t"
            f"serial {serial} (primary {status.primary_serial})\t{state}"
        )
        if secondary.checked is not None:
            line += f"\tasked {secondary.checked:%Y-%m-%d %H:%M:%S}"
        if secondary.check_error:
            line += f"\t{secondary.check_error}"
        return line
