"""The text/dns media type: whole zones as RFC 1035 master files, in and out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import SimpleNamespace
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

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
