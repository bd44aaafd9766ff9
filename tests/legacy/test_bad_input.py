"""Bad input of every kind: a clear `N…` line or `ERR …` reply, a 4xx status, nothing applied, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import API_PASSWORD
from tests.legacy.conftest import Api, records_of, rrset
from zones.models import Zone

PASSWORD = API_PASSWORD.replace(" ", "+").encode()


@pytest.mark.parametrize(
    ("command", "line"),
    [
        ("ADD", "NADD; Expected: host ttl type data"),
        ("ADD www", "NADD www; Expected: host ttl type data"),
        ("ADD www 300", "NADD www 300; Expected: host ttl type data"),
        ("ADD www 300 A", "NADD www 300 A; Expected: host ttl type data"),
        ("DELETE www 300 A", "NDELETE www 300 A; Expected: host ttl type data"),
        ("LIST everything", "NLIST everything; LIST takes no arguments"),
        ("FROB www 300 A 192.0.2.1", "NFROB www 300 A 192.0.2.1; Unknown command"),
        ("   ", "N; Empty command"),
    ],
)
def test_a_malformed_command_fails_with_a_reason(api: Api, zone: Zone, command: str, line: str) -> None:
    reply = api.post(command, "ADD ok 300 A 192.0.2.1")
    assert (reply.status, reply.lines) == (400, [line, "ADD ok 300 A 192.0.2.1"])
    assert records_of(zone) == []


@pytest.mark.parametrize(
    "command",
    [
        "ADD www 300 A 192.0.2.1\nADD evil 300 A 192.0.2.2",
        "ADD www 300 TXT a\nb",
        "ADD www 300 TXT a\rb",
        "ADD www 300 TXT a\x00b",
        "ADD www\x00 300 A 192.0.2.1",
        "ADD www 300 TXT a\u2028b",
        "ADD www 300 TXT a\x85b",
        "ADD www 300 TXT a\x1bb",
        "ADD www 300 TXT a\x7fb",
    ],
    ids=["newline", "newline-in-txt", "cr", "nul", "nul-in-host", "u2028", "nel", "escape", "del"],
)
def test_an_embedded_line_break_or_control_character_fails_that_command_on_one_line(
    api: Api, zone: Zone, command: str
) -> None:
    reply = api.post(command)
    assert reply.status == 400
    assert reply.body.count("\n") == 1
    assert len(reply.body.splitlines()) == 1
    assert reply.body.startswith("NADD www")
    assert "control character" in reply.body
    assert records_of(zone) == []


@pytest.mark.parametrize("ending", ["\n", "\r\n", " \t"])
def test_a_trailing_line_break_or_space_is_forgiven(api: Api, zone: Zone, ending: str) -> None:
    reply = api.post(f"REPLACE www 300 A 192.0.2.1{ending}")
    assert (reply.status, reply.body) == (200, "REPLACE www 300 A 192.0.2.1\n")


@override_settings(LEGACY_API_MAX_COMMANDS=5)
def test_too_many_commands_are_refused_before_anything_is_parsed(api: Api, zone: Zone) -> None:
    reply = api.post(*[f"ADD h{i} 300 A 192.0.2.1" for i in range(6)])
    assert reply.status == 413
    assert reply.body == "ERR Too many commands (at most 5 per request)\n"
    assert records_of(zone) == []


def test_a_request_at_the_command_limit_is_one_change_set(api: Api, zone: Zone) -> None:
    with override_settings(LEGACY_API_MAX_COMMANDS=300):
        reply = api.post(*[f"ADD h{i} 300 A 192.0.2.{i % 250 + 1}" for i in range(300)])
    assert reply.status == 200
    assert len(reply.lines) == 300
    assert len(records_of(zone)) == 300


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_too_many_form_fields_are_refused(api: Api, zone: Zone) -> None:
    reply = api.post(*["LIST"] * 20)
    assert (reply.status, reply.body) == (413, "ERR Request too large\n")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_refused(api: Api, zone: Zone) -> None:
    reply = api.post("ADD big 300 TXT " + "x" * 2000)
    assert (reply.status, reply.body) == (413, "ERR Request too large\n")
    assert records_of(zone) == []


def test_an_oversized_record_is_refused(api: Api, zone: Zone) -> None:
    reply = api.post("ADD big 300 TXT " + "x" * 5000)
    assert reply.status == 400
    assert reply.body.startswith("NADD big 300 TXT xxx")
    assert reply.body.count("\n") == 1


def test_a_very_long_name_is_refused(api: Api, zone: Zone) -> None:
    reply = api.post("ADD " + "a" * 100_000 + " 300 A 192.0.2.1")
    assert reply.status == 400
    assert reply.body.count("\n") == 1


@override_settings(ZONE_MAX_RECORDS=4)
def test_the_zone_size_limit_fails_the_request(api: Api, zone: Zone) -> None:
    reply = api.post("ADD a 300 A 192.0.2.1", "ADD b 300 A 192.0.2.1", "ADD c 300 A 192.0.2.1")
    assert reply.status == 400
    assert all("at most 4 records" in line for line in reply.lines)
    assert records_of(zone) == []


@pytest.mark.parametrize(
    "body",
    [
        b"domain=example.com&password=" + PASSWORD + b"&command=ADD+\xff\xfe+300+A+192.0.2.1",
        b"domain=example.com&password=" + PASSWORD + b"&command=ADD+%FF%FE+300+A+192.0.2.1",
        b"domain=example.com&password=" + PASSWORD + b"&command=ADD+www+300+TXT+%C3%28",
        b"domain=example.com&password=" + PASSWORD + b"&command=%ED%A0%80",
    ],
    ids=["raw-bytes", "percent-encoded", "bad-utf8-in-txt", "encoded-surrogate"],
)
def test_bytes_that_are_not_utf8_never_cause_a_server_error(api: Api, zone: Zone, body: bytes) -> None:
    reply = api.raw(body)
    assert reply.status in {200, 400}
    assert reply.response["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.body.count("\n") == 1
    if reply.status == 400:
        assert records_of(zone) == []


def test_a_txt_with_undecodable_bytes_stores_the_replacement_character(api: Api, zone: Zone) -> None:
    reply = api.raw(b"domain=example.com&password=" + PASSWORD + b"&command=ADD+www+300+TXT+%C3%28")
    assert reply.status == 200
    assert rrset(zone, "www", "TXT") == [(300, '"\\239\\191\\189("')]


@pytest.mark.parametrize(
    "body",
    [
        b"domain=%FF%FE&password=x&command=LIST",
        b"domain=\xff\xfe.com&password=x&command=LIST",
        b"domain=example.com&password=%FF%FE&command=LIST",
        b"domain=" + b"a" * 10_000 + b"&password=x&command=LIST",
        b"domain=a..b&password=x&command=LIST",
        b"domain=%00&password=x&command=LIST",
    ],
)
def test_malformed_credentials_are_not_authenticated(api: Api, body: bytes) -> None:
    reply = api.raw(body)
    assert (reply.status, reply.body) == (401, "ERR Not authenticated\n")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded; charset=latin-1", b"domain=example.com"),
        ("multipart/form-data; boundary=zzz", b"--zzz\r\nContent-Disposition: form-data\r\n\r\nbroken"),
        ("multipart/form-data", b"no boundary at all"),
    ],
    ids=["unsupported-charset", "broken-multipart", "multipart-without-boundary"],
)
def test_a_malformed_body_is_a_bad_request_in_plain_text(api: Api, content_type: str, body: bytes) -> None:
    reply = api.raw(body, content_type=content_type)
    assert reply.status == 400
    assert reply.body.startswith("ERR ")
    assert reply.body.count("\n") == 1


def test_a_body_in_another_format_is_a_bad_request(api: Api) -> None:
    reply = api.raw(b'{"domain": "example.com"}', content_type="application/json")
    assert (reply.status, reply.body) == (400, "ERR Missing parameter: domain, password, command\n")


def test_a_garbled_query_string_is_a_bad_request(client: Client, zone: Zone) -> None:
    response = client.generic("GET", "/customer/primarydnsapi", QUERY_STRING="%%%&&&==&command&domain")
    assert response.status_code == 400
    assert response.content.startswith(b"ERR Missing parameter")
