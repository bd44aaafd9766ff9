from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from zones.retention import Policy, PruneBusy, journal_prune


class Command(BaseCommand):
    help = (
        "Remove the journal changes and security log rows past their retention (JOURNAL_RETENTION_DAYS, "
        "JOURNAL_KEEP_VERSIONS, SECURITY_LOG_RETENTION_DAYS; never a change a nameserver still needs), in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed, remove nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        policy = Policy.from_settings()
        self.stdout.write(_describe(policy))
        try:
            report = journal_prune(actor=Actor.cli(), dry_run=options["dry_run"], policy=policy)
        except PruneBusy as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{report} in {report.seconds:.1f} s")


def _describe(policy: Policy) -> str:
    journal = f"{policy.journal_days} days" if policy.journal_days else "forever"
    security = f"{policy.security_days} days" if policy.security_days else "forever"
    return (
        f"journal: changes kept {journal} and each zone's last {policy.keep_versions} versions; "
        f"security log and security-relevant changes kept {security}"
    )
