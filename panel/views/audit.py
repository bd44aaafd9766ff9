"""The account security log: customers read their accounts' rows, staff everyone's; and the journal of a deleted zone,
reached from its deletion row."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Account, SecurityEvent
from accounts.selectors import security_log
from panel import selectors
from panel.query import query_parameters
from panel.views.common import page, staff_required
from panel.views.zones import history_entries
from zones.selectors import changes_of_deleted_zone

EVENTS_PER_PAGE = 50
CHANGES_PER_PAGE = 20


def _rows(request: HttpRequest, events: QuerySet[SecurityEvent]) -> dict[str, Any]:
    page_obj = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return {"page_obj": page_obj, "rows": [(event, facts(event.detail)) for event in page_obj]}


def facts(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """The row's detail as label/text pairs; an empty list (a key's unrestricted zones) shows as 'any'."""
    shown = []
    for name, value in detail.items():
        if name == "changes" or value is None or value == "":
            continue  # journal row ids are for the deleted zone's history link, not for people
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value) or "any"
        else:
            text = str(value)
        shown.append((name.replace("_", " "), text))
    return shown


@login_required
@query_parameters("page", "account")
def security_log_view(request: HttpRequest) -> HttpResponse:
    """The person's accounts' security log, newest first; `?account=` narrows it to one of them (another account's
    log does not exist for them)."""
    mine = list(selectors.own_accounts(request.user).order_by("name"))
    chosen = request.GET.get("account", "")
    accounts = [a for a in mine if a.name == chosen] if chosen else mine
    if chosen and not accounts:
        raise Http404("No such account")
    events = security_log(accounts=Account.objects.filter(pk__in=[a.pk for a in accounts]))
    context = {
        **_rows(request, events),
        "accounts": mine,
        "chosen": chosen,
        "show_account": len(mine) > 1,
        "query": f"account={quote(chosen)}&" if chosen else "",
    }
    return page(request, "panel/security_log.html", context)


@staff_required
@query_parameters("page", "account")
def staff_security_log(request: HttpRequest) -> HttpResponse:
    """Every account's security log and the provider's own rows (nameservers); `?account=` filters by account name,
    which also finds the rows of an account that is gone."""
    query = request.GET.get("account", "").strip()
    events = security_log(accounts=None)
    if query:
        events = events.filter(account_name=query)
    context = {**_rows(request, events), "q": query, "query": f"account={quote(query)}&" if query else ""}
    return page(request, "panel/staff/security_log.html", context)


@login_required
@query_parameters("page")
def deleted_zone_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The journal of a deleted zone, from the security log row of its deletion (the person's accounts only; staff:
    any)."""
    visible = security_log(accounts=None if request.user.is_staff else selectors.own_accounts(request.user))
    event = visible.filter(pk=pk, action=SecurityEvent.Action.ZONE_DELETED).first()
    if event is None:
        raise Http404("No such deleted zone")
    changes = Paginator(changes_of_deleted_zone(event=event), CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"event": event, "page_obj": changes, "entries": history_entries(changes)}
    return page(request, "panel/security_deleted_zone.html", context)
