"""The acting principal of a change: who, through which interface, from where."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Interface(enum.StrEnum):
    PANEL = "panel"
    API = "api"
    LEGACY = "legacy"
    DYNDNS = "dyndns"
    CLI = "cli"


@dataclass(frozen=True)
class Actor:
    """Every service call names one, so that the audit trail can say who changed what and from where.

    `label` is what the audit trail shows (a user name, "legacy API password", "API key 3f2a…"); it never holds a
    secret. Staff actors may change what belongs to the provider (the apex NS set).
    """

    interface: Interface
    label: str
    user: AbstractBaseUser | AnonymousUser | None = None
    address: str | None = None
    is_staff: bool = False

    @classmethod
    def cli(cls, label: str = "staff command line") -> Actor:
        return cls(interface=Interface.CLI, label=label, is_staff=True)
