from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.models import Account
from ipam.models import Pool
from ipam.prefixes import PrefixError, prefix_parse
from ipam.services import STRATEGIES, IpamError, prefix_allocate


class Command(BaseCommand):
    help = "Allocate the next free block of a pool to an account and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pool", help="the pool's prefix, e.g. 2001:db8::/32")
        parser.add_argument("--length", type=int, default=None, help="defaults to the pool's default length")
        parser.add_argument("--account", required=True)
        parser.add_argument("--strategy", choices=STRATEGIES, default="first-fit")
        parser.add_argument("--prefix", default=None, help="allocate exactly this prefix instead of the next free one")
        parser.add_argument("--description", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        pool = _pool_named(options["pool"])
        account = Account.objects.filter(name=options["account"]).first()
        if account is None:
            raise CommandError(f"no account named {options['account']}")
        try:
            allocation = prefix_allocate(
                pool=pool,
                length=options["length"],
                account=account,
                strategy=options["strategy"],
                prefix=options["prefix"],
                description=options["description"],
                actor=Actor.cli(),
            )
        except IpamError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(allocation.prefix)


def _pool_named(text: str) -> Pool:
    try:
        prefix = str(prefix_parse(text))
    except PrefixError as exc:
        raise CommandError(str(exc)) from None
    pool = Pool.objects.filter(prefix=prefix).first()
    if pool is None:
        raise CommandError(f"no pool {prefix}")
    return pool
