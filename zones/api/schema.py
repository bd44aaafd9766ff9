"""OpenAPI details drf-spectacular cannot infer: the API key security schemes, distinct operation ids, and what each
parameter and body form of the records and dynamic endpoints means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from zones.api import serializers

F = TypeVar("F", bound=Callable[..., Any])
_VERBS = {"GET": "read", "POST": "add", "PUT": "replace", "DELETE": "delete"}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = ["apiKeyBasic", "apiKeyBearer"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        # Either scheme will do: one requirement object each (the default, one object naming both, means both at once).
        return [{"apiKeyBasic": []}, {"apiKeyBearer": []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {"type": "http", "scheme": "basic", "description": "API key id as the user name, its secret as password"},
            {"type": "http", "scheme": "bearer", "description": "a token from POST /login"},
        ]


class ApiKeyParameterScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The dynamic endpoint: the two schemes above, or the key as username and password parameters."""

    target_class = "accounts.authentication.ApiKeyParameterAuthentication"
    name = "apiKeyParameters"

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{"apiKeyBasic": []}, {"apiKeyBearer": []}, {"apiKeyParameters": []}]

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "password",
            "description": "The key's secret as password and its id as username, in the query string or a form body",
        }


class RecordsSchema(AutoSchema):
    """One view serves /records, /records/{host} and /records/{host}/{type}: name each operation after its path."""

    def _get_format_parameters(self) -> list[Any]:
        return []  # the views choose the format by the Accept header only (AcceptHeaderNegotiation)

    def get_operation_id(self) -> str:
        scope = "type" if "{type}" in self.path else "host" if "{host}" in self.path else "zone"
        return f"records_{_VERBS.get(self.method.upper(), self.method.lower())}_by_{scope}"


# --- what the views' parameters and bodies mean (the OpenAPI descriptions; docs/dns-api-v2.md says it at length) --

_FILTERS = [
    OpenApiParameter(
        "host",
        OpenApiTypes.STR,
        description="Only records at this host (relative to the zone, '@' or empty for the apex); with the URL's "
        "host, both must agree.",
    ),
    OpenApiParameter("type", OpenApiTypes.STR, description="Only records of this type (A, TXT, ...)."),
    OpenApiParameter(
        "data",
        OpenApiTypes.STR,
        description="Only records whose data equals this (for names: the same name, relative to the zone or not).",
    ),
    OpenApiParameter(
        "select",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description="A selection of its own, URL-encoded: host=www%26type%3DA. Repeat it: the request addresses the "
        "union, each select narrowed by the URL and the other filters. Unknown fields in it are a 400.",
    ),
]
_VERIFY = OpenApiParameter(
    "verify",
    OpenApiTypes.BOOL,
    allow_blank=True,
    description="Given (without a value, or true): answer 409 unless every nameserver has the zone's current version.",
)
_PROVIDER_FLAGS = [
    OpenApiParameter(
        name,
        OpenApiTypes.BOOL,
        allow_blank=True,
        description=f"Given (without a value, or true): {what}",
    )
    for name, what in [
        (
            "exclude-generated",
            "leave out the provider's records (the apex NS set; the SOA is listed only when asked for by type).",
        ),
        (
            "exclude-template",
            "the same as exclude-generated: the provider's nameservers are what a v2 template would have put there.",
        ),
    ]
]
READ_PARAMETERS = [*_FILTERS, *_PROVIDER_FLAGS, _VERIFY]
POST_PARAMETERS = [_FILTERS[0], _FILTERS[1], _FILTERS[3], _VERIFY]
PUT_PARAMETERS = [*_FILTERS, _VERIFY]
DELETE_PARAMETERS = [*_FILTERS, *_PROVIDER_FLAGS, _VERIFY]
RECORD_BODIES = {
    "application/json": serializers.RecordsSerializer,
    "application/x-www-form-urlencoded": serializers.RecordFormSerializer,
}
DELETE_BODIES = {
    "application/json": serializers.FilterSerializer,
    "application/x-www-form-urlencoded": serializers.FilterSerializer,
}
POST = (
    "Add the body's records: a JSON list, or one record form-encoded (data=4.3.2.1). Each must lie inside the "
    "selection (the URL's host and type, the filters); one the zone has already, or one given twice, is a 400 whose "
    "first error starts 'Duplicate record', and nothing is added."
)
PUT = (
    "Replace the selected records, and only those, with the body's: records of the zone outside the selection stay "
    "(a PUT to /records?select=host%3Dwww%26type%3DA changes www A alone). Without a host, type, filter or select it "
    "is the whole zone. A data filter replaces those records of an RRset, the others of it stay. The provider's "
    "records are never removed."
)
DELETE = (
    "Remove the selected records. A form-encoded or JSON body may hold the filters host, type and data as well "
    "(acme.sh sends data=TOKEN there); given in both places they must agree. The provider's records stay."
)
_DYNAMIC = (
    "Sets the host's A record (IPv4 callers) or AAAA record (IPv6 callers) to the address the request comes from. The "
    "API key may come as HTTP Basic, a bearer token, or username and password parameters (in the query string or a "
    "form-encoded body, not both); its scope must allow the host and type. GET, POST and PUT alike."
)


def dynamic(operation_id: str, responses: dict[Any, Any]) -> Callable[[F], F]:
    """The schema of one method of /dns/v2/dynamic/{fqdn}."""
    return extend_schema(
        operation_id=operation_id,
        summary="Point a host at the caller's address",
        description=_DYNAMIC,
        parameters=[
            OpenApiParameter("username", OpenApiTypes.STR, description="The API key id (instead of HTTP Basic)."),
            OpenApiParameter("password", OpenApiTypes.STR, description="The API key's secret."),
        ],
        request={"application/x-www-form-urlencoded": serializers.CredentialsSerializer},
        responses=responses,
    )
