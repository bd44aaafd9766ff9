"""OpenAPI details drf-spectacular cannot infer: the API key security schemes and distinct operation ids."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

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


class RecordsSchema(AutoSchema):
    """One view serves /records, /records/{host} and /records/{host}/{type}: name each operation after its path."""

    def _get_format_parameters(self) -> list[Any]:
        return []  # the views choose the format by the Accept header only (AcceptHeaderNegotiation)

    def get_operation_id(self) -> str:
        scope = "type" if "{type}" in self.path else "host" if "{host}" in self.path else "zone"
        return f"records_{_VERBS.get(self.method.upper(), self.method.lower())}_by_{scope}"
