"""OpenAPI details of the IPAM API drf-spectacular cannot infer: the refusals every operation may answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from accounts.authentication import ApiKeyAuthentication
from ipam.api.serializers import IpamErrorSerializer


class IpamSchema(AutoSchema):
    """Adds 401 (where API keys are accepted: a missing, wrong, revoked or expired key), 403 and 404 (on one
    object's path) to each operation's own responses, so that every view need not repeat them."""

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        errors: dict[str, str] = {}
        if any(isinstance(auth, ApiKeyAuthentication) for auth in self.view.get_authenticators()):
            errors["401"] = "missing or invalid credentials (an unknown, revoked or expired API key)"
            errors["403"] = "not allowed: staff only, a read-only key, or outside the key's scope or client networks"
            if self.view.get_throttles():
                errors["429"] = "too many requests with this API key; see Retry-After"
        else:
            errors["403"] = "staff only: sign in to the panel as staff (API keys are never staff)"
        if "{id}" in self.path:
            errors["404"] = "no such object, or not one of your accounts'"
        for code, description in errors.items():
            if code not in responses:
                response = OpenApiResponse(IpamErrorSerializer, description=description)
                # drf-spectacular's own helper (unannotated), so the error bodies render as its other responses do.
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    response, code, direction=direction
                )
        return responses
