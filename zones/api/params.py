"""Request parsing for the v2 API: query strings, JSON and form bodies, read name by name.

The safety rule of the API: a parameter or field an endpoint does not implement is refused (400, naming it), on every
method, never ignored. A filter, a `select` or a flag left unread would widen a write: a PUT meant for one RRset would
replace the whole zone, a DELETE meant for one record would empty a host.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from zones.api.codec import NUMBER_FIELDS
from zones.api.selection import Filter, RequestError

# Values of a boolean flag; a flag given without a value (`?exclude-generated`) is true, as curl and shell clients send.
_FLAG_VALUES = {"": True, "true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
FILTER_FIELDS = ("host", "type", "data")
FLAGS = frozenset({"verify", "exclude-generated", "exclude-template"})
# Every field of one record, in the JSON objects of `records` and in a form-encoded body alike.
RECORD_FIELDS = frozenset({"host", "ttl", "type", "data", "caa_tag", *NUMBER_FIELDS})
# A JSON body: the records, and a host and type that records naming none take (dns-lexicon sends them beside).
BODY_FIELDS = frozenset({"records", "host", "type"})
# select= expressions a request may carry; each is a small query string of its own.
MAX_SELECTS = 100


@dataclass(frozen=True)
class Filters:
    """The filters of a request: top-level host/type/data, and the select= expressions (their union)."""

    top: Filter
    selects: tuple[Filter, ...]


def query_check(params: QueryDict, allowed: Collection[str], repeatable: Collection[str] = ("select",)) -> None:
    """Refuse a query parameter the endpoint does not take, one given twice that may appear only once, or a flag
    whose value is not a boolean: all before anything is read or written."""
    errors: list[str] = []
    for name in params:
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "no query parameters"
            errors.append(f"unknown query parameter {name!r} (this endpoint takes {takes})")
        elif name not in repeatable and len(params.getlist(name)) > 1:
            errors.append(f"query parameter {name!r} given more than once")
    if errors:
        raise RequestError(errors)
    for name in FLAGS & set(params):
        flag(params, name)


def flag(params: QueryDict, name: str) -> bool:
    """A boolean flag: absent is false; present without a value, `true`, `1` or `yes` is true; `false`, `0`, `no`."""
    if name not in params:
        return False
    value = str(params[name]).strip().lower()
    if value not in _FLAG_VALUES:
        raise RequestError([f"{name} must be true or false, or given without a value"])
    return _FLAG_VALUES[value]


def filters_parse(params: QueryDict, body: Mapping[str, Any] | None = None) -> Filters:
    """The record filters of the query string, and of a DELETE's body (acme.sh sends `data=` there)."""
    top = Filter(**{name: _single(params, body, name) for name in FILTER_FIELDS})
    selects = params.getlist("select")
    if len(selects) > MAX_SELECTS:
        raise RequestError([f"at most {MAX_SELECTS} select expressions"])
    return Filters(top=top, selects=tuple(select_parse(text) for text in selects))


def select_parse(text: str) -> Filter:
    """One select= value: its own URL-encoded `host=...&type=...&data=...`, at least one of them, each once."""
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True, max_num_fields=3)
    except ValueError:
        raise RequestError([f"select={text!r} is not host=...&type=...&data=... (URL-encoded)"]) from None
    if not pairs:  # an empty select would select everything: the widening this module exists to prevent
        raise RequestError([f"select={text!r} is not host=...&type=...&data=... (it needs at least one)"])
    names = [name for name, _ in pairs]
    unknown = sorted(set(names) - set(FILTER_FIELDS))
    if unknown:
        raise RequestError([f"select={text!r}: unknown field {unknown[0]!r} (a select takes host, type and data)"])
    if len(set(names)) != len(names):
        raise RequestError([f"select={text!r} names a field more than once"])
    return Filter(**dict(pairs))


def delete_body(data: Any) -> Mapping[str, Any]:
    """The body of a DELETE: empty, or the filters host, type and data (form-encoded or a JSON object)."""
    fields = _fields(data)
    unknown = sorted(set(fields) - set(FILTER_FIELDS))
    if unknown:
        raise RequestError(
            [f"unknown body field {name!r} (a DELETE body may hold host, type and data)" for name in unknown]
        )
    return fields


def empty_body(data: Any) -> None:
    """A GET carries no body fields (an empty JSON object, as dns-lexicon sends, is no field)."""
    fields = _fields(data)
    if fields:
        raise RequestError([f"unknown body field {name!r} (this request takes no body)" for name in sorted(fields)])


def records_body(data: Any) -> dict[str, Any]:
    """A POST or PUT body as {"records": [...]} (and the defaults host and type): a JSON object, or one record
    form-encoded."""
    if isinstance(data, QueryDict):
        return {"records": [_form_record(data)]}
    if not isinstance(data, Mapping):
        raise RequestError(["the body must be a JSON object with a records list, or a form-encoded record"])
    _refuse_unknown(data, BODY_FIELDS, "body field")
    records = data.get("records")
    if isinstance(records, Sequence) and not isinstance(records, str):
        for index, item in enumerate(records):
            if isinstance(item, Mapping):
                _refuse_unknown(item, RECORD_FIELDS, "field", prefix=f"records[{index}]: ")
    return dict(data)


def _form_record(data: QueryDict) -> dict[str, Any]:
    _refuse_unknown(data, RECORD_FIELDS, "form field")
    record: dict[str, Any] = {}
    errors: list[str] = []
    for name in data:
        values = data.getlist(name)
        if len(values) > 1:
            errors.append(f"form field {name!r} given more than once (one record per form; JSON for several)")
            continue
        record[name] = _form_number(name, values[0], errors) if name == "ttl" or name in NUMBER_FIELDS else values[0]
    if errors:
        raise RequestError(errors)
    return record


def _form_number(name: str, value: str, errors: list[str]) -> int | str:
    if value.isascii() and value.isdigit():
        return int(value)
    errors.append(f"{name} must be a whole number")
    return value


def _fields(data: Any) -> dict[str, Any]:
    if isinstance(data, QueryDict):
        return {name: data.getlist(name) for name in data}
    if isinstance(data, Mapping):
        return dict(data)
    if data in (None, "", b""):
        return {}
    raise RequestError(["the body must be a JSON object or form-encoded"])


def _refuse_unknown(data: Mapping[str, Any], allowed: Collection[str], what: str, prefix: str = "") -> None:
    unknown = sorted(str(name) for name in data if name not in allowed)
    if unknown:
        raise RequestError([f"{prefix}unknown {what} {name!r}" for name in unknown])


def _single(params: QueryDict, body: Mapping[str, Any] | None, name: str) -> str | None:
    """A filter from the query string or the body; both may give it only if they agree."""
    query = params.get(name)
    if body is None or name not in body:
        return None if query is None else str(query)
    values = body[name] if isinstance(body[name], list) else [body[name]]
    if len(values) != 1 or not isinstance(values[0], str):
        raise RequestError([f"body field {name!r} must be one string"])
    if query is not None and query != values[0]:
        raise RequestError([f"{name} differs between the query string and the body"])
    return values[0]


def credentials_body(data: Any) -> None:
    """The body of a dynamic DNS request: empty, or the API key as username and password (form-encoded)."""
    fields = _fields(data)
    if fields and not isinstance(data, QueryDict):  # the key is read from a form body only: JSON would go unread
        raise RequestError(["give username and password form-encoded or in the query string, not as JSON"])
    unknown = sorted(set(fields) - {"username", "password"})
    if unknown:
        raise RequestError(
            [f"unknown body field {name!r} (this request takes username and password)" for name in unknown]
        )
