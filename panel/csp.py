"""django-csp's middleware with the policy header built once instead of on every response.

The policy is CONTENT_SECURITY_POLICY alone: no view changes it (csp_update, csp_replace, csp_exempt) and no template
asks for a nonce, so its header is the same text on every response. django-csp builds it anew each time (a dataclass
copy, a walk of every directive), which cost a REST write as much CPU as its own throttle count. A response that does
carry a per-response policy, a request that took a nonce, an excluded prefix or DEBUG's error pages go through
django-csp unchanged.
"""

from __future__ import annotations

from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# Attributes django-csp's decorators set on a response to change or drop its policy.
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


class CSPMiddleware(BaseCSPMiddleware):
    _built: tuple[Any, Any, str, str] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not self._static(request, response):
            return super().process_response(request, response)
        policy, policy_ro = self._headers()
        if policy and HEADER not in response:
            response[HEADER] = policy
        if policy_ro and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = policy_ro
        # As django-csp does: a nonce asked for after the header is written raises instead of going unused.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @staticmethod
    def _static(request: HttpRequest, response: HttpResponseBase) -> bool:
        """True when this response gets exactly the settings' policy: django-csp's result is then the cached one."""
        if settings.DEBUG or getattr(request, "_csp_nonce", None) is not None:
            return False
        if any(hasattr(response, name) for name in _PER_RESPONSE):
            return False
        policies = (_setting("CONTENT_SECURITY_POLICY"), _setting("CONTENT_SECURITY_POLICY_REPORT_ONLY"))
        return not any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies)

    def _headers(self) -> tuple[str, str]:
        """The two headers of the current settings, rebuilt when the settings objects change (override_settings)."""
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        policy_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not policy or built[1] is not policy_ro:
            built = (policy, policy_ro, build_policy(), build_policy(report_only=True))
            self._built = built
        return built[2], built[3]


def _setting(name: str) -> dict[str, Any]:
    value = getattr(settings, name, None)
    return value if isinstance(value, dict) else {}
