"""Pages a person sees. The front door: dedicated legacy API hosts answer the API at their root; everyone else gets
the dashboard, or the sign-in page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

from panel.query import query_parameters
from panel.views.zones import dashboard
from zones.legacy.views import primarydnsapi


def _host(request: HttpRequest) -> str:
    host = request.get_host()
    return host if host.endswith("]") else host.rsplit(":", 1)[0]


@csrf_exempt  # only the legacy API (form POSTs from scripts) is reached without a token; see below
@query_parameters(form=True)  # the legacy API's or the dashboard's: each checks its own
def root(request: HttpRequest) -> HttpResponse:
    if _host(request).lower() in settings.LEGACY_API_HOSTS:
        return primarydnsapi(request)
    if request.method not in {"GET", "HEAD"}:
        return HttpResponse("Method not allowed\n", status=405, content_type="text/plain")
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)

    return dashboard(request)
