"""Zone names a customer may not create, whichever interface they use (zones.services.zone_create asks here).

- Public suffixes (the Public Suffix List, ICANN and private sections, from the `publicsuffixlist` package's bundled
  snapshot: no network at run time). A customer holding `co.uk` would block every other customer's `*.co.uk` zone
  as overlapping it, and answer for names that are not theirs.
- The provider's own domains: those of its nameservers and SOA contact, its panel and legacy API hosts, and
  `RESERVED_ZONES`; the names at, below and above them. A customer holding the zone of `ns1.<provider>` could point
  every zone's nameserver wherever they like.
- `.arpa`: only reverse zones (in-addr.arpa, ip6.arpa) inside the customer's own address space, never their parents.
  Which space is whose is the address-space app's knowledge: it registers the check (`reverse_zone_check_register`)
  from its AppConfig.ready, so that zones never imports ipam (ipam imports zones). Without a registered check no
  customer may create a reverse zone at all.
- Single labels (top-level domains): refused by `records.zone_name_normalize` already; checked again here.

Staff create such zones from the command line (`manage.py zone_create --allow-reserved`); `zones_check_names`
reports existing zones that break these rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from publicsuffixlist import PublicSuffixList

from accounts.models import Account

REVERSE_SUFFIXES = ("in-addr.arpa", "ip6.arpa")

# (zone name, account) -> True when the zone lies inside address space the account holds.
ReverseCheck = Callable[[str, Account], bool]
_reverse_checks: list[ReverseCheck] = []


def reverse_zone_check_register(check: ReverseCheck) -> None:
    """Let `check` decide which reverse zones an account may create (the address-space app registers one)."""
    if check not in _reverse_checks:
        _reverse_checks.append(check)


@lru_cache(maxsize=4)
def _suffix_list(path: str) -> PublicSuffixList:
    if not path:
        return PublicSuffixList()  # the snapshot the package ships
    with Path(path).open(encoding="utf-8") as source:
        return PublicSuffixList(source)


def public_suffix_list() -> PublicSuffixList:
    """The list in use: `PUBLIC_SUFFIX_LIST_FILE` when set (a newer copy staff keep), else the package's snapshot."""
    return _suffix_list(settings.PUBLIC_SUFFIX_LIST_FILE)


def _host_names() -> Iterable[str]:
    yield from settings.ZONE_NAMESERVERS
    yield settings.ZONE_SOA_MNAME
    # The SOA contact's mailbox: the first label is the local part (hostmaster), the rest its domain.
    yield settings.ZONE_SOA_RNAME.partition(".")[2]
    yield from settings.LEGACY_API_HOSTS
    if settings.PANEL_PUBLIC_URL:
        yield urlsplit(settings.PANEL_PUBLIC_URL).hostname or ""


def provider_domains() -> frozenset[str]:
    """The provider's domains: the registrable domain of each of its host names, and every `RESERVED_ZONES` name."""
    psl = public_suffix_list()
    domains = set()
    for host in _host_names():
        name = _plain(host)
        if name.count(".") >= 1:
            domains.add(psl.privatesuffix(name) or name)
    domains.update(_plain(name) for name in settings.RESERVED_ZONES)
    return frozenset(name for name in domains if name)


def _plain(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _related(a: str, b: str) -> bool:
    """a is b, or one lies inside the other."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def zone_name_refusal(zone_name: str, account: Account) -> str | None:
    """Why `account` may not have a zone of this (normalised) name, or None if it may."""
    if "." not in zone_name:
        return f"{zone_name} is a top-level domain"
    if any(_related(zone_name, suffix) for suffix in REVERSE_SUFFIXES):
        if zone_name not in REVERSE_SUFFIXES and any(check(zone_name, account) for check in _reverse_checks):
            return None
        return f"{zone_name} is a reverse zone outside your address space: ask staff for reverse DNS of your space"
    if _related(zone_name, "arpa"):
        return f"{zone_name} belongs to the internet's infrastructure (.arpa)"
    if public_suffix_list().is_public(zone_name):
        return f"{zone_name} is a public suffix (a registry's name, under which others register theirs)"
    for domain in sorted(provider_domains()):
        if _related(zone_name, domain):
            return f"{zone_name} is reserved for the provider ({domain})"
    return None
