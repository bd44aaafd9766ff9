"""The REST API v2 views: parse the request, check the key's scope, call a service, render JSON (or text/dns)."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from accounts import sql
from accounts.actors import Actor, Interface
from accounts.authentication import (
    CREDENTIAL_PARAMETERS,
    ApiKeyParameterAuthentication,
    credentials_from_basic,
    pending_key_check,
    principal,
)
from accounts.models import ApiKey
from accounts.net import client_address
from accounts.selectors import (
    OutOfScope,
    apikey_actor,
    apikey_allows_address,
    apikey_allows_record,
    apikey_allows_zone,
    apikey_restricted_to_records,
    apikey_verify,
)
from accounts.services import token_issue
from zones import selectors as zone_selectors
from zones.api import params, serializers
from zones.api import schema as schema_docs
from zones.api.media import MASTER_FILE, AcceptHeaderNegotiation, MasterFileParser, MasterFileRenderer
from zones.api.schema import RecordsSchema
from zones.api.selection import RequestError, Selection, selection_parse
from zones.api.selectors import records_selected, zone_for_key, zone_forget, zones_for_key
from zones.api.services import (
    Counts,
    records_add,
    records_delete,
    records_replace,
    zone_replace_from_master_file,
)
from zones.api.throttling import AddressThrottle, KeyThrottle, ZoneThrottle, throttles_read
from zones.dyndns.services import HostUpdate, dyndns_host_update
from zones.models import Zone
from zones.push.selectors import zone_current
from zones.selectors import zone_for_fqdn
from zones.services import PreconditionFailed

log = logging.getLogger(__name__)

_ERRORS = {
    code: OpenApiResponse(serializers.ErrorSerializer, description=text)
    for code, text in [
        (400, "Invalid request or records"),
        (401, "Missing or invalid credentials"),
        (403, "Outside the API key's scope, or a read-only key"),
        (404, "No such zone (or not visible to this key)"),
        (406, "Unacceptable Accept header"),
        (409, "?verify: a nameserver does not have the current version yet"),
        (415, "Unsupported Content-Type"),
        (429, "Too many requests; see Retry-After"),
    ]
}


def v2_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Errors in the v2 shape: {"error": "..."}, or {"errors": [...]} for invalid records."""
    if isinstance(exc, RequestError):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OutOfScope):
        return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Zone.DoesNotExist):  # deleted while this request was on its way to the zone's lock
        return Response({"error": "no such zone"}, status=status.HTTP_404_NOT_FOUND)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _flatten(response.data)}
    elif isinstance(response.data, Mapping) and "detail" in response.data:
        response.data = {"error": str(response.data["detail"])}
    return response


def _flatten(data: Any, path: str = "") -> list[str]:
    """Field errors as "path: message", a list's items by index in brackets (records[0].ttl) however DRF keys them (a
    list, or a dict by index)."""
    if isinstance(data, Mapping):
        return [m for k, v in data.items() for m in _flatten(v, _step(path, k))]
    if isinstance(data, list) and data and all(isinstance(item, str) for item in data):
        return [f"{path}: {item}" if path else str(item) for item in data]
    if isinstance(data, list):
        return [m for i, v in enumerate(data) for m in _flatten(v, f"{path}[{i}]")]
    return [f"{path}: {data}" if path else str(data)]


def _step(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


class V2View(APIView):
    # The per-zone rate is counted with these once the key may see the zone (check_throttles, target_zone).
    throttle_classes = [KeyThrottle, AddressThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    # The query parameters each method implements (HEAD: GET's); every other one is refused before the handler runs.
    query_params: Mapping[str, frozenset[str]] = {}

    def get_exception_handler(self) -> Any:
        return v2_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = "GET" if request.method == "HEAD" else str(request.method)
        params.query_check(request.query_params, self.query_params.get(method, frozenset()))

    # The authentication leaves the read of a remembered key's row to this view (ApiKeyAuthentication), which sends
    # it with the request's rate counts: one round trip for both.
    key_check_later = True
    admitted = False

    def perform_authentication(self, request: Request) -> None:
        """A request with a key is counted (and its remembered key checked) before its permissions: a key made
        read-only or narrowed since it was remembered is refused by its row as it is now."""
        super().perform_authentication(request)
        if isinstance(request.auth, ApiKey):
            self.admit(request)

    def check_throttles(self, request: Request) -> None:
        if not self.admitted:
            self.admit(request)

    def admit(self, request: Request) -> None:
        """Every scope of the request in one count: the key's, the address's and, when the URL names a zone this key
        may see, the zone's (another account's requests never use up a zone's budget). The check of a remembered
        key goes in the same round trip; when the key's row has moved since, the request goes on with the key as the
        row now has it (or is refused), counted once, by what the remembered key named."""
        self.admitted = True
        check = pending_key_check(request)
        self.target = self.target_zone(request)
        throttles = [*self.get_throttles(), *([ZoneThrottle(self.target.pk)] if self.target is not None else [])]
        count = throttles_read(request, self, throttles)
        if check is None:
            wait = count.run()
        else:
            key, wait = sql.together([check.verified, count])
            if key is not check.remembered:
                user, request.auth = principal(request, key)
                request.user = user  # type: ignore[assignment]  # DRF's stubs know Django's users only
                self.target = self.target_zone(request)
        if wait is not None:
            self.throttled(request, wait)

    def target_zone(self, request: Request) -> Zone | None:
        """The zone the URL names (`{zone}`) if the key may see it (None: none, or not for this key)."""
        name = self.kwargs.get("zone")
        return zone_for_key(self.key(request), name) if isinstance(name, str) else None

    def key(self, request: Request) -> ApiKey:
        if not isinstance(request.auth, ApiKey):  # IsAuthenticated lets a request through only with a key
            raise exceptions.NotAuthenticated()
        return request.auth

    def actor(self, request: Request, interface: Interface = Interface.API) -> Actor:
        address = client_address(request)
        return apikey_actor(self.key(request), interface=interface, address=str(address) if address else None)

    def zone(self, request: Request, name: str) -> Zone:
        if self.target is None:
            raise exceptions.NotFound(f"no zone {name!r} for this API key")
        return self.target

    def require_write(self, request: Request) -> None:
        if self.key(request).read_only:
            raise exceptions.PermissionDenied("this API key is read-only")

    def verified(self, request: Request, zone: Zone, response: Response) -> Response:
        """With ?verify, answer 409 unless every enabled nameserver has the zone's current version (read now, after
        the write this response reports)."""
        if not params.flag(request.query_params, "verify"):
            return response
        if zone_current(zone=zone):
            return response
        return Response({"error": "not every nameserver has the current version of the zone yet"}, status=409)


@extend_schema(tags=["zones"])
class ZonesView(V2View):
    @extend_schema(summary="List the zones this key may see", responses={200: serializers.ZonesSerializer, **_ERRORS})
    def get(self, request: Request) -> Response:
        params.empty_body(request.data)
        return Response({"zones": zones_for_key(self.key(request))})


_SELECT = frozenset({"host", "type", "data", "select"})
_PROVIDER_FLAGS = frozenset({"exclude-generated", "exclude-template"})


@extend_schema(tags=["records"])
class RecordsView(V2View):
    """/zones/{zone}/records[/{host}[/{type}]], narrowed by host, type, data and select= (zones/api/selection.py)."""

    parser_classes = [JSONParser, FormParser, MasterFileParser]
    renderer_classes = [JSONRenderer, MasterFileRenderer]
    content_negotiation_class = AcceptHeaderNegotiation
    schema = RecordsSchema()
    query_params = {
        "GET": _SELECT | _PROVIDER_FLAGS | {"verify"},
        "POST": _SELECT - {"data"} | {"verify"},
        "PUT": _SELECT | {"verify"},
        "DELETE": _SELECT | _PROVIDER_FLAGS | {"verify"},
    }

    def target_zone(self, request: Request) -> Zone | None:
        """A write of records may take the zone from memory (checked again under the zone's lock); a read, a master
        file and ?verify (which need the zone's fields) read it."""
        remembered = (
            request.method in {"PUT", "POST", "DELETE"}
            and "verify" not in request.query_params
            and _media_type(request) != MASTER_FILE
        )
        return zone_for_key(self.key(request), self.kwargs["zone"], remembered=remembered)

    def _write(self, request: Request, zone: str, write: Callable[[Zone, int | None], Counts]) -> Counts:
        """Run `write` on the zone; one from memory is given its owner to be checked under the lock, and if that
        fails (deleted, or not that account's any more) it is forgotten and the zone read once more."""
        z = self.zone(request, zone)
        if not z._state.adding:  # read from the database for this request
            return write(z, None)
        try:
            return write(z, self.key(request).account_id)
        except (PreconditionFailed, Zone.DoesNotExist):
            zone_forget(z.name)
        fresh = zone_for_key(self.key(request), zone)
        if fresh is None:
            raise Zone.DoesNotExist(f"zone {zone} is gone")  # found, then deleted: 404 "no such zone"
        return write(fresh, None)

    @extend_schema(
        summary="Read records",
        parameters=schema_docs.READ_PARAMETERS,
        request=None,
        responses={
            (200, "application/json"): serializers.RecordsOutSerializer,
            (200, MASTER_FILE): OpenApiTypes.STR,
            **_ERRORS,
        },
    )
    def get(self, request: Request, zone: str, host: str | None = None, type: str | None = None) -> Response:
        z = self.zone(request, zone)
        params.empty_body(request.data)
        selection = self._selection(request, z, host, type)
        excluded = [name for name in sorted(_PROVIDER_FLAGS) if params.flag(request.query_params, name)]
        if request.accepted_renderer.media_type == MASTER_FILE:
            self._require_whole_zone(request, selection, excluded)
            return self.verified(request, z, Response(zone_selectors.zone_master_file(zone=z)))
        items = records_selected(zone=z, key=self.key(request), selection=selection, provider=not excluded)
        return self.verified(request, z, Response({"records": items}))

    @extend_schema(
        summary="Add records",
        description=schema_docs.POST,
        parameters=schema_docs.POST_PARAMETERS,
        request=schema_docs.RECORD_BODIES,
        responses={200: serializers.ChangeCountsSerializer, **_ERRORS},
    )
    def post(self, request: Request, zone: str, host: str | None = None, type: str | None = None) -> Response:
        z, selection = self._write_target(request, zone, host, type)
        items = self._body_records(request)
        key, actor = self.key(request), self.actor(request)
        counts = self._write(
            request,
            zone,
            lambda z, owner: records_add(zone=z, key=key, selection=selection, items=items, actor=actor, owner=owner),
        )
        return self.verified(request, z, Response(_counts_body(counts)))

    @extend_schema(
        summary="Replace the selected records",
        description=schema_docs.PUT,
        parameters=schema_docs.PUT_PARAMETERS,
        request={**schema_docs.RECORD_BODIES, MASTER_FILE: OpenApiTypes.STR},
        responses={200: serializers.ChangeCountsSerializer, **_ERRORS},
    )
    def put(self, request: Request, zone: str, host: str | None = None, type: str | None = None) -> Response:
        z, selection = self._write_target(request, zone, host, type)
        # The media type decides, not the parsed value: a JSON string body is not a master file.
        if _media_type(request) == MASTER_FILE:
            self._require_whole_zone(request, selection, [])
            counts = zone_replace_from_master_file(zone=z, text=str(request.data), actor=self.actor(request))
        else:
            items = self._body_records(request)
            key, actor = self.key(request), self.actor(request)
            counts = self._write(
                request,
                zone,
                lambda z, owner: records_replace(
                    zone=z, key=key, selection=selection, items=items, actor=actor, owner=owner
                ),
            )
        return self.verified(request, z, Response(_counts_body(counts)))

    @extend_schema(
        summary="Delete the selected records",
        description=schema_docs.DELETE,
        parameters=schema_docs.DELETE_PARAMETERS,
        request=schema_docs.DELETE_BODIES,
        responses={200: serializers.ChangeCountsSerializer, **_ERRORS},
    )
    def delete(self, request: Request, zone: str, host: str | None = None, type: str | None = None) -> Response:
        z = self.zone(request, zone)
        self.require_write(request)
        body = params.delete_body(request.data)
        for name in sorted(_PROVIDER_FLAGS):
            params.flag(request.query_params, name)  # read, and true or not: a DELETE never removes those records
        selection = self._selection(request, z, host, type, body)
        key, actor = self.key(request), self.actor(request)
        counts = self._write(
            request,
            zone,
            lambda z, owner: records_delete(zone=z, key=key, selection=selection, actor=actor, owner=owner),
        )
        reply = {"records_removed": counts.removed, "message": f"{counts.removed} records removed"}
        return self.verified(request, z, Response(reply))

    def _selection(
        self, request: Request, zone: Zone, host: str | None, rdtype: str | None, body: Mapping[str, Any] | None = None
    ) -> Selection:
        filters = params.filters_parse(request.query_params, body)
        return selection_parse(zone.name, host, rdtype, filters.top, filters.selects)

    def _write_target(
        self, request: Request, zone: str, host: str | None, rdtype: str | None
    ) -> tuple[Zone, Selection]:
        z = self.zone(request, zone)
        self.require_write(request)
        return z, self._selection(request, z, host, rdtype)

    def _require_whole_zone(self, request: Request, selection: Selection, excluded: list[str]) -> None:
        if not selection.whole_zone or excluded:
            raise RequestError(["text/dns is for whole zones: /zones/{zone}/records without filters or flags"])
        if apikey_restricted_to_records(self.key(request)):
            raise OutOfScope("this API key is restricted to some hosts or types and cannot use whole-zone files")

    def _body_records(self, request: Request) -> list[dict[str, Any]]:
        validated = serializers.records_validate(params.records_body(request.data))
        defaults = {name: validated[name] for name in ("host", "type") if name in validated}
        return [{**defaults, **record} for record in validated["records"]]


def _media_type(request: Request) -> str:
    return str(request.content_type or "").split(";")[0].strip().lower()


def _counts_body(counts: Counts) -> dict[str, Any]:
    return {
        "records_added": counts.added,
        "records_removed": counts.removed,
        "message": f"{counts.added} records added, {counts.removed} records removed",
    }


_DYNAMIC_RESPONSES = {200: serializers.MessageSerializer, **_ERRORS}


@extend_schema(tags=["dynamic"])
class DynamicView(V2View):
    """Set the A (or AAAA) records of a host to the address the request comes from (GET, POST or PUT, as the v2
    dynamic DNS page allows), with the key as HTTP Basic, a bearer token, or `username`/`password` parameters."""

    authentication_classes = [ApiKeyParameterAuthentication]
    parser_classes = [FormParser, JSONParser]
    query_params = {method: frozenset(CREDENTIAL_PARAMETERS) for method in ("GET", "POST", "PUT")}

    @schema_docs.dynamic("dynamic_get", _DYNAMIC_RESPONSES)
    def get(self, request: Request, fqdn: str) -> Response:
        return self._update(request, fqdn)

    @schema_docs.dynamic("dynamic_put", _DYNAMIC_RESPONSES)
    def put(self, request: Request, fqdn: str) -> Response:
        return self._update(request, fqdn)

    @schema_docs.dynamic("dynamic_post", _DYNAMIC_RESPONSES)
    def post(self, request: Request, fqdn: str) -> Response:
        return self._update(request, fqdn)

    def target_zone(self, request: Request) -> Zone | None:
        found = zone_for_fqdn(self.kwargs["fqdn"])
        if found is None:
            return None
        zone, self.host = found
        return zone if apikey_allows_zone(self.key(request), zone_name=zone.name, account_id=zone.account_id) else None

    def _update(self, request: Request, fqdn: str) -> Response:
        params.credentials_body(request.data)
        self.require_write(request)
        key = self.key(request)
        if self.target is None:
            raise exceptions.NotFound(f"no zone for {fqdn!r} visible to this API key")
        zone, host = self.target, self.host
        address = client_address(request)
        if address is None:
            raise RequestError(["the client address is unknown"])
        if isinstance(address, ipaddress.IPv4Address):
            rdtype, update = "A", HostUpdate(v4=(address,))
        else:
            rdtype, update = "AAAA", HostUpdate(v6=(address,))
        if not apikey_allows_record(key, host=host, rdtype=rdtype):
            raise OutOfScope(f"this API key may not change {host} {rdtype}")
        with transaction.atomic():
            outcome = dyndns_host_update(zone=zone, host=host, update=update, actor=self.actor(request))
        if outcome.error:
            raise RequestError([outcome.error])
        word = "updated" if outcome.changed else "unchanged"
        return Response({"message": f"{fqdn} {rdtype} {word}: {address}"})


@extend_schema(tags=["auth"])
class LoginView(APIView):
    """POST /login: exchange an API key (HTTP Basic key:secret) for a bearer token (OAuth2 client credentials)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [AddressThrottle]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return v2_exception_handler

    @extend_schema(
        summary="Obtain a bearer token",
        request={"application/x-www-form-urlencoded": serializers.LoginSerializer},
        responses={
            200: serializers.TokenSerializer,
            400: serializers.LoginErrorSerializer,
            401: serializers.LoginErrorSerializer,
            403: serializers.LoginErrorSerializer,
            415: serializers.ErrorSerializer,
            429: serializers.ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        refused = _login_refusal(request)
        if refused is not None:
            return Response({"error": "invalid_request", "error_description": refused}, 400)
        credentials = credentials_from_basic(request.META.get("HTTP_AUTHORIZATION", ""))
        key = apikey_verify(key_id=credentials[0], secret=credentials[1]) if credentials else None
        if key is None:
            response = Response({"error": "invalid_client", "error_description": "invalid API key credentials"}, 401)
            response["WWW-Authenticate"] = 'Basic realm="ctrlpanel API"'
            return response
        address = client_address(request)
        if not apikey_allows_address(key, str(address) if address else None):
            return Response({"error": "invalid_client", "error_description": "not allowed from this address"}, 403)
        if request.data.get("grant_type") != "client_credentials":
            return Response({"error": "unsupported_grant_type"}, 400)
        token, lifetime = token_issue(key=key)
        return Response({"access_token": token, "token_type": "bearer", "expires_in": lifetime})


# The fields of a token request (RFC 6749 §4.4.2). `scope` is read and has one meaning: a token can do what its key
# can, never more (§3.3 lets the server choose); dnscontrol's OAuth2 library sends scope=client_credentials.
_LOGIN_FIELDS = frozenset({"grant_type", "scope"})


def _login_refusal(request: Request) -> str | None:
    """Why a token request is malformed (an unknown query parameter or field, or one given twice), or None."""
    if request.query_params:
        return f"unknown query parameter {sorted(request.query_params)[0]!r} (POST /login takes none)"
    data = request.data
    if not isinstance(data, Mapping):
        return "the body must be form-encoded: grant_type=client_credentials"
    unknown = sorted(str(name) for name in data if name not in _LOGIN_FIELDS)
    if unknown:
        return f"unknown field {unknown[0]!r} (POST /login takes grant_type and scope)"
    if isinstance(data, QueryDict) and any(len(data.getlist(name)) > 1 for name in data):
        return "a field is given more than once"
    return None
