"""The dyndns2 protocol: GET /nic/update?hostname=...&myip=... answered with one status line per host, with 200 (but
for a parameter the protocol does not define: 400, see below).

Credentials: HTTP Basic (an API key id and secret, or a host's fully qualified name and its Dynamic DNS password), a
bearer token from POST /login, or the same pairs as `user`/`pass` (or `username`/`password`) query parameters.

What it does not understand, it refuses, in the protocol's own answers. A parameter dyndns2 does not define is a 400
with the body `badagent` (the client is not speaking the protocol; like every interface here, an unknown parameter is
a 400, and ddclient and inadyn report a status other than 2xx as a failed update). dyndns2's own options that ask for
what this service does not do (a wildcard, a mail exchanger, a backup MX, offline mode) are `!donator` for each host,
the protocol's answer to an option the account cannot have; a `system` other than dyndns2's three is `badsys`. The
options in the states that ask for nothing (wildcard=OFF or NOCHG, an empty mx, backmx=NO, offline=NO) are accepted:
ddclient sends `system` always and wildcard, mx and backmx when configured.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import sql
from accounts.actors import Actor, Interface
from accounts.authentication import bearer_token, credentials_from_basic
from accounts.counters import count_event, count_events, counts_read
from accounts.models import ApiKey
from accounts.net import IPAddress, client_address
from accounts.selectors import (
    KeyCheck,
    apikey_allows_address,
    apikey_allows_record,
    apikey_allows_zone,
    apikey_check,
    token_check,
)
from zones import records
from zones.dyndns.selectors import HostPassword, Lookup, ZoneRef, dyndns_lookup_read, dyndns_password_verify
from zones.dyndns.services import HostUpdate, dyndns_host_update, dyndns_unchanged
from zones.models import Zone
from zones.records import RecordError
from zones.services import PreconditionFailed

log = logging.getLogger(__name__)

MAX_HOSTS = 20
_GENERIC = ("myip", "ip")
_V4 = ("myipv4",)
_V6 = ("myipv6", "ipv6")


_CREDENTIALS = ("user", "pass", "username", "password")
_OPTIONS_OFF = {"wildcard": {"", "OFF", "NOCHG"}, "mx": {""}, "backmx": {"", "NO"}, "offline": {"", "NO"}}
SYSTEMS = {"dyndns", "statdns", "custom"}
PARAMETERS = frozenset({"hostname", "system", *_GENERIC, *_V4, *_V6, *_CREDENTIALS, *_OPTIONS_OFF})


def _refusal(params: QueryDict) -> str | None:
    """The protocol's answer to a request asking what this service does not understand or do; None if it does not."""
    unknown = sorted(set(params) - PARAMETERS)
    if unknown:
        log.info("dyndns: refused unknown parameters %s", ", ".join(name[:40] for name in unknown[:5]))
        return "badagent"
    if params.get("system", "dyndns").strip().lower() not in SYSTEMS:
        return "badsys"
    for option, off in _OPTIONS_OFF.items():
        if params.get(option, "").strip().upper() not in off:
            return "!donator"
    return None


class BadAddress(ValueError):
    pass


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str


def _reply(lines: list[str], status: int = 200) -> HttpResponse:
    return HttpResponse("".join(line + "\n" for line in lines), content_type="text/plain; charset=utf-8", status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def checkip(request: HttpRequest) -> HttpResponse:
    """The caller's address in the shape dyndns clients parse (the first address-like string of the body)."""
    address = client_address(request)
    body = f"<html><head><title>Current IP Check</title></head><body>Current IP Address: {address}</body></html>\n"
    return HttpResponse(body, content_type="text/html; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def nic_update(request: HttpRequest) -> HttpResponse:
    """One round trip that reads the client's failures, looks the hosts up (their zones, the signing-in host's
    password row, their addresses) and reads the row of a key this process remembers; one round trip that counts the
    updates, then one zone_apply per host that changes (none for a `nochg`)."""
    params = request.GET.copy()
    if request.method == "POST":
        params.update(request.POST)
    client = client_address(request)
    refusal = _refusal(params)
    hostnames = [h.strip() for h in params.get("hostname", "").split(",") if h.strip()]
    credentials = _credentials(request, params)
    # A host's user name is its domain name (key ids are hex); one that is not a domain name names no host.
    user = credentials.user if isinstance(credentials, Credentials) and _is_fqdn(credentials.user) else None
    # The answers come in the order below, as if each check ran before the next: only the reads are sent together.
    looked_up = refusal is None and 0 < len(hostnames) <= MAX_HOSTS
    reads: list[sql.Read[Any]] = [_failures_read(client)]
    check = _key_check(credentials)
    # A key this process remembers: its row is read with the rest, and judged (never hashed) only after the checks
    # before authentication have let the request through.
    if looked_up:
        reads.append(dyndns_lookup_read(fqdns=[h for h in hostnames if _is_fqdn(h)], user=user))
        if check is not None and check.remembered is not None:
            reads.append(sql.Read(check.verified.statement, lambda rows: rows))
    failures, *found = sql.together(reads)
    if failures >= settings.DYNDNS_FAILURES_PER_CLIENT:
        return _reply(["abuse"])
    if refusal == "badagent":
        return _reply([refusal], status=400)
    if not hostnames:
        return _reply(["notfqdn"])
    if len(hostnames) > MAX_HOSTS:
        return _reply(["numhost"])
    if refusal is not None:
        return _reply([refusal] * len(hostnames))
    lookup: Lookup = found[0]
    principal = _authenticate(credentials, lookup, check, found[1] if len(found) > 1 else None)
    if principal is None or (isinstance(principal, ApiKey) and not _key_usable(principal, client)):
        _failure(client)
        return _reply(["badauth"] * len(hostnames))
    try:
        update = _update_from(params, client)
    except BadAddress as exc:
        log.info("dyndns: bad address from %s: %s", client, exc)
        return _reply(["911"] * len(hostnames))
    return _reply(_updates(hostnames, lookup, principal, update, _actor(principal, client)))


# --- authentication ------------------------------------------------------------------------------------------------


def _credentials(request: HttpRequest, params: QueryDict) -> Credentials | str | None:
    """Basic credentials, or a bearer token (a str), or query credentials, in that order."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = bearer_token(header)
    if token is not None:
        return token
    basic = credentials_from_basic(header)
    if basic is not None:
        return Credentials(*basic)
    for user_name, password_name in (("user", "pass"), ("username", "password")):
        if params.get(user_name) and password_name in params:
            return Credentials(str(params[user_name]), str(params[password_name]))
    return None


def _key_check(credentials: Credentials | str | None) -> KeyCheck | None:
    """The check of an API key or a bearer token (no query, no hash yet); None for a host's password, or none."""
    if isinstance(credentials, str):
        return token_check(credentials)
    if isinstance(credentials, Credentials) and "." not in credentials.user:  # key ids are hex; host names have dots
        return apikey_check(key_id=credentials.user, secret=credentials.password)
    return None


def _authenticate(
    credentials: Credentials | str | None, lookup: Lookup, check: KeyCheck | None, key_row: sql.Rows | None
) -> ApiKey | HostPassword | None:
    """Who signs in: a key (its row as read with the lookup, when it was), or a host by its password."""
    if check is not None:
        return check.verified.result(key_row) if key_row is not None else check.verified.run()
    if not isinstance(credentials, Credentials):
        return None
    return dyndns_password_verify(user=credentials.user, password=credentials.password, row=lookup.password)


def _key_usable(key: ApiKey, client: IPAddress | None) -> bool:
    return not key.read_only and apikey_allows_address(key, str(client) if client else None)


def _actor(principal: ApiKey | HostPassword, client: IPAddress | None) -> Actor:
    if isinstance(principal, ApiKey):
        label = f"API key {principal.key_id}"
    else:
        label = f"Dynamic DNS password of {principal.host}"
    return Actor(interface=Interface.DYNDNS, label=label, address=str(client) if client else None)


def _failures_read(client: IPAddress | None) -> sql.Read[int]:
    key = f"dyndns-fail:{client}"
    return counts_read([key]).then(lambda found: found[key])


def _failure(client: IPAddress | None) -> None:
    count_event(f"dyndns-fail:{client}", settings.DYNDNS_WINDOW)


# --- the update of each host ---------------------------------------------------------------------------------------


def _is_fqdn(fqdn: str) -> bool:
    try:
        records.zone_name_normalize(fqdn)  # a domain name of two labels or more
    except RecordError:
        return False
    return True


def _updates(
    hostnames: list[str], lookup: Lookup, principal: ApiKey | HostPassword, update: HostUpdate, actor: Actor
) -> list[str]:
    """One answer line per host name. The hosts that may be updated are counted first, all in one round trip; a host
    updated more often than a router needs within the window is `abuse`."""
    allowed = {
        fqdn: found
        for fqdn in hostnames
        if (found := lookup.zones.get(fqdn)) is not None and _may_update(principal, found[0], found[1], update)
    }
    counted = count_events({_hammer_key(*found): settings.DYNDNS_WINDOW for found in allowed.values()})
    lines = []
    for fqdn in hostnames:
        found = allowed.get(fqdn)
        if found is None:
            lines.append("nohost" if _is_fqdn(fqdn) else "notfqdn")
        elif counted[_hammer_key(*found)][0] > settings.DYNDNS_UPDATES_PER_HOST:
            lines.append("abuse")
        else:
            lines.append(_update_host(fqdn, found, update, lookup, actor))
    return lines


def _hammer_key(zone: ZoneRef, host: str) -> str:
    return f"dyndns-host:{zone.id}:{host}"


def _update_host(fqdn: str, found: tuple[ZoneRef, str], update: HostUpdate, lookup: Lookup, actor: Actor) -> str:
    zone, host = found
    unchanged = dyndns_unchanged(update, lookup.current(zone, host))
    if unchanged is not None:  # as the request's read found it: nothing to lock or write
        return f"nochg {','.join(unchanged)}".rstrip()
    try:
        outcome = dyndns_host_update(
            zone=Zone(pk=zone.id, name=zone.name, account_id=zone.account_id),
            host=host,
            update=update,
            actor=actor,
            precondition=lambda head: head.name == zone.name and head.account_id == zone.account_id,
        )
    except (PreconditionFailed, Zone.DoesNotExist):  # deleted (or given away) since the read
        return "nohost"
    if outcome.error is not None:
        log.info("dyndns: update of %s refused: %s", fqdn, outcome.error)
        return "911"
    word = "good" if outcome.changed else "nochg"
    return f"{word} {','.join(outcome.addresses)}".rstrip()


def _may_update(principal: ApiKey | HostPassword, zone: ZoneRef, host: str, update: HostUpdate) -> bool:
    if isinstance(principal, HostPassword):
        return principal.zone_id == zone.id and principal.host == host
    if not apikey_allows_zone(principal, zone_name=zone.name, account_id=zone.account_id):
        return False
    return all(apikey_allows_record(principal, host=host, rdtype=rdtype) for rdtype in update.types)


# --- addresses -----------------------------------------------------------------------------------------------------


@dataclass
class _Addresses:
    v4: list[ipaddress.IPv4Address] | None = None
    v6: list[ipaddress.IPv6Address] | None = None
    prefix: ipaddress.IPv6Network | None = None
    preserve: set[int] = field(default_factory=set)
    given: bool = False

    def read(self, value: str, family: int) -> None:
        if family == 0 and not value:
            return  # an empty generic value means "use my address", as the original dyndns2 service did
        self.given = True
        if not value:  # an empty family-specific value deletes that family
            if family == 4:
                self.v4 = []
            else:
                self.v6 = []
            return
        for item in (i.strip() for i in value.split(",") if i.strip()):
            self.add(item, family)

    def add(self, item: str, family: int) -> None:
        if item.lower() == "preserve":
            self.preserve |= {family} if family else {4, 6}
            return
        parsed = _parse_item(item, family)
        if isinstance(parsed, ipaddress.IPv6Network):
            self.prefix = parsed
        elif isinstance(parsed, ipaddress.IPv4Address):
            self.v4 = [*(self.v4 or []), parsed]
        else:
            self.v6 = [*(self.v6 or []), parsed]


def _update_from(params: QueryDict, client: IPAddress | None) -> HostUpdate:
    """Read myip/ip (either family), myipv4, myipv6/ipv6: comma lists; 'preserve' keeps a family; an empty
    family-specific value deletes it; an IPv6 prefix renumbers. With no address at all, the caller's address counts."""
    found = _Addresses()
    for names, family in ((_GENERIC, 0), (_V4, 4), (_V6, 6)):
        for name in names:
            if name in params:
                found.read(str(params[name]).strip(), family)
    if not found.given and isinstance(client, ipaddress.IPv4Address):
        found.v4 = [client]
    elif not found.given and isinstance(client, ipaddress.IPv6Address):
        found.v6 = [client]
    return HostUpdate(
        v4=tuple(found.v4) if found.v4 is not None and 4 not in found.preserve else None,
        v6=tuple(found.v6) if found.v6 is not None and 6 not in found.preserve else None,
        v6_prefix=found.prefix if 6 not in found.preserve else None,
    )


def _parse_item(item: str, family: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv6Network:
    try:
        if "/" in item:
            network = ipaddress.ip_network(item, strict=False)
            if not isinstance(network, ipaddress.IPv6Network) or family == 4:
                raise BadAddress(f"only IPv6 prefixes renumber: {item!r}")
            return network
        address = ipaddress.ip_address(item)
    except ValueError:
        raise BadAddress(f"not an address: {item!r}") from None
    if family and address.version != family:
        raise BadAddress(f"{item!r} is not an IPv{family} address")
    return address
