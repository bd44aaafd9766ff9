"""Every page of the panel reads only the query parameters it declares, and refuses any other with 400.

"What you do not understand, refuse": a mistyped or invented parameter (`?filter=`, `?sort=` on a page that does not
sort) must not be ignored, which would answer as if it had been applied. A view declares the parameters it reads
with @query_parameters; a view that checks its query string with a form of its own (a StrictQueryForm, whose refusal
the page shows in place) says so with @query_parameters(form=True). QueryParametersMiddleware refuses the rest, for
GET and HEAD (a form's POST carries its fields in the body), on the panel's own views: the APIs answer in their own
formats, and Django's admin has its own parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

View = TypeVar("View", bound=Callable[..., HttpResponse])

PANEL_VIEWS = "panel.views"


def query_parameters(*names: str, form: bool = False) -> Callable[[View], View]:
    """Declare the query parameters a view reads (form=True: its own form refuses what it does not know)."""

    def declare(view: View) -> View:
        view.query_parameters = None if form else frozenset(names)  # type: ignore[attr-defined]
        return view

    return declare


class QueryParametersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD") or not request.GET:
            return None
        module = getattr(view, "__module__", "") or ""
        if module != PANEL_VIEWS and not module.startswith(PANEL_VIEWS + "."):
            return None
        known: frozenset[str] | None = getattr(view, "query_parameters", frozenset())
        if known is None:
            return None  # the view's form checks its query string and shows what it refused
        unknown = sorted(set(request.GET) - known)
        if not unknown:
            return None
        return render(request, "400.html", {"refused": f"Unknown parameter: {', '.join(unknown)}."}, status=400)
