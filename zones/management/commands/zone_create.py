from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.management.lookup import account_named
from zones.services import ZoneError, zone_create


class Command(BaseCommand):
    help = "Create a zone for an account, with the provider's SOA and NS records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("--account", required=True)
        parser.add_argument("--default-ttl", type=int, default=None)
        parser.add_argument(
            "--allow-reserved",
            action="store_true",
            help="create a name customers may not (a public suffix, the provider's own domain, a reverse zone)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = account_named(options["account"])
        try:
            zone = zone_create(
                name=options["zone"],
                account=account,
                default_ttl=options["default_ttl"],
                actor=Actor.cli(),
                allow_reserved=options["allow_reserved"],
            )
        except ZoneError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"zone {zone.name} created for {account.name}")
