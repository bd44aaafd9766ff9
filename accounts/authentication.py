"""HTTP authentication by API key for the DRF views (DNS and IPAM APIs) and the Dynamic DNS endpoints."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.net import client_address
from accounts.selectors import apikey_allows_address, apikey_verify, token_verify


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
