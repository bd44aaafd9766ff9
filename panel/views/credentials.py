"""Credentials: the zone's legacy API password, Dynamic DNS host passwords, account API keys. Secrets are shown
once, in the response that created them, and never stored anywhere but hashed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.selectors import apikey_active
from accounts.services import ApiKeyError, Scope, apikey_create, apikey_revoke
from panel import forms, selectors
from panel.views.common import actor_of, page, public_url, zone_or_404
from zones.dyndns.services import dyndns_password_delete, dyndns_password_set
from zones.models import DynDNSHost, Zone
from zones.services import ZoneError, zone_set_api_password


def _zone_context(request: HttpRequest, zone: Zone, **extra: Any) -> dict[str, Any]:
    base = public_url(request)
    new_dyndns = extra.get("new_dyndns") or {}
    examples = zone_examples(
        zone=zone.name,
        base=base,
        api_password=extra.get("new_api_password") or "YOUR-API-PASSWORD",
        dyndns_host=new_dyndns.get("fqdn") or f"home.{zone.name}",
        dyndns_password=new_dyndns.get("password") or "HOST-PASSWORD",
    )
    return {
        "zone": zone,
        "base": base,
        "examples": examples,
        "hosts": DynDNSHost.objects.filter(zone=zone).order_by("host"),
        "password_form": extra.pop("password_form", None) or forms.ApiPasswordForm(),
        "dyndns_form": extra.pop("dyndns_form", None) or forms.DynDNSHostForm(),
        **extra,
    }


def zone_examples(*, zone: str, base: str, api_password: str, dyndns_host: str, dyndns_password: str) -> list[Example]:
    """Configuration a customer can paste: curl for both APIs, ddclient, octoDNS. Filled in for the zone."""
    parts = urlsplit(base)
    ssl = "yes" if parts.scheme == "https" else "no"
    return [
        Example(
            "ex-curl",
            "curl: Primary DNS API v1",
            f"curl --data-urlencode 'domain={zone}' \\\n"
            f"     --data-urlencode 'password={api_password}' \\\n"
            "     --data-urlencode 'command=REPLACE www 300 A 192.0.2.1' \\\n"
            f"     {base}/customer/primarydnsapi",
        ),
        Example(
            "ex-ddclient",
            "ddclient.conf",
            f"protocol=dyndns2\nuse=web, web={base}/checkip\nssl={ssl}\nserver={parts.netloc}\n"
            f"login={dyndns_host}\npassword='{dyndns_password}'\n{dyndns_host}",
        ),
        Example(
            "ex-octodns",
            "octoDNS: config.yaml",
            "providers:\n  config:\n    class: octodns.provider.yaml.YamlProvider\n    directory: ./zones\n"
            f"  ctrlpanel:\n    # speaks the Primary DNS API v1 at {base}/customer/primarydnsapi\n"
            f"    class: octodns_mythicbeasts.MythicBeastsProvider\n    passwords:\n      {zone}.: {api_password}\n"
            f"zones:\n  {zone}.:\n    sources: [config]\n    targets: [ctrlpanel]",
        ),
        Example(
            "ex-rest",
            "curl: REST API with an API key",
            f"curl -u KEY-ID:SECRET {base}/dns/v2/zones/{zone}/records\n\n"
            "curl -u KEY-ID:SECRET -X PUT -H 'Content-Type: application/json' \\\n"
            '     -d \'{"records": [{"ttl": 300, "data": "192.0.2.1"}]}\' \\\n'
            f"     {base}/dns/v2/zones/{zone}/records/www/A",
        ),
    ]


@login_required
@never_cache
def zone_credentials(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    return page(request, "panel/zone/credentials.html", _zone_context(request, found))


@login_required
@require_POST
@never_cache
def api_password_set(request: HttpRequest, zone: str) -> HttpResponse:
    """Set or rotate (or with `off`, remove) the zone's Primary DNS API v1 password."""
    found = zone_or_404(request, zone)
    form = forms.ApiPasswordForm(request.POST)
    if "off" in request.POST:
        zone_set_api_password(zone=found, password="", actor=actor_of(request))
        messages.success(request, "The Primary DNS API v1 is off for this zone.")
        return redirect("zone-credentials", zone=found.name)
    if form.is_valid():
        password = form.cleaned_data["password"] or secrets.token_urlsafe(18)
        try:
            zone_set_api_password(zone=found, password=password, actor=actor_of(request))
        except ZoneError as exc:
            form.add_error("password", str(exc))
        else:
            context = _zone_context(request, found, new_api_password=password)
            return page(request, "panel/zone/credentials.html", context)
    return page(request, "panel/zone/credentials.html", _zone_context(request, found, password_form=form), status=400)


@login_required
@require_POST
@never_cache
def dyndns_host_set(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    form = forms.DynDNSHostForm(request.POST)
    if form.is_valid():
        try:
            password = dyndns_password_set(zone=found, host=form.cleaned_data["host"], actor=actor_of(request))
        except ValueError as exc:
            form.add_error("host", str(exc))
        else:
            host = form.cleaned_data["host"].strip().lower().rstrip(".")
            fqdn = found.name if host == "@" else f"{host}.{found.name}"
            context = _zone_context(request, found, new_dyndns={"fqdn": fqdn, "password": password})
            return page(request, "panel/zone/credentials.html", context)
    return page(request, "panel/zone/credentials.html", _zone_context(request, found, dyndns_form=form), status=400)


@login_required
@require_POST
def dyndns_host_delete(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    host = request.POST.get("host", "")
    if not dyndns_password_delete(zone=found, host=host, actor=actor_of(request)):
        raise Http404("no such Dynamic DNS host")
    messages.success(request, "The host's Dynamic DNS password is removed; its records stay as they are.")
    return redirect("zone-credentials", zone=found.name)


# --- API keys -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    text: str


def _keys_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    accounts = selectors.accounts_of(request.user)
    keys = [(key, apikey_active(key)) for key in selectors.apikeys_of(request.user)]
    zone_names = list(selectors.zones_of(request.user).filter(account__in=accounts).values_list("name", flat=True)[:50])
    return {
        "keys": keys,
        "form": extra.pop("form", None) or _apikey_form(request),
        "base": public_url(request),
        "zone_names": zone_names,
        **extra,
    }


@login_required
@never_cache
def apikeys(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return page(request, "panel/keys.html", _keys_context(request))
    form = _apikey_form(request, request.POST)
    if form.is_valid():
        scope = Scope(
            zones=form.list_of("zones"),
            hosts=form.list_of("hosts"),
            record_types=form.list_of("record_types"),
            networks=form.list_of("networks"),
            read_only=form.cleaned_data["read_only"],
            expires=form.cleaned_data["expires"],
        )
        account = form.cleaned_data["account"]
        try:
            _check_zones(scope.zones, set(account.zones.values_list("name", flat=True)))
            key, secret = apikey_create(
                account=account, scope=scope, label=form.cleaned_data["label"], actor=actor_of(request)
            )
        except ApiKeyError as exc:
            form.add_error(None, str(exc))
        else:
            example_zone = (
                key.zones[0] if key.zones else (account.zones.values_list("name", flat=True).first() or "example.com")
            )
            context = _keys_context(request, new_key=key, new_secret=secret, example_zone=example_zone)
            return page(request, "panel/keys.html", context)
    return page(request, "panel/keys.html", _keys_context(request, form=form), status=400)


def _apikey_form(request: HttpRequest, data: Any = None) -> forms.ApiKeyForm:
    """Staff make keys for any account (picked by name: no page lists every account); a customer for their own."""
    staff = bool(getattr(request.user, "is_staff", False))
    return forms.ApiKeyForm(data, accounts=selectors.accounts_of(request.user), every_account=staff)


def _check_zones(wanted: tuple[str, ...], owned: set[str]) -> None:
    """A key may name only the account's own zones (apikey_create normalises; this catches a typo early)."""
    strange = [name for name in wanted if name.lower().rstrip(".") not in owned]
    if strange:
        raise ApiKeyError(f"not a zone of this account: {', '.join(strange)}")


@login_required
@require_POST
def apikey_revoke_view(request: HttpRequest, key_id: str) -> HttpResponse:
    key = selectors.apikeys_of(request.user).filter(key_id=key_id).first()
    if key is None:
        raise Http404("No such API key")
    apikey_revoke(key=key, actor=actor_of(request))
    messages.success(request, f"API key {key.key_id} is revoked; requests with it now fail.")
    return redirect("apikeys")
