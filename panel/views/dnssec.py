"""The zone's DNSSEC tab: the switch, the state in words, and the DS records and keys to copy for the registrar."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from panel.views.common import actor_of, page, zone_or_404
from zones.dnssec import DnssecError, zone_dnssec_report, zone_dnssec_set, zone_dnssec_status


@login_required
def zone_dnssec(request: HttpRequest, zone: str) -> HttpResponse:
    """GET: the state and what to hand the registrar. POST (enabled=1 or 0): turn signing on or off."""
    found = zone_or_404(request, zone)
    if request.method == "POST":
        enabled = request.POST.get("enabled")
        if enabled not in {"0", "1"}:
            messages.error(request, "Choose to turn DNSSEC on or off.")
            return redirect("zone-dnssec", zone=found.name)
        try:
            zone_dnssec_set(zone=found, enabled=enabled == "1", actor=actor_of(request))
        except DnssecError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"DNSSEC for {found.name} turned {'on' if enabled == '1' else 'off'}.")
        return redirect("zone-dnssec", zone=found.name)
    context = {
        "zone": found,
        "dnssec": zone_dnssec_status(zone=found),
        # The servers' own key reports are for staff: they name key files and internal timings.
        "reports": zone_dnssec_report(zone=found) if request.user.is_staff else [],
    }
    return page(request, "panel/zone/dnssec.html", context)
