"""Parsing of Primary DNS API v1 command lines into zone operations. No I/O: the view does that.

A command is `VERB host ttl type data`, tokens separated by spaces or tabs, `data` the rest of the line. `parse` never
raises for any input: whatever is wrong becomes the reason of that command's `N…` reply line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dns.name

from accounts.net import IPAddress
from zones import records
from zones.records import RecordError
from zones.services import Add, Delete, Operation, Replace

VERBS = frozenset({"ADD", "DELETE", "REPLACE", "LIST"})
DYNAMIC_IP = "DYNAMIC_IP"
NO_SUCH_RECORD = "No such record"

# Only ASCII spaces and tabs separate tokens: str.split() would also split on characters such as U+2028 or U+0085,
# which a text client treats as line breaks, and a reply line must never contain one.
_SEPARATOR = re.compile(r"[ \t]+")
# A trailing line break (a shell here-document, a file read line by line) is forgiven; anywhere else it is an error.
_EDGES = " \t\r\n"
# C0 and C1 controls (the tab excepted) and the Unicode line and paragraph separators.
_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Context:
    apex: dns.name.Name
    origin: dns.name.Name  # owner names are relative to this ('.' in the request: the root)
    data_origin: dns.name.Name  # relative names in record data are relative to this
    client: IPAddress | None


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
        separator = ": " if reason == NO_SUCH_RECORD else "; "
        # A reason may quote decoded input (dnspython decodes the escape \010 to a newline): it must not break the line.
        return f"N{self.echo}{separator}{_visible(reason)}"


def parse(command: str, context: Context) -> Parsed:
    """Parse one command line; never raises."""
    text = command.strip(_EDGES)
    tokens = _SEPARATOR.split(text) if text else []
    verb = _verb(tokens[0]) if tokens else ""
    echo = " ".join([verb, *tokens[1:]])
    if _FORBIDDEN.search(text):
        return Parsed(verb, _visible(echo), error="command contains a control character or line break")
    if verb not in VERBS:
        return Parsed(verb, echo, error="Unknown command" if verb else "Empty command")
    if verb == "LIST":
        return Parsed(verb, echo, error="LIST takes no arguments" if len(tokens) > 1 else None)
    if len(tokens) < 5:
        return Parsed(verb, echo, error="Expected: host ttl type data")
    return _entry(verb, tokens[1:4], _SEPARATOR.split(text, maxsplit=4)[4], context)


def _verb(token: str) -> str:
    # Upper-case ASCII only: str.upper() maps some other letters to ASCII (the Turkish dotless i becomes "I").
    return token.upper() if token.isascii() else token


def _entry(verb: str, head: list[str], data: str, context: Context) -> Parsed:
    rdtype = head[2]
    shown = data  # the echo shows the data as sent, except that DYNAMIC_IP shows the address it became
    try:
        data = _data(rdtype.upper(), data, context)
        shown = data if rdtype.upper() in {"A", "AAAA"} else shown
        operation = _operation(verb, head, data, context)
    except RecordError as exc:
        return Parsed(verb, _echo(verb, head, shown), error=str(exc))
    return Parsed(verb, _echo(verb, head, shown), operation=operation)


def _echo(verb: str, head: list[str], data: str) -> str:
    return " ".join([verb, *head, *_SEPARATOR.split(data)])


def _operation(verb: str, head: list[str], data: str, context: Context) -> Operation:
    host, ttl_text, rdtype_text = head
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
    if rdtype == "TXT":
        # Quoted data is master-file text (what LIST shows, sent back); anything else is the string itself.
        return data if data.startswith('"') else records.txt_from_plain(data)
    data = " ".join(_SEPARATOR.split(data))
    if rdtype in {"A", "AAAA"} and data == DYNAMIC_IP:
        return _dynamic_ip(rdtype, context.client)
    return data


def _dynamic_ip(rdtype: str, client: IPAddress | None) -> str:
    wanted = 4 if rdtype == "A" else 6
    if client is None or client.version != wanted:
        have = f"an IPv{client.version} address" if client else "no address"
        raise RecordError(f"DYNAMIC_IP for {rdtype} needs an IPv{wanted} client address; the request came from {have}")
    return str(client)


def _visible(text: str) -> str:
    return _FORBIDDEN.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
