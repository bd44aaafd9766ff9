from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.management.lookup import account_named, password_read
from accounts.services import AccountError, user_create


class Command(BaseCommand):
    help = "Create a panel user in an account (or a staff user); the password is read from standard input."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--account", help="the account the user belongs to")
        parser.add_argument("--email", default="")
        parser.add_argument("--staff", action="store_true", help="a staff user (sees the staff pages)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["account"] and not options["staff"]:
            raise CommandError("a customer user needs --account (or give --staff)")
        account = account_named(options["account"]) if options["account"] else None
        password = password_read(options, f"Password for {options['username']}: ")
        try:
            user = user_create(
                username=options["username"],
                password=password,
                email=options["email"],
                is_staff=options["staff"],
                account=account,
                actor=Actor.cli(),
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"user {user.get_username()} created")
