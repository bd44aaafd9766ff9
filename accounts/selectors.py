"""Reads of accounts and API keys: which key a credential names, and what a key may touch.

Every restriction list of a key is "empty means unrestricted"; a key with entries allows only what they name.
"""

from __future__ import annotations

import datetime
import fnmatch
import ipaddress
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import sql
from accounts.actors import Actor, Interface
from accounts.memory import Remembered, credential_digest
from accounts.models import Account, ApiKey, SecurityEvent
from accounts.secrets import DUMMY_SALT, secret_hash, secret_matches
from accounts.services import token_signer


class OutOfScope(Exception):
    """The API key acting may not do this: it is read-only, belongs to another account, or its scope (zones, hosts,
    record types) does not cover it. The one such error of every API that takes keys (DNS and IPAM): a 403."""


def account_by_name(name: str) -> Account | None:
    return Account.objects.filter(name=name).first()


@dataclass(frozen=True)
class KeyCheck:
    """A credential's key as far as this process can tell without the database, and the read that settles it.

    `remembered` is the key this process verified for the credential before (None: it has not, or no longer may use
    it); `verified` reads the key's row and gives the key as it is now: the remembered one while its row is as it was,
    else the credential verified afresh (None if it no longer names an active key). A remembered key may be acted on
    before `verified` runs only by a caller that runs it in the same round trip as its first query and starts again
    from `verified`'s key when that is not the remembered one (zones/api/views.py, V2View)."""

    remembered: ApiKey | None
    verified: sql.Read[ApiKey | None]


def apikey_verify(*, key_id: str, secret: str) -> ApiKey | None:
    """The active key with this id and secret, or None. Constant time in the secret, and in whether the id exists.

    A verified key is remembered in this process (apikey_check), so that a client calling many times a second pays
    one indexed read of the key's row per request instead of the ORM's read and the hash."""
    return apikey_check(key_id=key_id, secret=secret).verified.run()


def apikey_check(*, key_id: str, secret: str) -> KeyCheck:
    """apikey_verify, with the read of a remembered key's row left to the caller (KeyCheck)."""
    digest = credential_digest("basic", key_id, secret)

    def fresh() -> ApiKey | None:
        # A NUL names no key, and PostgreSQL refuses it in a parameter (a 500 for a fuzzed user name).
        key = None if "\0" in key_id else ApiKey.objects.filter(key_id=key_id[:32]).select_related("account").first()
        if key is None:
            secret_hash(secret, DUMMY_SALT)
            return None
        if not secret_matches(key.secret_hash, secret) or not apikey_active(key):
            return None
        return _remembered(digest, key)

    return _check(digest, fresh)


def token_verify(token: str) -> ApiKey | None:
    return token_check(token).verified.run()


def token_check(token: str) -> KeyCheck:
    """The key a bearer token from POST /login stands for (token_verify), as apikey_check gives it."""
    digest = credential_digest("bearer", token)
    if _token_age(token) > settings.API_TOKEN_LIFETIME:  # the lifetime as it is now, for a remembered token too
        return KeyCheck(None, sql.Read(None, lambda _: None))

    def fresh() -> ApiKey | None:
        try:
            payload = token_signer().unsign_object(token, max_age=settings.API_TOKEN_LIFETIME)
        except signing.BadSignature:  # also SignatureExpired
            return None
        key = ApiKey.objects.filter(key_id=str(payload.get("k", ""))).select_related("account").first()
        if key is None or not apikey_active(key):
            return None
        # A token expires on its own: remembered no longer than it is valid.
        return _remembered(digest, key, min(REMEMBERED_TTL, settings.API_TOKEN_LIFETIME - _token_age(token)))

    return _check(digest, fresh)


def _token_age(token: str) -> float:
    """Seconds since the token was signed, by its timestamp (value.timestamp.signature; infinite if it has none).
    Authentic only once its signature is checked: a remembered token's was."""
    try:
        return time.time() - signing.b62_decode(token.rsplit(".", 2)[1])
    except (IndexError, ValueError):
        return float("inf")


# Verified credentials of this process: HMAC(SECRET_KEY, credential) -> the key, the state row it was verified with,
# and when to forget it. Never the secret itself. Every use reads the key's row again (one indexed statement, no ORM)
# and compares it with the remembered one: a key revoked, deleted (its account too), given a new secret, or changed
# in scope since is verified afresh, by every worker, at its next request. Expiry is compared with the clock.
REMEMBERED_TTL = 300.0
_REMEMBERED: Remembered[bytes, tuple[ApiKey, tuple[Any, ...]]] = Remembered(ttl=REMEMBERED_TTL)
_STATE = (
    "SELECT account_id, secret_hash, zones, hosts, record_types, networks, read_only, expires, revoked"
    " FROM panel_apikey WHERE id = %s"
)


def _state_read(key_pk: int) -> sql.Read[tuple[Any, ...] | None]:
    """The key's row as `_state_of` gives it, read in one statement without the ORM (prepared on PostgreSQL:
    accounts.sql), None if the key is gone."""
    return sql.Read((_STATE, [key_pk]), lambda rows: _state_from(rows[0]) if rows else None)


def _state_from(row: tuple[Any, ...]) -> tuple[Any, ...]:
    account_id, stored, zones, hosts, types, networks, read_only, expires, revoked = row
    lists = [json.loads(value) if isinstance(value, str) else value for value in (zones, hosts, types, networks)]
    return (int(account_id), stored, *lists, bool(read_only), _moment(expires), revoked is not None)


def _state_of(key: ApiKey) -> tuple[Any, ...]:
    lists = (key.zones, key.hosts, key.record_types, key.networks)
    return (key.account_id, key.secret_hash, *lists, key.read_only, key.expires, key.revoked is not None)


def _moment(value: object) -> datetime.datetime | None:
    """A timestamp column as SQLite (text, UTC) or PostgreSQL (an aware datetime) returns it."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(str(value))
    return parsed if parsed is None or timezone.is_aware(parsed) else parsed.replace(tzinfo=datetime.UTC)


def _remembered(digest: bytes, key: ApiKey, ttl: float = REMEMBERED_TTL) -> ApiKey:
    if ttl > 0:
        _REMEMBERED.put(digest, (key, _state_of(key)), ttl=ttl)
    return key


def _check(digest: bytes, fresh: Callable[[], ApiKey | None]) -> KeyCheck:
    """The KeyCheck of a credential: the remembered key, checked by a read of its row (its state as it was verified,
    and not expired since), or nothing remembered and `fresh` to verify it."""
    found = _REMEMBERED.get(digest)
    if found is None or not apikey_active(found[0]):
        _REMEMBERED.forget(digest)
        return KeyCheck(None, sql.Read(None, lambda _: fresh()))
    key, state = found

    def settled(now: tuple[Any, ...] | None) -> ApiKey | None:
        if now == state:
            return key
        _REMEMBERED.forget(digest)
        return fresh()

    return KeyCheck(key, _state_read(key.pk).then(settled))


def apikey_active(key: ApiKey) -> bool:
    return key.revoked is None and (key.expires is None or key.expires > timezone.now())


def apikey_allows_address(key: ApiKey, address: str | None) -> bool:
    if not key.networks:
        return True
    if address is None:
        return False
    parsed = ipaddress.ip_address(address)
    return any(parsed in ipaddress.ip_network(network) for network in key.networks)


def apikey_allows_zone(key: ApiKey, *, zone_name: str, account_id: int) -> bool:
    """A key never sees another account's zones, and only the listed ones if it lists any."""
    return account_id == key.account_id and (not key.zones or zone_name in key.zones)


def apikey_allows_record(key: ApiKey, *, host: str, rdtype: str) -> bool:
    """`host` is relative to the zone apex ('@' for the apex), lower-case; `rdtype` upper-case."""
    if key.record_types and rdtype not in key.record_types:
        return False
    return not key.hosts or any(fnmatch.fnmatchcase(host, pattern) for pattern in key.hosts)


def apikey_allows_reverse_record(key: ApiKey, *, zone_name: str, host: str, rdtype: str) -> bool:
    """A record in one of the provider's reverse zones (ip6.arpa, in-addr.arpa), at names inside an allocation of the
    key's account (the IPAM services check that part: it is what makes the change the account's to make).

    The zone belongs to the provider, not to the key's account, so `apikey_allows_zone` cannot apply; the key's lists
    apply as they do in the account's own zones, default deny: a zone list must name the reverse zone, host patterns
    (relative to that reverse zone) and record types must match. So an unrestricted key manages the reverse DNS of all
    its account's space, a key restricted to record type PTR only PTRs (in reverse and forward zones alike), and a key
    restricted to forward zones (example.com) none of it.
    """
    return (not key.zones or zone_name in key.zones) and apikey_allows_record(key, host=host, rdtype=rdtype)


def apikey_account_wide(key: ApiKey) -> bool:
    """True when the key is restricted to no zones, hosts or record types: it may act for its account beyond DNS
    records (file a request for address space). Read-only, client networks and expiry are separate checks."""
    return not (key.zones or key.hosts or key.record_types)


def apikey_restricted_to_records(key: ApiKey) -> bool:
    """True when the key sees only part of a zone (so whole-zone operations are not for it)."""
    return bool(key.hosts or key.record_types)


def apikey_actor(key: ApiKey, *, interface: Interface, address: str | None) -> Actor:
    return Actor(interface=interface, label=f"API key {key.key_id}", address=address)


def security_log(*, accounts: QuerySet[Account] | None) -> QuerySet[SecurityEvent]:
    """The security log, newest first: of `accounts`, or of everything (staff, and the provider's own nameservers)
    when None."""
    events = SecurityEvent.objects.order_by("-created", "-id")
    return events if accounts is None else events.filter(account__in=accounts)
