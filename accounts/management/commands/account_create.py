from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.services import AccountError, account_create


class Command(BaseCommand):
    help = "Create a customer account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="short unique handle, e.g. acme")
        parser.add_argument("--display-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            account = account_create(name=options["name"], display_name=options["display_name"], actor=Actor.cli())
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"account {account.name} created")
