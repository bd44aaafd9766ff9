"""Property tests: the parser never raises, and the endpoint answers every command list in its own format."""

from __future__ import annotations

import ipaddress

import dns.name
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.legacy.conftest import Api
from zones import selectors
from zones.legacy.commands import Context, parse
from zones.models import Zone

APEX = dns.name.from_text("example.com.")
CONTEXTS = [
    Context(apex=APEX, origin=APEX, data_origin=APEX, client=ipaddress.ip_address("192.0.2.7")),
    Context(apex=APEX, origin=dns.name.root, data_origin=APEX, client=ipaddress.ip_address("2001:db8::7")),
    Context(apex=APEX, origin=dns.name.from_text("sub.example.com."), data_origin=APEX, client=None),
]

VERBS = st.sampled_from(["ADD", "DELETE", "REPLACE", "add", "Replace", "LIST", "BOGUS", "", "NADD"])
HOSTS = st.sampled_from(
    [
        "www",
        "@",
        "*",
        "*.sub",
        "_acme-challenge.www",
        "_sip._tcp",
        "example.com.",
        "www.example.org.",
        "a..b",
        "-x",
        "x" * 64,
        "bücher",
        "sub.",
        "WWW",
        ".",
    ]
) | st.text(max_size=12)
TTLS = st.sampled_from(["300", "0", "60", "-1", "abc", "2147483647", "2147483648", "1e3", ""]) | st.integers().map(str)
TYPES = st.sampled_from(
    [
        "A",
        "AAAA",
        "CNAME",
        "ANAME",
        "NS",
        "MX",
        "SRV",
        "TXT",
        "CAA",
        "SSHFP",
        "TLSA",
        "PTR",
        "DS",
        "SOA",
        "HINFO",
        "a",
        "txt",
        "TYPE65534",
    ]
)
DATA = st.sampled_from(
    [
        "192.0.2.1",
        "192.0.2.2",
        "2001:db8::1",
        "DYNAMIC_IP",
        "target.example.net.",
        "www",
        "10 mx.example.net.",
        "0 0 0 .",
        "10 20 5060 sip.example.net.",
        "hello world; v=1",
        '"quoted"',
        '"unterminated',
        "0 issue letsencrypt.org",
        "1 1 deadbeef",
        "3 1 1 00ff",
        "12345 13 2 00ff",
        "",
        "\\",
        "\\999",
        "1.2.3.4 5.6.7.8",
    ]
) | st.text(max_size=40)
SEPARATORS = st.sampled_from([" ", "  ", "\t", " \t "])


VALID = st.sampled_from(
    [
        "ADD www 300 A 192.0.2.1",
        "ADD www 300 A 192.0.2.2",
        "DELETE www 300 A 192.0.2.1",
        "REPLACE www 60 A 192.0.2.3",
        "REPLACE home 60 A DYNAMIC_IP",
        "ADD www 300 AAAA 2001:db8::1",
        "ADD alias 300 CNAME www",
        "DELETE alias 300 CNAME www.example.com.",
        "ADD @ 300 MX 10 mx.example.net.",
        "ADD _sip._tcp 300 SRV 0 0 0 .",
        "REPLACE _acme-challenge.www 30 TXT token; with data",
        "DELETE _acme-challenge.www 30 TXT token; with data",
        "ADD @ 300 CAA 0 issue letsencrypt.org",
        "ADD *.sub 300 TXT wildcard",
        "LIST",
    ]
)


@st.composite
def commands(draw: st.DrawFn) -> str:
    """Valid commands, well-formed-looking ones from fragments, and arbitrary text."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.text(max_size=80))
    if kind < 6:
        return draw(VALID)
    parts = [draw(VERBS), draw(HOSTS), draw(TTLS), draw(TYPES), draw(DATA)]
    parts = parts[: draw(st.integers(1, 5))]
    return draw(SEPARATORS).join(parts)


@settings(max_examples=300, deadline=None)
@given(command=st.text() | commands(), context=st.sampled_from(CONTEXTS))
def test_the_parser_never_raises_and_never_answers_a_line_break(command: str, context: Context) -> None:
    parsed = parse(command, context)
    assert (parsed.operation is None) or (parsed.error is None)
    for line in (parsed.echo, parsed.failure(parsed.error or "reason")):
        assert len(line.splitlines()) <= 1
        assert "\n" not in line


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(commands(), min_size=1, max_size=5))
def test_the_endpoint_answers_one_line_per_command_and_a_failure_changes_nothing(
    api: Api, zone: Zone, batch: list[str]
) -> None:
    # Hypothesis runs the examples in one database transaction: the zone carries over from one to the next.
    before = selectors.zone_records(zone=zone)
    reply = api.post(*batch, showall="0")
    after = selectors.zone_records(zone=zone)
    if not any(batch):  # only empty commands: as if there were none
        assert (reply.status, reply.body, after) == (400, "ERR Missing parameter: command\n", before)
        return
    event(f"status {reply.status}")  # --hypothesis-show-statistics: both outcomes must be well represented
    assert reply.status in {200, 400}
    assert reply.response["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.body == "" or reply.body.endswith("\n")
    lists = sum(1 for command in batch if command.strip(" \t\r\n").upper() == "LIST")
    listing = len(after) if lists else 0
    assert len(reply.body.split("\n")) - 1 == len(batch) - lists + lists * listing
    if reply.status == 400:
        assert after == before
        assert any(line.startswith("N") for line in reply.body.split("\n"))
