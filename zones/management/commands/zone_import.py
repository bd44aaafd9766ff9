from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.management.lookup import stdin
from zones.management.lookup import zone_named
from zones.services import ZoneError, zone_import


class Command(BaseCommand):
    help = (
        "Make the zone's records those of a master file ('-' reads standard input), all or nothing. "
        "The SOA and apex NS records stay the provider's."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zone")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        zone = zone_named(options["zone"])
        text = _read(options["file"], options)
        version = zone.version
        try:
            result = zone_import(zone=zone, text=text, actor=Actor.cli(), dry_run=options["dry_run"])
        except ZoneError as exc:
            raise CommandError(str(exc)) from None
        if not result.ok:
            raise CommandError("nothing imported:\n" + "\n".join(result.errors))
        if options["dry_run"]:
            self.stdout.write(f"{zone.name}: the file is valid; nothing changed (dry run)")
        elif zone.version == version:
            self.stdout.write(f"{zone.name}: already as in the file; nothing changed")
        else:
            self.stdout.write(f"{zone.name}: imported; version {zone.version}, serial {zone.serial}")


def _read(path: str, options: dict[str, Any]) -> str:
    if path == "-":
        return stdin(options).read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
