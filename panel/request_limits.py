"""Limits every request body meets before any of it is read into memory or parsed, in each interface's own format.

- Size: a Content-Length over MAX_REQUEST_BYTES (DATA_UPLOAD_MAX_MEMORY_SIZE) is refused with 413 here. Django's own
  limit guards request.body and request.POST only: DRF's parsers read the stream whole, and multipart file uploads
  are not counted at all, so a 5 MiB text/dns PUT held a worker for minutes and the panel's import page took a 5 MiB
  upload. The panel's import page answers its own 413, as a form error (`body_too_large`).
- Nesting: a JSON body nested deeper than MAX_JSON_DEPTH is a 400. Python's json module raises RecursionError near a
  thousand levels, which no parser catches (a 500 on every JSON endpoint). The body is at most MAX_REQUEST_BYTES by
  then, so reading it here costs what the parser would have read anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

MAX_JSON_DEPTH = 64
_JSON_PREFIXES = ("/dns/", "/api/", "/login")
_LEGACY_PATHS = ("/customer/primarydnsapi", "/customer/primarydnsapi/", "/")


def content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:  # Django reads a malformed length as no body at all
        return 0


def body_too_large(request: HttpRequest) -> bool:
    return content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _is_json(request: HttpRequest) -> bool:
    media_type = str(request.META.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _refusal(request: HttpRequest, status: int, message: str, detail: str) -> HttpResponse:
    """JSON for the DNS and IPAM APIs (with `detail`), else one text line (the legacy API's `ERR ...`)."""
    path = request.path_info
    if path.startswith("/api/ipam/"):
        return JsonResponse({"detail": f"{message} {detail}"}, status=status)
    if path.startswith(_JSON_PREFIXES):
        return JsonResponse({"error": f"{message} {detail}"}, status=status)
    prefix = "ERR " if path in _LEGACY_PATHS else ""
    return HttpResponse(f"{prefix}{message}\n", status=status, content_type="text/plain; charset=utf-8")


def _panel_import(request: HttpRequest) -> bool:
    return request.path_info.startswith("/zones/") and request.path_info.endswith("/import")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if body_too_large(request) and not _panel_import(request):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _refusal(request, 413, "Request too large", f"(the limit is {limit} bytes)")
        if content_length(request) and _is_json(request) and json_depth(request.body) > MAX_JSON_DEPTH:
            return _refusal(
                request, 400, "Malformed request body", f"(JSON nested deeper than {MAX_JSON_DEPTH} levels)"
            )
        return self.get_response(request)
