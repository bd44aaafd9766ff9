from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from ipam.services import IpamError, pool_create


class Command(BaseCommand):
    help = "Create an address pool, e.g. `pool_create 2001:db8::/32 --default-length 48 --lengths 48,56,64`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")
        parser.add_argument("--default-length", type=int, required=True)
        parser.add_argument("--lengths", default="", help="comma-separated lengths customers may receive")
        parser.add_argument("--description", default="")
        parser.add_argument("--site", default="")
        parser.add_argument("--quarantine-days", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            lengths = [int(n) for n in options["lengths"].replace("/", "").split(",") if n.strip()]
        except ValueError:
            raise CommandError("--lengths takes numbers separated by commas, e.g. 48,56,64") from None
        days = options["quarantine_days"]
        try:
            pool = pool_create(
                prefix=options["prefix"],
                default_length=options["default_length"],
                allowed_lengths=lengths,
                description=options["description"],
                site=options["site"],
                quarantine=None if days is None else datetime.timedelta(days=days),
                actor=Actor.cli(),
            )
        except IpamError as exc:
            raise CommandError(str(exc)) from None
        allowed = ", ".join(f"/{n}" for n in pool.allowed_lengths)
        self.stdout.write(f"pool {pool.prefix} created (default /{pool.default_length}; hands out {allowed})")
