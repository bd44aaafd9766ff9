"""Every page of the panel refuses a query parameter it does not read (panel/query.py): 400, named, nothing done.

The list of pages comes from the URL configuration itself, so a page added later is held to the rule without a line
here; and every view that reads request.GET must declare what it reads, which the second test checks in the source.
"""

from __future__ import annotations

import inspect
import re

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from panel.views import urls as panel_urls
from zones.models import Zone

SAMPLE_ARGUMENTS = {
    "zone": "example.com",
    "name": "www",
    "rdtype": "A",
    "pk": 1,
    "version": 1,
    "key_id": "k1",
    "decision": "approve",
    "uidb64": "MQ",
    "token": "set-password",
}


def _panel_pages() -> list[tuple[str, object]]:
    pages: list[tuple[str, object]] = []
    for pattern in panel_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        view = pattern.callback
        if not view.__module__.startswith("panel.views"):
            continue  # Django's own auth views (password change and reset): their forms are POSTed
        arguments = {name: SAMPLE_ARGUMENTS[name] for name in pattern.pattern.converters}
        pages.append((reverse(pattern.name, kwargs=arguments), view))
    return pages


PAGES = _panel_pages()


@pytest.mark.parametrize(("path", "view"), PAGES, ids=[path for path, _ in PAGES])
def test_every_panel_page_refuses_a_parameter_it_does_not_read(
    staff_client: Client, zone: Zone, path: str, view: object
) -> None:
    version = zone.version
    response = staff_client.get(path, {"bogus": "1"})
    declared: frozenset[str] | None = getattr(view, "query_parameters", frozenset())
    if declared is None:  # the page's own form refuses it, in place
        assert response.status_code in (400, 200), response.status_code  # 200: an HTMX fragment only
    else:
        assert response.status_code == 400, (path, response.status_code)
    assert "Unknown parameter: bogus." in response.content.decode()
    zone.refresh_from_db()
    assert zone.version == version


@pytest.mark.parametrize(("path", "view"), PAGES, ids=[path for path, _ in PAGES])
def test_the_parameters_a_page_declares_are_not_refused(
    staff_client: Client, zone: Zone, path: str, view: object
) -> None:
    for name in getattr(view, "query_parameters", None) or ():
        response = staff_client.get(path, {name: "1"})
        assert "Unknown parameter" not in response.content.decode(), (path, name)


def test_the_root_page_refuses_as_the_dashboard_it_shows(customer_client: Client, zone: Zone) -> None:
    response = customer_client.get("/", {"bogus": "1"})
    assert response.status_code == 400
    assert "Unknown parameter: bogus." in response.content.decode()
    assert '<a href="/zones/example.com"><strong>' not in response.content.decode()  # no zone listed


def test_every_view_that_reads_the_query_string_declares_what_it_reads() -> None:
    readers: set[str] = set()
    for _, view in PAGES:
        function = inspect.unwrap(view)  # type: ignore[arg-type]
        source = inspect.getsource(inspect.getmodule(function))  # type: ignore[arg-type]
        body = inspect.getsource(function)
        reads = set(re.findall(r"request\.GET\.get\(\"(\w+)\"", body))
        helpers = re.findall(r"(_\w+)\(request", body)
        for helper in helpers:  # the module's helpers the view hands the request to
            found = re.search(rf"\ndef {helper}\(.*?(?=\n(?:def|@|class) )", source, re.S)
            reads |= set(re.findall(r"request\.GET\.get\(\"(\w+)\"", found.group(0) if found else ""))
        declared: frozenset[str] | None = getattr(view, "query_parameters", frozenset())
        if declared is not None:
            assert reads <= declared, (function.__name__, reads - declared)
            readers |= reads
    assert {"page", "account", "edit", "view", "next"} <= readers  # the check above saw the pages that read some
