"""Who may transfer a zone from the hidden primary, and whom it NOTIFYs: read from the database and the settings for
every configuration the control channel writes (zones/push/control.py), so that each zone statement or Knot zone
entry is composed from all of a zone's settings at once.

- the provider's public secondaries (CATALOG_SECONDARIES): every zone, the catalog included, by address or, with
  CATALOG_TSIG_KEY, by that key (declared in the server's own configuration), NOTIFY signed with it;
- the zone's customer secondaries (zones.models.Secondary): by their TSIG key, and NOTIFY signed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from zones.models import Secondary


@dataclass(frozen=True)
class Peer:
    """A customer secondary as a server's configuration needs it (the secret included: never log one)."""

    key_name: str
    secret: str
    address: str
    port: int


@dataclass(frozen=True)
class Transfers:
    secondaries: tuple[Peer, ...] = ()
    public: tuple[tuple[str, int], ...] = ()
    public_key: str = ""  # the key the public secondaries transfer with; empty: by address

    @property
    def empty(self) -> bool:
        return not self.secondaries and not self.public


def public_secondaries() -> tuple[tuple[str, int], ...]:
    """CATALOG_SECONDARIES as (address, port): "192.0.2.1", "192.0.2.1#5353", "2001:db8::1#53"."""
    result = []
    for text in settings.CATALOG_SECONDARIES:
        host, _, port = text.strip().partition("#")
        if host:
            result.append((host, int(port or 53)))
    return tuple(result)


def _peer(row: Secondary) -> Peer:
    return Peer(key_name=row.tsig_name, secret=row.tsig_secret, address=row.address, port=row.port)


def zone_transfers(zone_name: str) -> Transfers:
    rows = Secondary.objects.filter(zone__name=zone_name).order_by("pk")
    return Transfers(
        secondaries=tuple(_peer(row) for row in rows),
        public=public_secondaries(),
        public_key=str(settings.CATALOG_TSIG_KEY).strip(),
    )


def secondary_keys() -> tuple[Peer, ...]:
    """Every customer secondary's key, of every zone (BIND reads them all from one included file)."""
    return tuple(_peer(row) for row in Secondary.objects.order_by("pk"))
