"""Pages a person sees. For now the front door: dedicated legacy API hosts answer the API at their root."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from zones.legacy.views import primarydnsapi


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    host = request.get_host().rsplit(":", 1)[0] if not request.get_host().endswith("]") else request.get_host()
    if host.lower() in settings.LEGACY_API_HOSTS:
        return primarydnsapi(request)
    return HttpResponse(
        "ctrlpanel: DNS and address space for customers.\n"
        "Primary DNS API v1: POST /customer/primarydnsapi\nAdministration: /admin/\n",
        content_type="text/plain; charset=utf-8",
    )
