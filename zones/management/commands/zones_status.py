from __future__ import annotations

import itertools
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zones.push.selectors import SyncReport, SyncState, SyncStatus

LINES_PER_WRITE = 500


class Command(BaseCommand):
    help = (
        "Per zone and enabled nameserver: in sync, pending (since when) or failing (last error); then how many zones "
        "are in each state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zones", nargs="*")
        parser.add_argument("--behind", action="store_true", help="list only what is pending or failing")

    def handle(self, *args: Any, **options: Any) -> None:
        # Streamed: lines are written as they are read, a batch at a time (one write per line cost a tenth of the
        # command's time at 2,000 lines), so 100,000 zones take no more memory than ten.
        report = SyncReport(zone_names=options["zones"] or None, behind=options["behind"])
        lines = map(self._line, report.rows())
        while batch := list(itertools.islice(lines, LINES_PER_WRITE)):
            self.stdout.write("\n".join(batch))
        states = report.zone_states()
        if states[SyncState.NO_NAMESERVER]:
            self.stdout.write(f"{states[SyncState.NO_NAMESERVER]} zones: no nameserver is enabled")
            return
        counts = (f"{states[state]} {state}" for state in (SyncState.IN_SYNC, SyncState.PENDING, SyncState.FAILING))
        self.stdout.write("zones: " + ", ".join(counts))

    def _line(self, status: SyncStatus) -> str:
        line = f"{status.zone}\t{status.nameserver}\t{status.state}\tv{status.version}/{status.zone_version}"
        if status.pending_since is not None:
            line += f"\tsince {status.pending_since.isoformat(' ', 'seconds')[:19]}"  # YYYY-MM-DD HH:MM:SS, UTC
        if status.state == SyncState.FAILING:
            line += f"\t{status.attempts} attempts: {status.last_error}"
        return line
