"""What every page needs: the acting principal, the objects a person may see, and HTMX-aware rendering."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from accounts.actors import Actor, Interface
from accounts.net import client_address
from panel import selectors
from zones.models import Zone

View = TypeVar("View", bound=Callable[..., HttpResponse])


def actor_of(request: HttpRequest) -> Actor:
    """The signed-in person, through the panel, from their address. Staff act as staff (they own the apex NS)."""
    address = client_address(request)
    return Actor(
        interface=Interface.PANEL,
        label=request.user.get_username(),
        user=request.user,
        address=str(address) if address else None,
        is_staff=bool(getattr(request.user, "is_staff", False)),
    )


def zone_or_404(request: HttpRequest, name: str) -> Zone:
    """The zone if it is the person's (or they are staff); another account's zone does not exist for them."""
    zone = selectors.zone_visible(user=request.user, name=name)
    if zone is None:
        raise Http404("No such zone")
    return zone


def staff_required(view: View) -> View:
    """Staff pages: anyone else is refused (403), signed in or not (the login redirect comes first)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_staff", False):
            raise PermissionDenied("staff only")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # same signature as the wrapped view


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def page(
    request: HttpRequest, template: str, context: dict[str, Any], *, partial: str | None = None, status: int = 200
) -> HttpResponse:
    """Render the whole page, or for an HTMX request the fragment it asked for (when the view has one)."""
    chosen = partial if partial is not None and is_htmx(request) else template
    return render(request, chosen, context, status=status)


def public_url(request: HttpRequest) -> str:
    """The base URL the copy-ready examples use."""
    return settings.PANEL_PUBLIC_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")


def table_links(columns: Iterable[str], sort: str, **keep: str) -> dict[str, Any]:
    """A sortable table's links, each keeping the page's other parameters (`keep`) and the order: a column header
    sorts by its column (descending when it is already ascending), the pager adds its page. Every value is URL-encoded:
    a search holding '&' or '#' would otherwise end its parameter and start another."""
    links = {
        column: "?" + urlencode({**keep, "sort": f"-{column}" if sort == column else column}) for column in columns
    }
    return {"sort_links": links, "page_query": urlencode({**keep, "sort": sort}) + "&"}
