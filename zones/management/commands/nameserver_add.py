from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from zones.models import Nameserver
from zones.push.services import nameserver_create


class Command(BaseCommand):
    help = "Register a nameserver that receives every zone by RFC 2136 UPDATE (TSIG); zones reach it by the sweeper."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--address", required=True)
        parser.add_argument("--port", type=int, default=53)
        parser.add_argument("--kind", choices=Nameserver.Kind.values, default=Nameserver.Kind.RFC2136)
        parser.add_argument("--tsig-name", required=True)
        parser.add_argument("--tsig-algorithm", default="hmac-sha256")
        parser.add_argument(
            "--tsig-secret-file", required=True, type=Path, help="a file holding the base64 secret (not on argv)"
        )
        parser.add_argument("--rndc-config", default="", help="bind: rndc configuration file for the control channel")
        parser.add_argument("--knot-socket", default="", help="knot: knotc control socket")
        parser.add_argument("--zone-directory", default="", help="bind, knot: where new zones' files are written")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            secret = options["tsig_secret_file"].read_text().strip()
        except OSError as exc:
            raise CommandError(f"cannot read the TSIG secret: {exc}") from None
        try:
            nameserver = nameserver_create(
                name=options["name"],
                address=options["address"],
                port=options["port"],
                kind=options["kind"],
                tsig_name=options["tsig_name"],
                tsig_algorithm=options["tsig_algorithm"],
                tsig_secret=secret,
                control_path=options["rndc_config"] or options["knot_socket"],
                zone_directory=options["zone_directory"],
                actor=Actor.cli(),
            )
        except (ValueError, ValidationError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"nameserver {nameserver.name} added ({nameserver.kind}, {nameserver.address}#{nameserver.port})"
        )
