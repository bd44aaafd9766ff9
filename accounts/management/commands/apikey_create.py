from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import ApiKeyError, Scope, apikey_create


class Command(BaseCommand):
    help = "Create an API key for an account and print its id and secret (the secret cannot be shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True)
        parser.add_argument("--zone", action="append", default=[], help="restrict to this zone (repeatable)")
        parser.add_argument("--host", action="append", default=[], help="restrict to this host pattern (repeatable)")
        parser.add_argument("--type", action="append", default=[], help="restrict to this record type (repeatable)")
        parser.add_argument("--network", action="append", default=[], help="restrict to clients in this CIDR")
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account.objects.filter(name=options["account"]).first()
        if account is None:
            raise CommandError(f"no account named {options['account']}")
        scope = Scope(
            zones=tuple(options["zone"]),
            hosts=tuple(options["host"]),
            record_types=tuple(options["type"]),
            networks=tuple(options["network"]),
            read_only=options["read_only"],
        )
        try:
            key, secret = apikey_create(account=account, scope=scope, actor=Actor.cli(), label=options["label"])
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"id: {key.key_id}\nsecret: {secret}")
