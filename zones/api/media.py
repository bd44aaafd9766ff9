"""The text/dns media type: whole zones as RFC 1035 master files, in and out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

MASTER_FILE = "text/dns"


class MasterFileParser(BaseParser):
    media_type = MASTER_FILE

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return str(stream.read().decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("a master file must be UTF-8 text") from None


class MasterFileRenderer(BaseRenderer):
    media_type = MASTER_FILE
    format = "dns"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if isinstance(data, str):
            return data.encode()
        # Errors keep their JSON body; the client asked for text/dns, so it reads them as text.
        return json.dumps(data).encode()


class AcceptHeaderNegotiation(DefaultContentNegotiation):
    """Only the Accept header picks the format: no `?format=` override, so the documented query parameters are all
    there is (a stray `format=` must not change or break an answer)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]  # only this setting is read

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        # No Accept header, or curl's and python-requests' `*/*`, takes the first renderer as DRF would, without
        # parsing media types on every request.
        listed = list(renderers)
        if request.META.get("HTTP_ACCEPT", _ANY) == _ANY and not format_suffix and listed:
            return listed[0], str(listed[0].media_type)
        chosen: tuple[BaseRenderer, str] = super().select_renderer(request, listed, format_suffix)
        return chosen


_ANY = "*/*"
