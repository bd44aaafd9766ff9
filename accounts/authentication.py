"""HTTP authentication by API key for the DRF views (DNS and IPAM APIs) and the Dynamic DNS endpoints."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.http import QueryDict
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.net import client_address
from accounts.selectors import KeyCheck, apikey_allows_address, apikey_check, token_check


@dataclass(frozen=True)
class KeyPrincipal:
    """request.user for a request authenticated by an API key (there is no Django user behind a key)."""

    key: ApiKey
    is_authenticated: bool = True
    is_staff: bool = False
    is_active: bool = True


def credentials_from_basic(header: str) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic` value, or None for anything else: any text, never an error.

    Only the first ':' splits them (RFC 7617). CR and LF around the password are dropped: shell clients build the
    header with `echo "$KEY:$SECRET" | base64`, which encodes echo's newline too, and no secret we issue (URL-safe
    base64) contains either."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip().encode("ascii"), validate=True).decode("utf-8")
    except ValueError:  # non-ASCII text, bad base64 (binascii.Error), or bytes that are not UTF-8 (UnicodeError)
        return None
    user, sep, password = decoded.partition(":")
    return (user, password.strip("\r\n")) if sep else None


def bearer_token(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_from_authorization(header: str) -> KeyCheck | None:
    """The KeyCheck of the credential an Authorization header carries; None for a header that carries none."""
    token = bearer_token(header)
    if token is not None:
        return token_check(token)
    credentials = credentials_from_basic(header)
    if credentials is None:
        return None
    return apikey_check(key_id=credentials[0], secret=credentials[1])


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """HTTP Basic with key id and secret, or a bearer token from POST /login; enforces the key's client networks.

    A key this process remembers is read again from its row on every request. A view whose `key_check_later` is true
    sends that read itself, in the round trip of its first query (V2View: with the request's rate counts), and is
    given the remembered key to work with until then: `pending_key_check(request)` is the read it must send."""

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        return principal(request, _settled(request, check_from_authorization(header)))

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="ctrlpanel API"'


def _settled(request: Request, check: KeyCheck | None) -> ApiKey | None:
    """The key to authenticate the request with: the remembered one, its read left pending, where the view sends
    that read itself (and the remembered key would not be refused its address: a refusal waits for the read); else
    the key as the read (one round trip, or a full verification) gives it."""
    if check is None:
        return None
    view = (request.parser_context or {}).get("view")
    if (
        check.remembered is not None
        and getattr(view, "key_check_later", False)
        and _allowed_from(request, check.remembered)
    ):
        request._key_check = check  # type: ignore[attr-defined]  # DRF's Request takes attributes
        return check.remembered
    return check.verified.run()


def pending_key_check(request: Request) -> KeyCheck | None:
    """The check of the request's remembered key that the view has yet to send (None: there is none), handed over
    once: the caller sends it."""
    check: KeyCheck | None = request.__dict__.pop("_key_check", None)
    return check


# Where routers and scripts that cannot send an Authorization header put the key (the v2 dynamic DNS page's names).
CREDENTIAL_PARAMETERS = ("username", "password")


class ApiKeyParameterAuthentication(ApiKeyAuthentication):
    """For the dynamic DNS endpoint: the Authorization header as above, or the key as `username` (key id) and
    `password` (secret) in the query string or a form-encoded body. One place only: two would be two keys to choose
    between."""

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, ApiKey] | None:
        places = [_parameters(request.query_params), _parameters(request.data)]
        given = [pair for pair in places if pair is not None]
        if not given:
            return super().authenticate(request)
        if len(given) > 1 or request.META.get("HTTP_AUTHORIZATION"):
            raise exceptions.AuthenticationFailed("give the API key once: an Authorization header, or parameters")
        key_id, secret = given[0]
        return principal(request, _settled(request, apikey_check(key_id=key_id, secret=secret.strip("\r\n"))))


def _parameters(data: object) -> tuple[str, str] | None:
    """(username, password) if either is there; a missing one is empty (and so fails to verify)."""
    if not isinstance(data, QueryDict) or not any(name in data for name in CREDENTIAL_PARAMETERS):
        return None
    values = [data.getlist(name) for name in CREDENTIAL_PARAMETERS]
    if any(len(value) > 1 for value in values):
        raise exceptions.AuthenticationFailed("username and password may each be given once")
    user, password = (value[0] if value else "" for value in values)
    return user, password


def principal(request: Request, key: ApiKey | None) -> tuple[KeyPrincipal, ApiKey]:
    """The request's user and auth for `key`: refused (401) without one, or (403) from an address outside the key's
    client networks."""
    if key is None:
        raise exceptions.AuthenticationFailed("invalid API key credentials")
    if not _allowed_from(request, key):
        raise exceptions.PermissionDenied("this API key may not be used from this address")
    return KeyPrincipal(key), key


def _allowed_from(request: Request, key: ApiKey) -> bool:
    address = client_address(request)
    return apikey_allows_address(key, str(address) if address else None)


def request_key(request: Request) -> ApiKey | None:
    """The API key a request authenticated with, or None (a panel session, or no credentials)."""
    return request.auth if isinstance(request.auth, ApiKey) else None


class KeyWritePermission(permissions.BasePermission):
    """Refuses a read-only key anything but GET, HEAD and OPTIONS (403); other principals pass to the next check."""

    message = "this API key is read-only"

    def has_permission(self, request: Request, view: object) -> bool:
        key = request_key(request)
        return key is None or not key.read_only or request.method in permissions.SAFE_METHODS
