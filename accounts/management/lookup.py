"""Shared by the staff commands: find the account a command names, and read a password without putting it in argv."""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.core.management.base import CommandError

from accounts.models import Account
from accounts.selectors import account_by_name


def account_named(name: str) -> Account:
    account = account_by_name(name)
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
