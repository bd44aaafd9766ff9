"""Hashing of random secrets (API key secrets, Dynamic DNS host passwords).

These secrets are 32 random bytes, so a salted HMAC-SHA256 makes a stolen table useless (there is nothing to guess),
and it costs microseconds, so every request may carry the secret. People's passwords use Django's slow hashers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Hashed for unknown key ids, so that a miss costs what a hit costs and timing does not reveal which ids exist.
DUMMY_SALT = b"\0" * 16


def secret_hash(secret: str, salt: bytes | None = None) -> str:
    """'<salt hex>$<hmac-sha256 hex>' of `secret`, with a fresh salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{salt.hex()}${digest}"


def secret_matches(stored: str, secret: str) -> bool:
    """Constant time in the secret: the comparison is of two digests of the same length."""
    salt_hex, _, _ = stored.partition("$")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(secret_hash(secret, salt), stored)
