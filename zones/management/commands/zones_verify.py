from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zones.management.lookup import zone_named
from zones.push.verify import run_summary, zones_verify


class Command(BaseCommand):
    help = (
        "Compare zones on every enabled nameserver with the database: the zones named are transferred in full, "
        "without names every zone's SOA serial is asked and those that changed, moved or are due are transferred; "
        "exits 1 when any differs (with --repair: when any could not be repaired) or could not be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zones", nargs="*")
        parser.add_argument("--repair", action="store_true", help="send each server the difference")

    def handle(self, *args: Any, **options: Any) -> None:
        names = [zone_named(name).name for name in options["zones"]] or None
        outcome = zones_verify(zone_names=names, repair=options["repair"])
        reports, run = outcome.reports, outcome.run
        bad = 0
        for report in reports:
            where = f"{report.zone} on {report.nameserver}"
            if report.error:
                bad += 1
                self.stdout.write(f"{where}: ERROR {report.error}")
            elif report.differences:
                bad += not report.repaired
                state = "pending push" if report.pending else "repaired" if report.repaired else "DIFFERS"
                self.stdout.write(f"{where}: {state}")
                for difference in report.differences:
                    self.stdout.write(f"  {difference}")
            else:
                self.stdout.write(f"{where}: ok")
        self.stdout.write(run_summary(run))
        if bad:
            raise CommandError(f"{bad} of {run.pairs} zone copies differ from the database or could not be read")
