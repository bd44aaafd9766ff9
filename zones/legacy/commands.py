"""Parsing of Primary DNS API v1 command lines into zone operations. No I/O: the view does that."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.name

from zones import records
from zones.records import RecordError
from zones.services import Add, Delete, Operation, Replace

VERBS = ("ADD", "DELETE", "REPLACE", "LIST")
DYNAMIC_IP = "DYNAMIC_IP"


@dataclass(frozen=True)
class Context:
    apex: dns.name.Name
    origin: dns.name.Name  # owner names are relative to this ('.' in the request: the root)
    data_origin: dns.name.Name  # relative names in record data are relative to this
    client: ipaddress.IPv4Address | ipaddress.IPv6Address | None


@dataclass(frozen=True)
class Parsed:
    """One command: LIST, an operation with its echo line, or an error line."""

    verb: str
    echo: str
    operation: Operation | None = None
    error: str | None = None

    @property
    def is_list(self) -> bool:
        return self.verb == "LIST" and self.error is None

    def failure(self, reason: str) -> str:
        separator = ": " if reason == "No such record" else "; "
        return f"N{self.echo}{separator}{reason}"


def parse(command: str, context: Context) -> Parsed:
    tokens = command.split()
    verb = tokens[0].upper() if tokens else ""
    echo = " ".join([verb, *tokens[1:]]) if tokens else ""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in command.strip()):
        return Parsed(verb, _visible(echo or command), error="command contains a control character")
    if verb not in VERBS:
        return Parsed(verb, echo, error="Unknown command" if verb else "Empty command")
    if verb == "LIST":
        return Parsed(verb, echo, error="LIST takes no arguments" if len(tokens) > 1 else None)
    if len(tokens) < 5:
        return Parsed(verb, echo, error="Expected: host ttl type data")
    rdtype = tokens[3].upper()
    try:
        data = _data(rdtype, command.split(None, 4)[4].strip(), context)
        echo = " ".join([verb, *tokens[1:4], *data.split()]) if rdtype in {"A", "AAAA"} else echo
        operation = _operation(verb, [*tokens[1:3], rdtype, data], context)
    except RecordError as exc:
        return Parsed(verb, echo, error=str(exc))
    return Parsed(verb, echo, operation=operation)


def _operation(verb: str, entry: list[str], context: Context) -> Operation:
    host, ttl_text, rdtype_text, data = entry
    name = records.owner_parse(host, apex=context.apex, origin=context.origin)
    ttl = records.ttl_parse(ttl_text)
    rdtype = records.type_parse(rdtype_text)
    content = records.content_canonical(rdtype, data, context.data_origin)
    if verb == "ADD":
        return Add(name=name, type=rdtype, content=content, ttl=ttl)
    if verb == "DELETE":
        return Delete(name=name, type=rdtype, content=content)
    return Replace(name=name, type=rdtype, contents=(content,), ttl=ttl)


def _data(rdtype: str, data: str, context: Context) -> str:
    """Legacy data to presentation text: DYNAMIC_IP becomes the client's address; TXT is one unquoted string."""
    if rdtype in {"A", "AAAA"} and data == DYNAMIC_IP:
        return _dynamic_ip(rdtype, context.client)
    if rdtype == "TXT" and not data.startswith('"'):
        return records.txt_from_plain(data)
    return data


def _dynamic_ip(rdtype: str, client: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str:
    wanted = 4 if rdtype == "A" else 6
    if client is None or client.version != wanted:
        have = f"an IPv{client.version} address" if client else "no address"
        raise RecordError(f"DYNAMIC_IP for {rdtype} needs an IPv{wanted} client address; the request came from {have}")
    return str(client)


def _visible(text: str) -> str:
    return "".join(ch if ord(ch) >= 0x20 and ord(ch) != 0x7F else f"\\x{ord(ch):02x}" for ch in text)
