from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Account
from ipam.selectors import PoolUtilisation, Usage, accounts_utilisation, pools_utilisation


class Command(BaseCommand):
    help = "Print the utilisation of every pool (and, with --accounts, what each account holds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", action="store_true", help="also list each account's space")

    def handle(self, *args: Any, **options: Any) -> None:
        header = f"{'pool':<24} {'used %':>7} {'active':>9} {'reserved':>9} {'quarant.':>9} {'free':>9}  largest free"
        self.stdout.write(header)
        for row in pools_utilisation():
            self.stdout.write(_pool_line(row))
        if options["accounts"]:
            self.stdout.write("")
            self.stdout.write(f"{'account':<24} {'family':<6} {'prefixes':>9} {'addresses':>40}")
            for usage in accounts_utilisation(accounts=Account.objects.all()):
                line = f"{usage.account.name:<24} IPv{usage.family:<2}  {usage.active.prefixes:>9} "
                self.stdout.write(line + f"{usage.active.addresses:>40}")


def _pool_line(row: PoolUtilisation) -> str:
    largest = "none (full)" if row.largest_free is None else f"/{row.largest_free}"
    counts = " ".join(f"{_prefixes(u):>9}" for u in (row.active, row.reserved, row.quarantined, row.free))
    return f"{row.pool.prefix:<24} {row.percent_used:>6.2f}% {counts}  {largest}"


def _prefixes(usage: Usage) -> str:
    return str(usage.prefixes)
