"""The Primary DNS API v1 endpoint: form parameters in, one text line per command out (see PRIMARYDNSAPI.md)."""

from __future__ import annotations

import logging

import dns.name
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from panel.actors import Actor, Interface
from panel.net import client_address
from zones import records, selectors
from zones.legacy import throttle
from zones.legacy.commands import Context, parse
from zones.models import Zone
from zones.records import RecordError
from zones.services import zone_apply

log = logging.getLogger(__name__)


def _reply(body: str, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@csrf_exempt
def primarydnsapi(request: HttpRequest) -> HttpResponse:
    if request.method not in {"GET", "POST"}:
        return _reply("ERR Method not allowed\n", 405, Allow="GET, POST")
    try:
        params = request.POST if request.method == "POST" and request.POST else request.GET
    except (RequestDataTooBig, TooManyFieldsSent):
        return _reply("ERR Request too large\n", 413)
    missing = [name for name in ("domain", "password", "command") if not params.get(name)]
    if missing:
        return _reply(f"ERR Missing parameter: {', '.join(missing)}\n", 400)
    commands = params.getlist("command")
    if len(commands) > settings.LEGACY_API_MAX_COMMANDS:
        return _reply(f"ERR Too many commands (at most {settings.LEGACY_API_MAX_COMMANDS} per request)\n", 413)
    client = client_address(request)
    zone_or_reply = _authenticate(params, str(client))
    if isinstance(zone_or_reply, HttpResponse):
        return zone_or_reply
    return _run(request, zone_or_reply, params, commands, client)


def _authenticate(params: QueryDict, client: str) -> Zone | HttpResponse:
    domain = str(params.get("domain", "")).strip().rstrip(".").lower()
    if throttle.blocked(client=client, zone=domain):
        retry = str(settings.LEGACY_API_FAILURE_WINDOW)
        return _reply("ERR Too many failed attempts\n", 429, Retry_After=retry)
    try:
        zone = selectors.zone_by_name(records.zone_name_normalize(domain))
    except RecordError:
        zone = None
    if not selectors.zone_api_password_matches(zone=zone, password=str(params.get("password", ""))) or zone is None:
        throttle.record_failure(client=client, zone=domain)
        log.info("legacy API: failed authentication for %r from %s", domain, client)
        return _reply("ERR Not authenticated\n", 401)
    return zone


def _run(request: HttpRequest, zone: Zone, params: QueryDict, commands: list[str], client: object) -> HttpResponse:
    apex = records.zone_origin(zone.name)
    try:
        context = _context(apex, params.get("origin"), client)
    except RecordError as exc:
        return _reply(f"ERR Bad origin: {exc}\n", 400)
    parsed = [parse(command, context) for command in commands]
    operations = [p.operation for p in parsed if p.operation is not None]
    actor = Actor(interface=Interface.LEGACY, label="Primary DNS API v1", address=str(client) if client else None)
    clean = all(p.error is None for p in parsed)
    result = zone_apply(zone=zone, changes=operations, actor=actor, dry_run=not clean)
    outcomes = iter(result.outcomes)
    lines: list[str] = []
    for command in parsed:
        if command.is_list:
            lines.extend(_listing(zone, show_soa=params.get("showall", "1") != "0"))
            continue
        error = command.error or (next(outcomes).error if command.operation is not None else None)
        lines.append(command.failure(error) if error else command.echo)
    status = 200 if clean and result.ok else 400
    return _reply("".join(line + "\n" for line in lines), status)


def _context(apex: dns.name.Name, origin_text: str | None, client: object) -> Context:
    if not origin_text:
        origin = apex
    elif origin_text == ".":
        origin = dns.name.root
    else:
        relative = records.owner_parse(origin_text.rstrip(".") + ".", apex=apex, origin=apex)
        origin = records.owner_absolute(relative, apex)
    data_origin = apex if origin == dns.name.root else origin
    return Context(apex=apex, origin=origin, data_origin=data_origin, client=client)  # type: ignore[arg-type]


def _listing(zone: Zone, *, show_soa: bool) -> list[str]:
    rows = [(r.name, r.ttl, r.type, r.content) for r in selectors.zone_records(zone=zone)]
    if show_soa:
        zone.refresh_from_db(fields=["serial", "soa_mname", "soa_rname", "soa_ttl"])
        rows.append(("@", zone.soa_ttl, "SOA", zone.soa_content))
        rows.sort(key=lambda row: (row[0] != "@", row[0], row[2], row[3]))
    return [f"{name} {ttl} {rdtype} {content} " for name, ttl, rdtype, content in rows]
