"""The Primary DNS API v1 endpoint: form parameters in, one text line per command out (see PRIMARYDNSAPI.md)."""

from __future__ import annotations

import logging

import dns.name
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from accounts.actors import Actor, Interface
from accounts.net import IPAddress, client_address
from accounts.sql import Read
from zones import records, selectors
from zones.legacy import throttle
from zones.legacy.commands import Context, Parsed, parse
from zones.legacy.listing import listing_lines
from zones.models import Zone
from zones.records import RecordError
from zones.services import ApplyResult, PreconditionFailed, zone_apply

log = logging.getLogger(__name__)

REQUIRED = ("domain", "password", "command")


class Refusal(Exception):
    """The whole request is refused with one `ERR …` line (no command is looked at)."""

    def __init__(self, status: int, message: str, **headers: str) -> None:
        super().__init__(message)
        self.response = _reply(f"ERR {message}\n", status, **headers)


def _reply(body: str, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@csrf_exempt
def primarydnsapi(request: HttpRequest) -> HttpResponse:
    try:
        params, commands = _parameters(request)
        client = client_address(request)
        # A remembered credential first; if the zone's row no longer matches it (password rotated, zone deleted),
        # it is forgotten and the password checked once more against the row as it is now.
        for remembered in (True, False):
            credential, gate = _authenticate(params, client, remembered=remembered)
            context = _context(records.zone_origin(credential.zone_name), params.get("origin"), client)
            try:
                return _run(credential, gate, context, commands, show_soa=params.get("showall", "1") != "0")
            except (PreconditionFailed, Zone.DoesNotExist):
                selectors.zone_api_credential_forget(name=credential.zone_name, password=_password(params))
    except Refusal as refusal:
        return refusal.response
    return _reply("ERR Not authenticated\n", 401)  # deleted by staff between the password check and the change


def _parameters(request: HttpRequest) -> tuple[QueryDict, list[str]]:
    if request.method not in {"GET", "POST"}:
        raise Refusal(405, "Method not allowed", Allow="GET, POST")
    params = _form(request)
    commands = params.getlist("command")
    missing = [name for name in REQUIRED if not any(params.getlist(name))]
    if missing:
        raise Refusal(400, f"Missing parameter: {', '.join(missing)}")
    if len(commands) > settings.LEGACY_API_MAX_COMMANDS:
        raise Refusal(413, f"Too many commands (at most {settings.LEGACY_API_MAX_COMMANDS} per request)")
    return params, commands


def _form(request: HttpRequest) -> QueryDict:
    """The POST form, or the query string when there is no form (GET, or a POST with the parameters in the URL)."""
    try:
        return request.POST if request.method == "POST" and request.POST else request.GET
    except (RequestDataTooBig, TooManyFieldsSent):
        raise Refusal(413, "Request too large") from None
    except (BadRequest, SuspiciousOperation, MultiPartParserError):  # an unknown charset, a broken multipart
        raise Refusal(400, "Malformed request body") from None


Gate = Read[Exception | None]


def _authenticate(
    params: QueryDict, client: IPAddress | None, *, remembered: bool
) -> tuple[selectors.ApiCredential, Gate | None]:
    """The zone the request names, if the password is its API password; failures are counted and throttled.

    A password this process remembers as right needs no hash and no query: its throttle check is returned as the gate
    of the change (read with the zone's lock, in the same round trip), and nothing is done before it says yes. Any
    other password is checked only once the throttle has let the client try one."""
    domain = str(params.get("domain", ""))
    zone_name = throttle.zone_key(domain)  # one name however it is spelt; None: not a domain name at all
    password = _password(params)
    if remembered:
        credential = selectors.zone_api_credential_remembered(name=zone_name, password=password)
        if credential is not None:
            return credential, throttle.blocked_read(client=client, zone=zone_name).then(_throttled)
    if throttle.blocked(client=client, zone=zone_name):
        raise _too_many()
    credential = selectors.zone_api_credential(name=zone_name, password=password)
    if credential is None:
        throttle.record_failure(client=client, zone=zone_name)
        log.info("legacy API: failed authentication for %r from %s", domain[:100], client)
        raise Refusal(401, "Not authenticated")
    return credential, None


def _throttled(blocked: bool) -> Refusal | None:
    return _too_many() if blocked else None


def _too_many() -> Refusal:
    return Refusal(429, "Too many failed attempts", Retry_After=str(settings.LEGACY_API_FAILURE_WINDOW))


def _password(params: QueryDict) -> str:
    return str(params.get("password", ""))


def _context(apex: dns.name.Name, origin_text: str | None, client: IPAddress | None) -> Context:
    """Where hosts are relative to: the zone by default, the root for '.', or a name inside the zone."""
    if not origin_text:
        origin = apex
    elif origin_text == ".":
        origin = dns.name.root
    else:
        try:
            relative = records.owner_parse(origin_text.rstrip(".") + ".", apex=apex, origin=apex)
        except RecordError as exc:
            raise Refusal(400, f"Bad origin: {exc}") from None
        origin = records.owner_absolute(relative, apex)
    # With origin '.', hosts are written in full but data such as "CNAME www" still means the zone's www.
    data_origin = apex if origin == dns.name.root else origin
    return Context(apex=apex, origin=origin, data_origin=data_origin, client=client)


def _run(
    credential: selectors.ApiCredential,
    gate: Gate | None,
    context: Context,
    commands: list[str],
    *,
    show_soa: bool,
) -> HttpResponse:
    """Apply every command as one change set (or, if any fails to parse, only check them), then answer line by line."""
    parsed = [parse(command, context) for command in commands]
    operations = [command.operation for command in parsed if command.operation is not None]
    client = context.client
    actor = Actor(interface=Interface.LEGACY, label="Primary DNS API v1", address=str(client) if client else None)
    clean = all(command.error is None for command in parsed)
    # The zone is not read before: zone_apply reads it under its lock, and compares the password's hash there.
    zone = Zone(pk=credential.zone_id, name=credential.zone_name)
    # A LIST alone needs no zone_apply, which would take the zone's row lock and queue behind writers.
    result = (
        zone_apply(
            zone=zone,
            changes=operations,
            actor=actor,
            dry_run=not clean,
            precondition=lambda head: head.api_password == credential.stored,
            gate=gate,
        )
        if operations
        else _ungated(gate)
    )
    # LIST shows the zone as the whole request left it: its commands are one change set, committed or not at all.
    listing = (
        _listing(credential, show_soa=show_soa, checked=bool(operations))
        if any(command.is_list for command in parsed)
        else []
    )
    body = "".join(line + "\n" for line in _lines(parsed, result, listing))
    return _reply(body, 200 if clean and result.ok else 400)


def _ungated(gate: Gate | None) -> ApplyResult:
    """A request with nothing to apply (a LIST alone) asks its gate on its own."""
    refusal = gate.run() if gate is not None else None
    if refusal is not None:
        raise refusal
    return ApplyResult([])


def _lines(parsed: list[Parsed], result: ApplyResult, listing: list[str]) -> list[str]:
    outcomes = iter(result.outcomes)  # one per operation, in order
    lines: list[str] = []
    for command in parsed:
        if command.is_list:
            lines.extend(listing)
            continue
        error = command.error or (next(outcomes).error if command.operation is not None else None)
        lines.append(command.failure(error) if error else command.echo)
    return lines


def _listing(credential: selectors.ApiCredential, *, show_soa: bool, checked: bool) -> list[str]:
    """The LIST lines. A request that also changed the zone had its credential checked under the zone's lock then
    (and may not be answered as if it had not been applied); a LIST alone has it checked here."""
    zone = selectors.zone_listed(credential=credential, checked=checked)
    if zone is None:
        if checked:
            return []  # deleted since the change: nothing left to list
        raise PreconditionFailed(f"the zone {credential.zone_name} changed under the request")
    return listing_lines(selectors.zone_records(zone=zone), soa_of=zone if show_soa else None)
