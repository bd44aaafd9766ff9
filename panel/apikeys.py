"""API keys: creation, verification, revocation, bearer tokens, and the scope checks every API makes.

A key is a public id and a secret shown once. The secret is 32 random bytes, so a salted SHA-256 is enough to make a
stolen table useless (there is nothing to guess), and it costs microseconds, so every request may carry the secret.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fnmatch
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from panel.actors import Actor, Interface
from panel.models import Account, ApiKey
from panel.net import client_address

log = logging.getLogger(__name__)

_HOST_PATTERN = re.compile(r"^(@|[a-z0-9_*](?:[a-z0-9_*.-]{0,251}[a-z0-9_*])?)$")
_TYPE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_TOKEN_SALT = "panel.apikeys.bearer"  # noqa: S105 (a signing namespace, not a secret)
# Hashed for unknown key ids, so that a miss costs what a hit costs and timing does not reveal which ids exist.
_DUMMY_SALT = b"\0" * 16


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


# --- services ------------------------------------------------------------------------------------------------------


def apikey_create(*, account: Account, scope: Scope, actor: Actor, label: str = "") -> tuple[ApiKey, str]:
    """Create a key for `account`; return it and its secret (which is stored only hashed and cannot be shown again)."""
    secret = secrets.token_urlsafe(32)
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
    log.info("API key %s created for %s by %s", key.key_id, account.name, actor.label)
    return key, secret


def apikey_revoke(*, key: ApiKey, actor: Actor) -> None:
    key.revoked = timezone.now()
    key.save(update_fields=["revoked"])
    log.info("API key %s revoked by %s", key.key_id, actor.label)


def apikey_verify(*, key_id: str, secret: str) -> ApiKey | None:
    """The active key with this id and secret, or None. Constant time in the secret, and in whether the id exists."""
    key = ApiKey.objects.filter(key_id=key_id[:32]).select_related("account").first()
    if key is None:
        secret_hash(secret, _DUMMY_SALT)
        return None
    if not secret_matches(key.secret_hash, secret) or not apikey_active(key):
        return None
    return key


def token_issue(*, key: ApiKey) -> tuple[str, int]:
    """A bearer token for `key` and its lifetime in seconds. Stateless: revoking the key revokes its tokens."""
    return signing.dumps({"k": key.key_id}, salt=_TOKEN_SALT), settings.API_TOKEN_LIFETIME


def token_verify(token: str) -> ApiKey | None:
    try:
        payload = signing.loads(token, salt=_TOKEN_SALT, max_age=settings.API_TOKEN_LIFETIME)
    except signing.BadSignature:  # also SignatureExpired
        return None
    key = ApiKey.objects.filter(key_id=str(payload.get("k", ""))).select_related("account").first()
    return key if key is not None and apikey_active(key) else None


# --- scope checks --------------------------------------------------------------------------------------------------


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


# --- HTTP authentication (DRF) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPrincipal:
    """request.user for a request authenticated by an API key (there is no Django user behind a key)."""

    key: ApiKey
    is_authenticated: bool = True
    is_staff: bool = False
    is_active: bool = True


def credentials_from_basic(header: str) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic` value; only the first ':' splits them (RFC 7617)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def bearer_token(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def key_from_authorization(header: str) -> ApiKey | None:
    """The active key that an Authorization header (Basic key:secret, or Bearer token) names, or None."""
    token = bearer_token(header)
    if token is not None:
        return token_verify(token)
    credentials = credentials_from_basic(header)
    if credentials is None:
        return None
    return apikey_verify(key_id=credentials[0], secret=credentials[1])


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """HTTP Basic with key id and secret, or a bearer token from POST /login; enforces the key's client networks."""

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        key = key_from_authorization(header)
        if key is None:
            raise exceptions.AuthenticationFailed("invalid API key credentials")
        address = client_address(request)
        if not apikey_allows_address(key, str(address) if address else None):
            raise exceptions.PermissionDenied("this API key may not be used from this address")
        return KeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="ctrlpanel API"'


def request_key(request: Request) -> ApiKey | None:
    """The API key a request authenticated with, or None (a panel session, or no credentials)."""
    return request.auth if isinstance(request.auth, ApiKey) else None


class KeyWritePermission(permissions.BasePermission):
    """Refuses a read-only key anything but GET, HEAD and OPTIONS (403); other principals pass to the next check."""

    message = "this API key is read-only"

    def has_permission(self, request: Request, view: object) -> bool:
        key = request_key(request)
        return key is None or not key.read_only or request.method in permissions.SAFE_METHODS


# --- validation of new keys ----------------------------------------------------------------------------------------


def secret_hash(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{salt.hex()}${digest}"


def secret_matches(stored: str, secret: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(secret_hash(secret, salt), stored)


def _zones(names: Iterable[str]) -> list[str]:
    from zones.records import RecordError, zone_name_normalize

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
