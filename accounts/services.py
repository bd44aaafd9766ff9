"""Writes to accounts, their members (people who log in to the panel) and their API keys."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import Account, ApiKey, SecurityEvent
from accounts.secrets import secret_hash
from zones.records import RecordError, zone_name_normalize

log = logging.getLogger(__name__)

# A signing namespace for bearer tokens, not a secret (its value dates from when keys lived in panel/).
TOKEN_SALT = "panel.apikeys.bearer"  # noqa: S105
_HOST_PATTERN = re.compile(r"^(@|[a-z0-9_*](?:[a-z0-9_*.-]{0,251}[a-z0-9_*])?)$")
_TYPE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")


class AccountError(Exception):
    """A request about accounts or their members that cannot be carried out."""


class ApiKeyError(ValueError):
    """A key cannot be created as asked (unknown zone, malformed pattern, ...)."""


@dataclass(frozen=True)
class Scope:
    """What a new key may touch; empty tuples mean unrestricted."""

    zones: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    record_types: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    read_only: bool = False
    expires: datetime.datetime | None = None


# --- accounts and people -------------------------------------------------------------------------------------------


def account_create(*, name: str, actor: Actor, display_name: str = "") -> Account:
    if Account.objects.filter(name=name).exists():
        raise AccountError(f"the account {name} exists already")
    account = Account(name=name, display_name=display_name)
    try:
        account.full_clean()
    except ValidationError as exc:
        raise AccountError("; ".join(exc.messages)) from None
    with transaction.atomic():
        account.save()
        security_event_record(
            action=SecurityEvent.Action.ACCOUNT_CREATED, actor=actor, account=account, subject=account.name
        )
    log.info("account %s created by %s", name, actor.label)
    return account


def user_create(
    *,
    username: str,
    password: str,
    actor: Actor,
    account: Account | None = None,
    email: str = "",
    is_staff: bool = False,
) -> AbstractUser:
    """Create a person who can log in to the panel, as a member of `account` (staff need none).

    The password must pass Django's validators: it guards the zones and address space of a whole account.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise AccountError(f"the user {username} exists already")
    candidate = user_model(username=username, email=email, is_staff=is_staff)
    try:
        candidate.full_clean(exclude=["password"])
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    with transaction.atomic():
        user = user_model.objects.create_user(username=username, email=email, password=password, is_staff=is_staff)
        if account is not None:
            account.members.add(user)
        security_event_record(
            action=SecurityEvent.Action.USER_CREATED,
            actor=actor,
            account=account,
            subject=username,
            detail={"staff": is_staff},
        )
    log.info("user %s created%s by %s", username, f" in {account.name}" if account else "", actor.label)
    return user


# --- API keys ------------------------------------------------------------------------------------------------------


def apikey_create(*, account: Account, scope: Scope, actor: Actor, label: str = "") -> tuple[ApiKey, str]:
    """Create a key for `account`; return it and its secret (which is stored only hashed and cannot be shown again)."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            account=account,
            key_id=secrets.token_hex(8),
            secret_hash=secret_hash(secret),
            label=label,
            zones=_zones(scope.zones),
            hosts=[_host_pattern(h) for h in scope.hosts],
            record_types=[_record_type(t) for t in scope.record_types],
            networks=[_network(n) for n in scope.networks],
            read_only=scope.read_only,
            expires=scope.expires,
        )
        security_event_record(
            action=SecurityEvent.Action.APIKEY_CREATED,
            actor=actor,
            account=account,
            subject=key.key_id,
            detail=_scope_facts(key),
        )
    log.info("API key %s created for %s by %s", key.key_id, account.name, actor.label)
    return key, secret


def apikey_revoke(*, key: ApiKey, actor: Actor) -> None:
    key.revoked = timezone.now()
    with transaction.atomic():
        key.save(update_fields=["revoked"])
        security_event_record(
            action=SecurityEvent.Action.APIKEY_REVOKED, actor=actor, account=key.account, subject=key.key_id
        )
    log.info("API key %s revoked by %s", key.key_id, actor.label)


# --- the second factor ---------------------------------------------------------------------------------------------


def totp_enable(*, device: TOTPDevice, actor: Actor) -> None:
    """Confirm the person's new authenticator (they proved with a code that it works): from now on signing in asks
    for a code. Recorded in the security log of each account the person is a member of."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _totp_record(SecurityEvent.Action.TOTP_ENABLED, device.user, actor)
    log.info("TOTP turned on for %s by %s", device.user.get_username(), actor.label)


def totp_disable(*, user: AbstractBaseUser, actor: Actor) -> None:
    """Remove every authenticator of `user` (the caller checked a code from the confirmed one): the password alone
    signs in again."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        _totp_record(SecurityEvent.Action.TOTP_DISABLED, user, actor)
    log.info("TOTP turned off for %s by %s", user.get_username(), actor.label)


def _totp_record(action: SecurityEvent.Action, user: AbstractBaseUser, actor: Actor) -> None:
    # A person's second factor guards every account they are a member of, so each account's log shows it.
    accounts: list[Account | None] = [*Account.objects.filter(members__id=user.pk)] or [None]
    for account in accounts:
        security_event_record(action=action, actor=actor, account=account, subject=user.get_username())


def token_issue(*, key: ApiKey) -> tuple[str, int]:
    """A bearer token for `key` and its lifetime in seconds. Stateless: revoking the key revokes its tokens."""
    return token_signer().sign_object({"k": key.key_id}), settings.API_TOKEN_LIFETIME


def token_signer() -> signing.TimestampSigner:
    """Signs and checks bearer tokens (HMAC-SHA256 with SECRET_KEY, timestamped). Its parts are joined with '.', not
    Django's ':': acme.sh cuts the token out of the JSON with `cut -d : -f 2`, and with '.' every character of a
    token is URL-safe ([A-Za-z0-9_.-])."""
    return signing.TimestampSigner(salt=TOKEN_SALT, sep=".")


def _scope_facts(key: ApiKey) -> dict[str, object]:
    """What the key may touch, for the security log: everything about it but its secret."""
    return {
        "label": key.label,
        "zones": key.zones,
        "hosts": key.hosts,
        "record_types": key.record_types,
        "networks": key.networks,
        "read_only": key.read_only,
        "expires": key.expires.isoformat() if key.expires else None,
    }


def _zones(names: Iterable[str]) -> list[str]:
    try:
        return [zone_name_normalize(name) for name in names]
    except RecordError as exc:
        raise ApiKeyError(str(exc)) from None


def _host_pattern(text: str) -> str:
    pattern = text.strip().lower().rstrip(".") or "@"
    if not _HOST_PATTERN.match(pattern):
        raise ApiKeyError(f"invalid host pattern {text!r}: letters, digits, '-', '_', '.', '*' or '@'")
    return pattern


def _record_type(text: str) -> str:
    rdtype = text.strip().upper()
    if not _TYPE.match(rdtype):
        raise ApiKeyError(f"invalid record type {text!r}")
    return rdtype


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ApiKeyError(f"invalid network {text!r}") from None
