"""Reads of accounts and API keys: which key a credential names, and what a key may touch.

Every restriction list of a key is "empty means unrestricted"; a key with entries allows only what they name.
"""

from __future__ import annotations

import fnmatch
import ipaddress

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone

from accounts.actors import Actor, Interface
from accounts.models import Account, ApiKey, SecurityEvent
from accounts.secrets import DUMMY_SALT, secret_hash, secret_matches
from accounts.services import token_signer


class OutOfScope(Exception):
    """The API key acting may not do this: it is read-only, belongs to another account, or its scope (zones, hosts,
    record types) does not cover it. The one such error of every API that takes keys (DNS and IPAM): a 403."""


def account_by_name(name: str) -> Account | None:
    return Account.objects.filter(name=name).first()


def apikey_verify(*, key_id: str, secret: str) -> ApiKey | None:
    """The active key with this id and secret, or None. Constant time in the secret, and in whether the id exists."""
    key = ApiKey.objects.filter(key_id=key_id[:32]).select_related("account").first()
    if key is None:
        secret_hash(secret, DUMMY_SALT)
        return None
    if not secret_matches(key.secret_hash, secret) or not apikey_active(key):
        return None
    return key


def token_verify(token: str) -> ApiKey | None:
    try:
        payload = token_signer().unsign_object(token, max_age=settings.API_TOKEN_LIFETIME)
    except signing.BadSignature:  # also SignatureExpired
        return None
    key = ApiKey.objects.filter(key_id=str(payload.get("k", ""))).select_related("account").first()
    return key if key is not None and apikey_active(key) else None


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
