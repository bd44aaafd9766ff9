from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from zones.management.lookup import zone_named
from zones.secondaries import SecondaryError, config_snippets, secondary_add


class Command(BaseCommand):
    help = (
        "Add a customer's secondary nameserver to a zone: it may transfer the zone with a new TSIG key and is "
        "NOTIFYed of every change. Prints the key (its secret only this once) and the secondary's configuration."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("--address", required=True, help="the secondary's IP address (where NOTIFY goes)")
        parser.add_argument("--port", type=int, default=53)
        parser.add_argument("--label", default="", help="a note for people, e.g. the customer's server name")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        try:
            added = secondary_add(
                zone=zone, address=options["address"], port=options["port"], label=options["label"], actor=Actor.cli()
            )
        except SecondaryError as exc:
            raise CommandError(str(exc)) from None
        secondary = added.secondary
        self.stdout.write(f"secondary {secondary.address}#{secondary.port} of {zone.name} added")
        self.stdout.write(f"TSIG key {secondary.tsig_name} (hmac-sha256), secret {added.secret}")
        self.stdout.write("The secret is not shown again. The secondary's side:")
        for software, text in config_snippets(secondary=secondary, secret=added.secret).items():
            self.stdout.write(f"\n# --- {software} ---\n{text}")
