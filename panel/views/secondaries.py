"""A zone's own secondaries: add one (its TSIG secret and filled-in configuration shown once), see the serial each
serves and whether it is current, remove one. The rules are the service's (zones/secondaries.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from panel.views.common import actor_of, page, zone_or_404
from zones.models import Secondary, Zone
from zones.secondaries import (
    SecondaryAdded,
    SecondaryError,
    config_snippets,
    primary_endpoint,
    secondaries_status,
    secondary_add,
    secondary_remove,
)

TEMPLATE = "panel/zone/secondaries.html"


class SecondaryForm(forms.Form):
    address = forms.CharField(max_length=45, help_text="IPv4 or IPv6; the primary sends NOTIFY there")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=53)
    label = forms.CharField(max_length=100, required=False, help_text="A note for you, e.g. the server's name")


def _context(zone: Zone, *, check: bool = False, **extra: Any) -> dict[str, Any]:
    added: SecondaryAdded | None = extra.get("added")
    return {
        "zone": zone,
        "primary": primary_endpoint(),
        "statuses": secondaries_status(zone=zone, check=check),
        "form": extra.pop("form", None) or SecondaryForm(initial={"port": 53}),
        "snippets": config_snippets(secondary=added.secondary, secret=added.secret) if added else None,
        **extra,
    }


@login_required
@never_cache
def zone_secondaries(request: HttpRequest, zone: str) -> HttpResponse:
    return page(request, TEMPLATE, _context(zone_or_404(request, zone)))


@login_required
@require_POST
@never_cache
def secondary_check_view(request: HttpRequest, zone: str) -> HttpResponse:
    """Ask every secondary for its SOA now."""
    return page(request, TEMPLATE, _context(zone_or_404(request, zone), check=True))


@login_required
@require_POST
@never_cache
def secondary_add_view(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    form = SecondaryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            added = secondary_add(
                zone=found, address=data["address"], port=data["port"], label=data["label"], actor=actor_of(request)
            )
        except SecondaryError as exc:
            form.add_error("address", str(exc))
        else:
            return page(request, TEMPLATE, _context(found, added=added))
    return page(request, TEMPLATE, _context(found, form=form), status=400)


@login_required
@require_POST
def secondary_remove_view(request: HttpRequest, zone: str, pk: int) -> HttpResponse:
    found = zone_or_404(request, zone)
    secondary = Secondary.objects.filter(zone=found, pk=pk).select_related("zone").first()
    if secondary is None:
        raise Http404("no such secondary")
    try:
        secondary_remove(secondary=secondary, actor=actor_of(request))
    except SecondaryError:
        raise Http404("no such secondary") from None
    messages.success(request, f"The secondary {secondary.address} is removed: its key no longer transfers the zone.")
    return redirect("zone-secondaries", zone=found.name)
