"""Customers' own secondaries: a zone's extra nameservers that transfer it (AXFR/IXFR) from the provider's hidden
primary with a TSIG key of their own, and that the primary NOTIFYs of every change.

The rules that keep this safe:
- An address is refused when it is loopback, link-local, private, multicast, reserved or otherwise not globally
  routable, or inside the provider's own networks (SECONDARY_REFUSED_NETWORKS, the registered nameservers): NOTIFY
  must not become a way to make our servers send packets into our own network. Staff may allow ranges
  (SECONDARY_ALLOWED_NETWORKS), the test suite 127.0.0.1.
- At most ZONE_MAX_SECONDARIES per zone, counted under the zone's row lock.
- One TSIG key (hmac-sha256) per secondary, generated here. The secret is stored as the primary's configuration needs
  it (base64: a hash would not do), returned once to the caller that added the secondary, and never logged or
  written to the security log; the key's name is not secret.
- Every add and remove writes a security-log row in its own transaction, and reaches the nameservers after commit
  (zones/push/transfers.py).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import secrets
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import SecurityEvent
from zones import records, tasks
from zones.models import Nameserver, Secondary, Zone

log = logging.getLogger(__name__)

TSIG_ALGORITHM = "hmac-sha256"
SECRET_BYTES = 32
CHECK_TIMEOUT = 2.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SecondaryError(Exception):
    """A secondary that cannot be added or removed as asked (a refused address, the per-zone maximum, ...)."""


@dataclass(frozen=True)
class SecondaryAdded:
    """The new secondary and its TSIG secret: the one time the secret is handed out."""

    secondary: Secondary
    secret: str


# --- addresses ----------------------------------------------------------------------------------------------------


def _networks(texts: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(text.strip(), strict=False) for text in texts if text.strip()]


def _provider_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nameservers = [f"{address}" for address in Nameserver.objects.values_list("address", flat=True)]
    return _networks([*settings.SECONDARY_REFUSED_NETWORKS, *nameservers])


def address_refusal(text: str) -> str | None:
    """Why `text` may not be a secondary's address, or None when it may."""
    try:
        address: IPAddress = ipaddress.ip_address(text.strip())
    except ValueError:
        return f"{text!r} is not an IP address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1 on the wire
    if any(address in network for network in _networks(settings.SECONDARY_ALLOWED_NETWORKS)):
        return None
    for flag, what in (
        (address.is_loopback, "a loopback"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (address.is_unspecified, "an unspecified"),
        (address.is_private, "a private"),
        (not address.is_global, "a reserved or not globally routable"),
    ):
        if flag:
            return f"{address} is {what} address"
    if any(address in network for network in _provider_networks()):
        return f"{address} is in the provider's own network"
    return None


# --- adding and removing ------------------------------------------------------------------------------------------


def secondary_add(*, zone: Zone, address: str, actor: Actor, port: int = 53, label: str = "") -> SecondaryAdded:
    """Add a secondary of `zone` at `address`#`port` with a new TSIG key; the result carries the secret (once)."""
    refusal = address_refusal(address)
    if refusal is not None:
        raise SecondaryError(refusal)
    if not 1 <= port <= 65535:
        raise SecondaryError(f"port {port} is not between 1 and 65535")
    label = label.strip()
    if len(label) > 100 or any(ord(ch) < 0x20 for ch in label):
        raise SecondaryError("the label may have at most 100 characters and no control characters")
    secret = base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
    with transaction.atomic():
        locked = Zone.objects.select_for_update().select_related("account").get(pk=zone.pk)
        maximum = settings.ZONE_MAX_SECONDARIES
        if Secondary.objects.filter(zone=locked).count() >= maximum:
            raise SecondaryError(f"a zone may have at most {maximum} secondaries")
        secondary = Secondary(
            zone=locked,
            label=label,
            address=str(ipaddress.ip_address(address.strip())),
            port=port,
            tsig_name=_key_name(locked.name),
            tsig_secret=secret,
        )
        try:
            with transaction.atomic():
                secondary.save()
        except IntegrityError:
            raise SecondaryError(f"{zone.name} has a secondary at {secondary.address}#{port} already") from None
        _record(SecurityEvent.Action.SECONDARY_ADDED, secondary, locked, actor)
        transaction.on_commit(lambda: transfers_enqueue(zone_id=locked.pk))
    log.info("secondary %s#%s of %s added by %s", secondary.address, port, locked.name, actor.label)
    return SecondaryAdded(secondary=secondary, secret=secret)


def secondary_remove(*, secondary: Secondary, actor: Actor) -> None:
    """Remove the secondary: the primary stops allowing its key and notifying its address."""
    with transaction.atomic():
        zone = Zone.objects.select_for_update().select_related("account").get(pk=secondary.zone_id)
        if not Secondary.objects.filter(pk=secondary.pk).delete()[0]:
            raise SecondaryError(f"{zone.name} has no such secondary")
        _record(SecurityEvent.Action.SECONDARY_REMOVED, secondary, zone, actor)
        transaction.on_commit(lambda: transfers_enqueue(zone_id=zone.pk, removed=[secondary.tsig_name]))
    log.info("secondary %s#%s of %s removed by %s", secondary.address, secondary.port, zone.name, actor.label)


def _key_name(zone_name: str) -> str:
    # Unique across zones (a key names one secondary of one zone); the zone in the name helps a reader of a config.
    suffix = secrets.token_hex(6)
    name = f"xfr-{suffix}.{zone_name}"
    return name if len(name) <= 200 else f"xfr-{suffix}.ctrlpanel"


def _record(action: SecurityEvent.Action, secondary: Secondary, zone: Zone, actor: Actor) -> None:
    security_event_record(
        action=action,
        actor=actor,
        account=zone.account,
        subject=zone.name,
        detail={
            "address": secondary.address,
            "port": secondary.port,
            "label": secondary.label,
            "tsig_name": secondary.tsig_name,
        },
    )


def transfers_enqueue(*, zone_id: int, removed: list[str] | None = None) -> None:
    """Ask a worker to configure the zone's transfers on the nameservers. A broker outage must not fail the committed
    request; `manage.py zones_transfers` (or the next add or remove) configures them later."""
    try:
        tasks.zone_transfers_configure.delay(zone_id, removed or [])
    except Exception:  # the broker is down; the secondaries wait for the next configuration
        log.warning("could not enqueue the transfer configuration of zone %s", zone_id, exc_info=True)


# --- what the customer sees ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondaryStatus:
    secondary: Secondary
    serial: int | None  # what it served when last asked
    primary_serial: int  # what the primary serves (the zone's serial unless a signer counts its own)
    current: bool


def secondary_check(*, secondary: Secondary) -> Secondary:
    """Ask the secondary for the zone's SOA (UDP, TCP when truncated) and keep what it said."""
    origin = records.zone_origin(secondary.zone.name)
    error = ""
    serial: int | None = None
    try:
        query = dns.message.make_query(origin, dns.rdatatype.SOA)
        response, _ = dns.query.udp_with_fallback(query, secondary.address, port=secondary.port, timeout=CHECK_TIMEOUT)
        serial = _serial(response, origin)
        if serial is None:
            error = f"does not serve the zone ({dns.rcode.to_text(response.rcode())})"
    except (OSError, EOFError, dns.exception.DNSException) as exc:
        error = f"no answer: {type(exc).__name__}"
    secondary.last_serial, secondary.checked, secondary.check_error = serial, timezone.now(), error
    Secondary.objects.filter(pk=secondary.pk).update(last_serial=serial, checked=secondary.checked, check_error=error)
    return secondary


def _serial(response: dns.message.Message, origin: dns.name.Name) -> int | None:
    if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
        return None
    soa = response.get_rrset(response.answer, origin, dns.rdataclass.IN, dns.rdatatype.SOA)
    return int(soa[0].serial) if soa else None


def secondaries_status(*, zone: Zone, check: bool = False) -> list[SecondaryStatus]:
    """The zone's secondaries with the serial each served when last asked (asked now with `check`) and whether that
    is the serial the primary serves."""
    rows = list(Secondary.objects.filter(zone=zone).select_related("zone"))
    if check:
        rows = [secondary_check(secondary=row) for row in rows]
    primary = primary_serial(zone)
    return [
        SecondaryStatus(
            secondary=row, serial=row.last_serial, primary_serial=primary, current=row.last_serial == primary
        )
        for row in rows
    ]


def primary_serial(zone: Zone) -> int:
    """The serial the hidden primary serves: a signer with inline signing counts its own, which is what secondaries
    transfer. The zone's serial when no primary answers."""
    host, port = primary_endpoint()
    if host:
        try:
            query = dns.message.make_query(records.zone_origin(zone.name), dns.rdatatype.SOA)
            response = dns.query.tcp(query, host, port=port, timeout=CHECK_TIMEOUT)
            served = _serial(response, records.zone_origin(zone.name))
            if served is not None:
                return served
        except (OSError, EOFError, dns.exception.DNSException):
            pass
    return zone.serial


def primary_endpoint() -> tuple[str, int]:
    """Where customers' secondaries transfer from: ZONE_TRANSFER_PRIMARY ("address" or "address#port"), else the
    first enabled nameserver; ("", 53) when there is none."""
    text = str(settings.ZONE_TRANSFER_PRIMARY).strip()
    if text:
        host, _, port = text.partition("#")
        return host, int(port or 53)
    nameserver = Nameserver.objects.filter(enabled=True).order_by("pk").first()
    return (nameserver.address, nameserver.port) if nameserver else ("", 53)


def config_snippets(*, secondary: Secondary, secret: str | None) -> dict[str, str]:
    """Copy-ready configuration of the customer's side for BIND, Knot, NSD and PowerDNS. Without `secret` (it is
    shown once) the snippets carry a placeholder in its place."""
    host, port = primary_endpoint()
    zone = secondary.zone.name
    key = secondary.tsig_name
    value = secret or "<the secret shown when the secondary was added>"
    return {
        "bind": (
            f'key "{key}" {{\n    algorithm {TSIG_ALGORITHM};\n    secret "{value}";\n}};\n'
            f'zone "{zone}" {{\n    type secondary;\n    file "{zone}.db";\n'
            f'    primaries {{ {host} port {port} key "{key}"; }};\n}};\n'
        ),
        "knot": (
            f"key:\n  - id: {key}\n    algorithm: {TSIG_ALGORITHM}\n    secret: {value}\n\n"
            f"remote:\n  - id: ctrlpanel-{zone}\n    address: {host}@{port}\n    key: {key}\n\n"
            f"acl:\n  - id: ctrlpanel-notify-{zone}\n    address: {host}\n    key: {key}\n    action: notify\n\n"
            f"zone:\n  - domain: {zone}\n    master: ctrlpanel-{zone}\n    acl: ctrlpanel-notify-{zone}\n"
        ),
        "nsd": (
            f'key:\n    name: "{key}"\n    algorithm: {TSIG_ALGORITHM}\n    secret: "{value}"\n\n'
            f'zone:\n    name: "{zone}"\n    allow-notify: {host} {key}\n    request-xfr: {host}@{port} {key}\n'
        ),
        "powerdns": (
            "# pdns.conf: secondary=yes\n"
            f"pdnsutil import-tsig-key {key} {TSIG_ALGORITHM} '{value}'\n"
            f"pdnsutil create-secondary-zone {zone} {host}:{port}\n"
            f"pdnsutil set-meta {zone} AXFR-MASTER-TSIG {key}\n"
        ),
    }
