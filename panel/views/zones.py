"""The dashboard, the zone editor, import and export, and the audit trail with restore."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Account
from ipam import selectors as ipam_selectors
from ipam.models import SpaceRequest, SpaceRequestStatus
from panel import forms, selectors
from panel.query import query_parameters
from panel.request_limits import body_too_large
from panel.views.common import actor_of, is_htmx, page, table_links, zone_or_404
from zones import journal, retention
from zones import selectors as zone_selectors
from zones.models import Change, Zone
from zones.push import selectors as sync_selectors
from zones.records import RecordError
from zones.services import Add, Delete, Replace, ZoneError, zone_apply, zone_create, zone_import, zone_restore

# --- dashboard ----------------------------------------------------------------------------------------------------


ZONE_COLUMNS = tuple(key for key in selectors.ZONE_SORTS if not key.startswith("-"))  # name, records, changed, state


@login_required
@query_parameters(form=True)
def dashboard(request: HttpRequest, create_form: forms.ZoneCreateForm | None = None) -> HttpResponse:
    """The person's own accounts' zones, a page at a time (search, state filter and order in the URL; HTMX swaps the
    table), their address space, and the form that creates a zone."""
    mine = selectors.own_accounts(request.user)
    accounts = list(mine)  # one query; the create form's count() and first() read the same cache
    listing = forms.ZoneListForm(request.GET)
    pending = SpaceRequest.objects.filter(account__in=accounts, status=SpaceRequestStatus.PENDING)
    context = {
        **_zone_list(listing, accounts),
        "allocations": ipam_selectors.allocations_of(accounts=accounts),
        "space_requests": pending.select_related("account"),
        "create_form": create_form or _zone_create_form(request, mine),
        "has_account": bool(accounts),
        "show_account": len(accounts) > 1 or request.user.is_staff,
        "can_create": bool(accounts) or request.user.is_staff,
    }
    refused = create_form is not None or not listing.is_valid()
    status = 400 if refused and not is_htmx(request) else 200  # HTMX swaps 2xx only; the message is in the fragment
    return page(request, "panel/dashboard.html", context, partial="panel/_zone_list.html", status=status)


def _zone_list(listing: forms.ZoneListForm, accounts: list[Account]) -> dict[str, Any]:
    """The zone table's page, and the values its links keep. A query string the form refuses lists nothing: the page
    says what it did not understand rather than show every zone for a filter it ignored."""
    if not listing.is_valid():
        return {"listing": listing, "page_obj": None, "q": "", "state": "", "sort": "name"}
    data = listing.cleaned_data
    sort, query, state = data["sort"] or "name", data["q"], data["state"]
    zones = selectors.zones_page(
        accounts=accounts, query=query, state=listing.state_chosen(), sort=sort, page=data["page"] or 1
    )
    links = table_links(ZONE_COLUMNS, sort, q=query, state=state)
    return {"listing": listing, "page_obj": zones, "q": query, "state": state, "sort": sort, **links}


def _zone_create_form(request: HttpRequest, mine: QuerySet[Account]) -> forms.ZoneCreateForm:
    """Staff create zones for any account (picked by name); a customer for one of their own."""
    if request.user.is_staff:
        return forms.ZoneCreateForm(accounts=selectors.accounts_of(request.user), every_account=True)
    return forms.ZoneCreateForm(accounts=mine)


@login_required
@require_POST
def zone_new(request: HttpRequest) -> HttpResponse:
    accounts = selectors.accounts_of(request.user)
    form = forms.ZoneCreateForm(request.POST, accounts=accounts, every_account=bool(request.user.is_staff))
    if form.is_valid():
        try:
            zone = zone_create(
                name=form.cleaned_data["name"], account=form.cleaned_data["account"], actor=actor_of(request)
            )
        except ZoneError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"{zone.name} is ready. Add its records below.")
            return redirect("zone", zone=zone.name)
    return dashboard(request, create_form=form)


# --- the zone editor ----------------------------------------------------------------------------------------------


SORTABLE_COLUMNS = ("name", "type", "ttl")


def _table_links(query: str, rdtype: str, sort: str) -> dict[str, Any]:
    """The record table's links, each keeping the search, the type filter and the order."""
    return table_links(SORTABLE_COLUMNS, sort, q=query, type=rdtype)


def _editor_context(request: HttpRequest, zone: Zone, **extra: Any) -> dict[str, Any]:
    """The editor around the record table. A query string the editor does not understand (an unknown parameter, an
    order it has not got) shows no records but says what it refused, as the dashboard does: a filter it ignored would
    show every record as if they matched."""
    listing = forms.RecordListForm(request.GET)
    valid = listing.is_valid()
    data = listing.cleaned_data if valid else {}
    query = extra.pop("query", None) or data.get("q", "")
    rdtype, sort = data.get("type", ""), data.get("sort") or "name"
    chosen = data.get("page") or 1
    rows = selectors.rrsets_page(zone=zone, query=query, rdtype=rdtype, sort=sort, page=chosen) if valid else None
    return {
        "zone": zone,
        "listing": listing,
        "page_obj": rows,
        "q": query,
        "type": rdtype,
        "sort": sort,
        **_table_links(query, rdtype, sort),
        "types": forms.COMMON_TYPES,
        "zone_types": selectors.zone_types(zone=zone),
        "syncs": sync_selectors.sync_statuses(zone_names=[zone.name]),
        "add_form": extra.pop("add_form", None) or forms.RecordAddForm(),
        **extra,
    }


@login_required
@query_parameters(form=True)
def zone_detail(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    context = _editor_context(request, found)
    status = 400 if context["page_obj"] is None and not is_htmx(request) else 200  # HTMX swaps 2xx only
    return page(request, "panel/zone/detail.html", context, partial="panel/zone/_editor.html", status=status)


@login_required
@require_POST
def record_add(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    form = forms.RecordAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        change = Add(name=data["name"], type=data["type"], content=data["content"], ttl=data["ttl"])
        result = zone_apply(zone=found, changes=[change], actor=actor_of(request))
        if result.ok:
            notice = f"Added {data['type'].upper()} {data['content']} at {data['name']}."
            if not is_htmx(request):
                messages.success(request, notice)
                return redirect(reverse("zone", kwargs={"zone": found.name}) + f"?q={data['name']}")
            shown = "" if data["name"] == "@" else data["name"]
            context = _editor_context(request, found, notice=notice, query=shown)
            return page(request, "panel/zone/detail.html", context, partial="panel/zone/_editor.html")
        form.add_error(None, "; ".join(result.errors))
    context = _editor_context(request, found, add_form=form)
    return page(
        request,
        "panel/zone/detail.html",
        context,
        partial="panel/zone/_editor.html",
        status=200 if is_htmx(request) else 400,
    )


def _row_response(request: HttpRequest, zone: Zone, name: str, rdtype: str, **extra: Any) -> HttpResponse:
    row = selectors.rrset_row(zone=zone, name=name, rdtype=rdtype)
    if row is None:
        return HttpResponse("")  # the RRset is gone: HTMX swaps the row out
    context = {"zone": zone, "row": row, **extra}
    return page(request, "panel/zone/rrset.html", context, partial="panel/zone/_row.html")


@login_required
@query_parameters("edit")
def rrset_view(request: HttpRequest, zone: str, name: str, rdtype: str) -> HttpResponse:
    """GET: the row (?edit=1: its edit form). POST: replace the RRset with the records of the form."""
    found = zone_or_404(request, zone)
    row = selectors.rrset_row(zone=found, name=name, rdtype=rdtype)
    if request.method != "POST":
        if row is None:
            return HttpResponse("", status=404)
        initial = {"ttl": row.ttl, "records": "\n".join(row.records)}
        form = forms.RRsetEditForm(initial=initial) if request.GET.get("edit") else None
        return page(
            request, "panel/zone/rrset.html", {"zone": found, "row": row, "form": form}, partial="panel/zone/_row.html"
        )
    form = forms.RRsetEditForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        change = Replace(name=name, type=rdtype, contents=form.contents(), ttl=form.cleaned_data["ttl"])
        result = zone_apply(zone=found, changes=[change], actor=actor_of(request))
        if result.ok:
            if not is_htmx(request):
                messages.success(request, f"Saved {name} {rdtype}.")
                return redirect("zone", zone=found.name)
            return _row_response(request, found, name, rdtype, row_notice="Saved")
        errors = result.errors
    editing = row or selectors.RRsetRow(name, rdtype, form.cleaned_data.get("ttl") or 0, [])
    context = {"zone": found, "row": editing, "form": form, "errors": errors}
    return page(
        request,
        "panel/zone/rrset.html",
        context,
        partial="panel/zone/_row.html",
        status=200 if is_htmx(request) else 400,
    )


@login_required
@require_POST
def record_delete(request: HttpRequest, zone: str, name: str, rdtype: str) -> HttpResponse:
    """Delete one record (`content` given) or the whole RRset."""
    found = zone_or_404(request, zone)
    content = request.POST.get("content")
    change = (
        Delete(name=name, type=rdtype, content=content) if content else Replace(name=name, type=rdtype, contents=())
    )
    result = zone_apply(zone=found, changes=[change], actor=actor_of(request))
    if not is_htmx(request):
        if result.ok:
            messages.success(request, f"Deleted from {name} {rdtype}.")
        else:
            messages.error(request, "; ".join(result.errors))
        return redirect("zone", zone=found.name)
    if not result.ok:
        return _row_response(request, found, name, rdtype, errors=result.errors)
    return _row_response(request, found, name, rdtype, row_notice="Deleted")


# --- import and export --------------------------------------------------------------------------------------------


@login_required
def zone_import_view(request: HttpRequest, zone: str) -> HttpResponse:
    """Paste or upload a master file, see the difference RRset by RRset, then apply it all or nothing."""
    found = zone_or_404(request, zone)
    if request.method == "POST" and body_too_large(request):
        return _import_too_large(request, found)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"zone": found, "form": form}
    if request.method != "POST" or not form.is_valid():
        return page(request, "panel/zone/import.html", context, status=400 if request.method == "POST" else 200)
    text = form.cleaned_data["text"]
    applying = "apply" in request.POST
    if applying and form.cleaned_data.get("version") != found.version:
        messages.warning(request, "The zone changed since the preview. Review the difference again.")
        applying = False
    try:
        if applying:
            result = zone_import(zone=found, text=text, actor=actor_of(request))
            if result.ok:
                messages.success(request, f"Imported: {found.name} is now at serial {found.serial}.")
                return redirect("zone", zone=found.name)
        diff = zone_selectors.zone_import_diff(zone=found, text=text)
        result = zone_import(zone=found, text=text, actor=actor_of(request), dry_run=True)
    except (ZoneError, RecordError) as exc:  # the file does not parse
        form.add_error("text", str(exc))
        return page(request, "panel/zone/import.html", context, status=400)
    preview = forms.ImportForm(initial={"text": text, "version": found.version})
    context.update(form=preview, diff=diff, errors=result.errors, previewing=True)
    return page(request, "panel/zone/import.html", context)


def _import_too_large(request: HttpRequest, zone: Zone) -> HttpResponse:
    """413 before the body is read (multipart uploads escape Django's own limit), shown as the form's error."""
    form = forms.ImportForm(data={})
    form.is_valid()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    form.add_error("file", f"The file is larger than {limit // 1024} KiB: split it, or ask staff to import it.")
    return page(request, "panel/zone/import.html", {"zone": zone, "form": form}, status=413)


@login_required
@query_parameters("view")
def zone_export(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    response = HttpResponse(zone_selectors.zone_master_file(zone=found), content_type="text/plain; charset=utf-8")
    if not request.GET.get("view"):
        response["Content-Disposition"] = f'attachment; filename="{found.name}.zone"'
    return response


# --- audit trail --------------------------------------------------------------------------------------------------


# A change set may touch thousands of RRsets (an import); the page shows the first ones and says how many more.
RRSETS_PER_CHANGE = 25


def _rrset_diffs(change: Change) -> tuple[list[dict[str, Any]], int]:
    """The change's RRsets side by side, as they were and as they became; and how many are not shown."""
    before = journal.entries_by_key(journal.entries_parse(change.before))
    after = journal.entries_by_key(journal.entries_parse(change.after))
    keys = sorted(before.keys() | after.keys())
    rows = []
    for key in keys[:RRSETS_PER_CHANGE]:
        was, now = before.get(key), after.get(key)
        gone = set(was["records"]) - set(now["records"]) if was and now else set()
        came = set(now["records"]) - set(was["records"]) if was and now else set()
        rows.append({"name": key[0], "type": key[1], "before": was, "after": now, "gone": gone, "came": came})
    return rows, max(0, len(keys) - RRSETS_PER_CHANGE)


def history_entries(changes: Iterable[Change]) -> list[dict[str, Any]]:
    """What the history template shows of each change: the change, its RRset diffs, how many are not shown."""
    return [dict(zip(("rrsets", "more"), _rrset_diffs(change), strict=True), change=change) for change in changes]


@login_required
@query_parameters("page")
def zone_history(request: HttpRequest, zone: str) -> HttpResponse:
    found = zone_or_404(request, zone)
    changes = selectors.changes_page(zone=found, page=request.GET.get("page"))
    reach = retention.history_reach(zone=found)
    context = {"zone": found, "page_obj": changes, "entries": history_entries(changes), "reach": reach}
    return page(request, "panel/zone/history.html", context)


@login_required
@require_POST
def zone_restore_view(request: HttpRequest, zone: str, version: int) -> HttpResponse:
    found = zone_or_404(request, zone)
    try:
        result = zone_restore(zone=found, version=version, actor=actor_of(request))
    except ZoneError as exc:
        messages.error(request, str(exc))
        return redirect("zone-history", zone=found.name)
    if not result.ok:
        messages.error(request, "Could not restore: " + "; ".join(result.errors))
    elif result.change is None:
        messages.info(request, f"The records are already as they were at version {version}.")
    else:
        messages.success(request, f"Restored the records of version {version} as version {found.version}.")
    return redirect("zone-history", zone=found.name)
