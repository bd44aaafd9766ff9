from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from zones.dnssec import DnssecError, DnssecStatus, zone_dnssec_report, zone_dnssec_set, zone_dnssec_status
from zones.management.lookup import zone_named


class Command(BaseCommand):
    help = (
        "Turn a zone's DNSSEC signing on or off, or show its state: `status` prints the state, then each DS record "
        "to give the registrar, one per line (ZONE. IN DS <tag> <algorithm> <digest type> <digest>)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument("--servers", action="store_true", help="with status: each signer's own key report")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        if options["action"] == "status":
            self._print(zone_dnssec_status(zone=zone))
            if options["servers"]:
                for name, report in zone_dnssec_report(zone=zone):
                    self.stdout.write(f"--- {name}\n{report}")
            return
        try:
            status = zone_dnssec_set(zone=zone, enabled=options["action"] == "on", actor=Actor.cli())
        except DnssecError as exc:
            raise CommandError(str(exc)) from None
        self._print(status)

    def _print(self, status: DnssecStatus) -> None:
        self.stdout.write(status.label)
        for record in status.ds_records:
            self.stdout.write(record)
        if status.last_error:
            self.stderr.write(status.last_error)
