"""Address space: the customer's allocations, requests and reverse DNS; the staff pages for pools and requests."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse as reverse_url
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Account
from ipam import reverse, selectors, services
from ipam.models import Allocation, Pool, SpaceRequest, SpaceRequestStatus
from ipam.prefixes import PrefixError, address_parse, key, prefix_parse
from ipam.services import IpamError
from panel import forms
from panel import selectors as panel_selectors
from panel.query import query_parameters
from panel.views.common import actor_of, page, staff_required
from zones.models import Zone
from zones.push import selectors as push_selectors

# --- customers ----------------------------------------------------------------------------------------------------


def _own_accounts(request: HttpRequest) -> QuerySet[Account]:
    return panel_selectors.own_accounts(request.user)


@login_required
def space(request: HttpRequest) -> HttpResponse:
    accounts = _own_accounts(request)
    owned = list(accounts)  # one query; the form's count() and first() read its cache
    form = forms.SpaceRequestForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.space_request_file(
                account=data["account"],
                family=data["family"],
                length=data["length"],
                purpose=data["purpose"],
                actor=actor_of(request),
            )
        except IpamError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your request for a /{data['length']} is with our staff.")
            return redirect("space")
    allocations = list(selectors.allocations_of(accounts=owned))
    ptrs = selectors.allocations_ptr_counts(allocations=allocations)
    filed = SpaceRequest.objects.filter(account__in=owned).select_related("account", "allocation")
    context = {
        "allocations": [(a, _size_text(a), ptrs[a.pk]) for a in allocations],
        "usage": selectors.accounts_utilisation(accounts=owned),
        "space_requests": filed[:50],
        "form": form,
    }
    return page(request, "panel/space/index.html", context, status=400 if request.method == "POST" else 200)


def _size_text(allocation: Allocation) -> str:
    """How big a block is, in the unit people think in: /64 networks for IPv6, addresses for IPv4."""
    if allocation.pool.family == 6 and allocation.length <= 64:
        count = 1 << (64 - allocation.length)
        return f"{count:,} /64 network{'s' if count != 1 else ''}"
    return f"{allocation.block.size:,} address{'es' if allocation.block.size != 1 else ''}"


def _ptrs(allocation: Allocation) -> tuple[Zone | None, list[tuple[str, str]]]:
    zone = reverse.zone_for(reverse.address_name(allocation.pool.family, allocation.block.start))
    return zone, ([] if zone is None else reverse.ptr_records(zone=zone, block=allocation.block))


def _allocation_or_404(request: HttpRequest, pk: int) -> Allocation:
    accounts = panel_selectors.accounts_of(request.user)
    allocation = selectors.allocations_of(accounts=accounts).filter(pk=pk).first()
    if allocation is None:
        raise Http404("No such allocation")
    return allocation


def _allocation_context(allocation: Allocation, **extra: Any) -> dict[str, Any]:
    zone, ptrs = _ptrs(allocation)
    return {
        "size": _size_text(allocation),
        "allocation": allocation,
        "reverse_zone": zone,
        "ptrs": ptrs,
        "ptr_form": extra.pop("ptr_form", None) or forms.PtrForm(),
        "delegation_form": extra.pop("delegation_form", None) or forms.DelegationForm(),
        **extra,
    }


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _allocation_or_404(request, pk)
    return page(request, "panel/space/allocation.html", _allocation_context(allocation))


@login_required
@require_POST
def ptr_set(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _allocation_or_404(request, pk)
    form = forms.PtrForm(request.POST)
    if form.is_valid():
        address, hostname = form.cleaned_data["address"].strip(), form.cleaned_data["hostname"].strip()
        try:
            services.ptr_set(allocation=allocation, address=address, hostname=hostname or None, actor=actor_of(request))
        except IpamError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"{address} now points to {hostname}." if hostname else f"Removed the PTR of {address}."
            )
            return redirect("allocation", pk=allocation.pk)
    return page(request, "panel/space/allocation.html", _allocation_context(allocation, ptr_form=form), status=400)


@login_required
@require_POST
def reverse_delegate(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _allocation_or_404(request, pk)
    form = forms.DelegationForm(request.POST)
    if form.is_valid():
        try:
            services.reverse_delegate(allocation=allocation, nameservers=form.names(), actor=actor_of(request))
        except IpamError as exc:
            form.add_error(None, str(exc))
        else:
            names = form.names()
            messages.success(request, f"Delegated to {', '.join(names)}." if names else "Removed the delegation.")
            return redirect("allocation", pk=allocation.pk)
    context = _allocation_context(allocation, delegation_form=form)
    return page(request, "panel/space/allocation.html", context, status=400)


# --- staff --------------------------------------------------------------------------------------------------------


@staff_required
def staff_home(request: HttpRequest, allocate_form: forms.AllocateForm | None = None) -> HttpResponse:
    context = {
        "pools": selectors.pools_utilisation(),
        "allocate_form": allocate_form or forms.AllocateForm(),
        "pending": SpaceRequest.objects.filter(status=SpaceRequestStatus.PENDING).count(),
        "search_form": forms.SearchForm(),
    }
    return page(request, "panel/staff/home.html", context, status=400 if allocate_form else 200)


@staff_required
@require_POST
def staff_allocate(request: HttpRequest) -> HttpResponse:
    form = forms.AllocateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            allocation = services.prefix_allocate(
                pool=data["pool"],
                account=data["account"],
                length=data["length"],
                description=data["description"],
                actor=actor_of(request),
            )
        except IpamError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Allocated {allocation.prefix} to {allocation.account}.")
            return redirect("staff")
    return staff_home(request, allocate_form=form)


@staff_required
def staff_requests(request: HttpRequest) -> HttpResponse:
    filed = SpaceRequest.objects.select_related("account")
    pending = filed.filter(status=SpaceRequestStatus.PENDING).order_by("created")
    rows = [
        (r, forms.ApproveForm(family=r.family, prefix=f"r{r.pk}"), forms.DeclineForm(prefix=f"r{r.pk}"))
        for r in pending
    ]
    decided = filed.exclude(status=SpaceRequestStatus.PENDING).select_related("allocation")[:30]
    return page(request, "panel/staff/requests.html", {"rows": rows, "decided": decided})


@staff_required
@require_POST
def staff_request_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    filed = get_object_or_404(SpaceRequest, pk=pk)
    try:
        if decision == "approve":
            form: Any = forms.ApproveForm(request.POST, family=filed.family, prefix=f"r{pk}")
            if form.is_valid():
                decided = services.space_request_approve(
                    space_request=filed, pool=form.cleaned_data["pool"], actor=actor_of(request)
                )
                messages.success(request, f"Approved: {decided.allocation} for {decided.account}.")
        else:
            form = forms.DeclineForm(request.POST, prefix=f"r{pk}")
            if form.is_valid():
                services.space_request_decline(
                    space_request=filed, reason=form.cleaned_data["reason"], actor=actor_of(request)
                )
                messages.success(request, f"Declined the request of {filed.account}.")
        if not form.is_valid():
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    except IpamError as exc:
        messages.error(request, str(exc))
    return redirect("staff-requests")


def _search(text: str) -> tuple[list[Allocation], str | None]:
    """Allocations holding an address, or overlapping a prefix."""
    text = text.strip()
    try:
        if "/" in text:
            block = prefix_parse(text)
            holder = selectors.allocation_containing(family=block.family, address=block.start)
            inside = Allocation.objects.filter(
                pool__family=block.family, start__gte=block.key, start__lte=key(block.last)
            )
            found = {a.pk: a for a in [*([holder] if holder else []), *inside.select_related("pool", "account")[:100]]}
            return list(found.values()), None
        family, value = address_parse(text)
    except PrefixError as exc:
        return [], str(exc)
    holder = selectors.allocation_containing(family=family, address=value)
    return ([holder] if holder else []), None


@staff_required
@query_parameters("q")
def staff_search(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        found, error = _search(form.cleaned_data["q"])
        if error:
            form.add_error("q", error)
        accounts = {a.account_id for a in found if a.account_id}
        zones: dict[int, list[str]] = {}
        for account_id, name in Zone.objects.filter(account__in=accounts).values_list("account_id", "name"):
            zones.setdefault(account_id, []).append(name)
        context["results"] = [(a, zones.get(a.account_id or 0, [])) for a in found]
        context["searched"] = True
    return page(request, "panel/staff/search.html", context)


@staff_required
@query_parameters(form=True)
def staff_accounts(request: HttpRequest) -> HttpResponse:
    listing = forms.AccountListForm(request.GET)
    if not listing.is_valid():
        return page(request, "panel/staff/accounts.html", {"listing": listing, "q": ""}, status=400)
    query = listing.cleaned_data["q"].strip()
    accounts = panel_selectors.accounts_page(query=query, page=listing.cleaned_data["page"] or 1)
    context = {
        "listing": listing,
        "page_obj": accounts,
        "rows": [(row, _account_cells(row)) for row in accounts],
        "q": query,
        "page_query": urlencode({"q": query}) + "&",
    }
    return page(request, "panel/staff/accounts.html", context)


def _account_cells(row: panel_selectors.AccountRow) -> dict[str, str]:
    """A row's members, zones and prefixes as HTML, every value escaped here (html.escape, as Django's escape does): a
    page holds some 500 zone links and prefixes, and rendering each through the template's loop and {% url %} took
    most of the page's time."""
    zone_link = reverse_url("zone", kwargs={"zone": "_"})[:-1]  # the zone's page is this prefix and its name
    members = ", ".join(escape(member.get_username()) for member in row.account.members.all())
    zones = "<br>".join(
        f'<a href="{escape(zone_link + quote(name))}">{escape(name)}</a> <span class="small muted">{count:d}</span>'
        for name, count in row.zones
    )
    prefixes = "<br>".join(f"<code>{escape(prefix)}</code>" for prefix in row.prefixes)
    return {
        cell: mark_safe(html or "\N{EM DASH}")  # noqa: S308 (built from escaped values above)
        for cell, html in (("members", members), ("zones", zones), ("prefixes", prefixes))
    }


ACCOUNTS_PICKED = 20


@staff_required
@require_safe
@query_parameters(form=True)
def staff_account_pick(request: HttpRequest) -> HttpResponse:
    """The account picker's suggestions (an HTML fragment of options) for what was typed in its `account` field."""
    form = forms.AccountPickForm(request.GET)
    if not form.is_valid():
        return render(request, "panel/staff/_account_options.html", {"form": form}, status=400)
    text = form.cleaned_data["account"]
    found = panel_selectors.accounts_matching(text=text, limit=ACCOUNTS_PICKED + 1)
    context = {"accounts": found[:ACCOUNTS_PICKED], "more": len(found) > ACCOUNTS_PICKED, "text": text}
    return render(request, "panel/staff/_account_options.html", context)


@staff_required
@query_parameters(form=True)
def staff_sync(request: HttpRequest) -> HttpResponse:
    listing = forms.PageForm(request.GET)
    if not listing.is_valid():
        return page(request, "panel/staff/sync.html", {"listing": listing}, status=400)
    summaries, behind = panel_selectors.sync_overview_page(page=listing.cleaned_data["page"] or 1)
    context = {
        "listing": listing,
        "summaries": summaries,
        "page_obj": behind,
        "pools": Pool.objects.count(),
        "verify_runs": push_selectors.verify_runs_latest(),
    }
    return page(request, "panel/staff/sync.html", context)
