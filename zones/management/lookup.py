"""Shared by the staff commands: find what a command names, or stop with a message that says what is missing."""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.core.management.base import CommandError

from panel.models import Account
from zones import records, selectors
from zones.models import Zone
from zones.records import RecordError


def zone_named(name: str) -> Zone:
    try:
        zone = selectors.zone_by_name(records.zone_name_normalize(name))
    except RecordError as exc:
        raise CommandError(f"{name!r} is not a zone name: {exc}") from None
    if zone is None:
        raise CommandError(f"no zone named {name}")
    return zone


def account_named(name: str) -> Account:
    account = selectors.account_by_name(name)
    if account is None:
        raise CommandError(f"no account named {name}")
    return account


def stdin(options: dict[str, Any]) -> TextIO:
    """Standard input, or the stream a caller passed as call_command(..., stdin=...) (tests, scripts)."""
    stream: TextIO = options.get("stdin") or sys.stdin
    return stream


def password_read(options: dict[str, Any], prompt: str) -> str:
    """A password from the terminal (not echoed) or the first line of standard input; never from argv, where it
    would land in shell history and in `ps`."""
    stream = stdin(options)
    if stream.isatty():
        return getpass.getpass(prompt)
    return stream.readline().rstrip("\r\n")
