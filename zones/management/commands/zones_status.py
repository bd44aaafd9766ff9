from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zones.push.selectors import SyncState, sync_statuses


class Command(BaseCommand):
    help = "Per zone and nameserver: in sync, pending (since when) or failing (last error)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zones", nargs="*")
        parser.add_argument("--behind", action="store_true", help="list only what is pending or failing")

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = sync_statuses(zone_names=options["zones"] or None)
        for status in statuses:
            if options["behind"] and status.state == SyncState.IN_SYNC:
                continue
            line = f"{status.zone}\t{status.nameserver}\t{status.state}\tv{status.version}/{status.zone_version}"
            if status.pending_since is not None:
                line += f"\tsince {status.pending_since:%Y-%m-%d %H:%M:%S}"
            if status.state == SyncState.FAILING:
                line += f"\t{status.attempts} attempts: {status.last_error}"
            self.stdout.write(line)
        behind = sum(1 for s in statuses if s.state != SyncState.IN_SYNC)
        self.stdout.write(f"{len(statuses) - behind} in sync, {behind} behind")
