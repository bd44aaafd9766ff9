"""Endpoint and transport: every path, GET and POST, the three spellings of a space, the reply's form."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import API_PASSWORD
from tests.legacy.conftest import NS_LINES, Api, rrset
from zones.models import Zone

PATHS = [
    "/customer/primarydnsapi",
    "/customer/primarydnsapi/",
    "/control/fcgi/customer/primarydnsapi",
    "/control/fcgi/customer/primarydnsapi/",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_historical_path_answers_a_post(api: Api, zone: Zone, path: str) -> None:
    reply = api.post("REPLACE www 300 A 192.0.2.1", path=path)
    assert (reply.status, reply.body) == (200, "REPLACE www 300 A 192.0.2.1\n")
    assert rrset(zone, "www", "A") == [(300, "192.0.2.1")]


@pytest.mark.parametrize("path", PATHS)
def test_every_historical_path_answers_a_get(api: Api, zone: Zone, path: str) -> None:
    reply = api.get("REPLACE www 300 A 192.0.2.2", path=path)
    assert (reply.status, reply.body) == (200, "REPLACE www 300 A 192.0.2.2\n")
    assert rrset(zone, "www", "A") == [(300, "192.0.2.2")]


@pytest.mark.parametrize("path", ["/", ""])
def test_a_dedicated_api_host_answers_at_its_root(client: Client, zone: Zone, path: str) -> None:
    with override_settings(LEGACY_API_HOSTS=["dnsapi.example.net", "dnsapi4.example.net"]):
        response = client.post(
            path or "/",
            {"domain": "example.com", "password": API_PASSWORD, "command": "REPLACE home 60 A 192.0.2.3"},
            HTTP_HOST="dnsapi4.example.net",
        )
    assert (response.status_code, response.content) == (200, b"REPLACE home 60 A 192.0.2.3\n")
    assert rrset(zone, "home", "A") == [(60, "192.0.2.3")]


def test_a_dedicated_api_host_is_recognised_with_a_port_and_in_any_letter_case(client: Client, zone: Zone) -> None:
    with override_settings(LEGACY_API_HOSTS=["dnsapi.example.net"]):
        response = client.get(
            "/",
            {"domain": "example.com", "password": API_PASSWORD, "command": "LIST", "showall": "0"},
            HTTP_HOST="DNSAPI.example.net:8443",
        )
    assert (response.status_code, response.content.decode()) == (200, NS_LINES)


def test_the_root_of_another_host_is_not_the_api(client: Client, zone: Zone) -> None:
    with override_settings(LEGACY_API_HOSTS=["dnsapi.example.net"]):
        response = client.post(
            "/",
            {"domain": "example.com", "password": API_PASSWORD, "command": "REPLACE home 60 A 192.0.2.3"},
            HTTP_HOST="panel.example.net",
        )
    assert not response.content.startswith(b"REPLACE")  # whatever the panel answers there, it is not the API
    assert rrset(zone, "home", "A") == []


def test_the_reply_is_utf8_plain_text(api: Api) -> None:
    reply = api.post("LIST", showall="0")
    assert reply.response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "encoded_command",
    [
        b"REPLACE+myhost+300+A+192.0.2.4",
        b"REPLACE%20myhost%20300%20A%20192.0.2.4",
        b"REPLACE myhost 300 A 192.0.2.4",
        b"REPLACE  myhost\t300 A   192.0.2.4",
    ],
    ids=["plus", "percent-20", "raw", "raw-mixed-whitespace"],
)
def test_spaces_may_arrive_as_plus_percent_20_or_raw(api: Api, zone: Zone, encoded_command: bytes) -> None:
    password = API_PASSWORD.replace(" ", "+").encode()
    reply = api.raw(b"domain=example.com&password=" + password + b"&command=" + encoded_command)
    assert (reply.status, reply.body) == (200, "REPLACE myhost 300 A 192.0.2.4\n")
    assert rrset(zone, "myhost", "A") == [(300, "192.0.2.4")]


def test_a_get_with_raw_spaces_in_the_query_string_parses(client: Client, zone: Zone) -> None:
    password = API_PASSWORD.replace(" ", "%20")
    response = client.generic(
        "GET", "/customer/primarydnsapi", QUERY_STRING=f"domain=example.com&password={password}&command=LIST&showall=0"
    )
    assert (response.status_code, response.content.decode()) == (200, NS_LINES)


def test_a_post_without_a_body_reads_the_query_string(api: Api, zone: Zone) -> None:
    password = API_PASSWORD.replace(" ", "+")
    reply = api.raw(b"", path=f"/customer/primarydnsapi?domain=example.com&password={password}&command=LIST&showall=0")
    assert (reply.status, reply.body) == (200, NS_LINES)


def test_repeated_commands_run_in_order_as_one_transaction(api: Api, zone: Zone) -> None:
    version = zone.version
    reply = api.post("ADD a 300 A 192.0.2.1", "ADD a 300 A 192.0.2.2", "DELETE a 300 A 192.0.2.1", "LIST", showall="0")
    assert reply.status == 200
    assert reply.lines[:3] == ["ADD a 300 A 192.0.2.1", "ADD a 300 A 192.0.2.2", "DELETE a 300 A 192.0.2.1"]
    zone.refresh_from_db()
    assert zone.version == version + 1  # one committed change set, not three
    assert rrset(zone, "a", "A") == [(300, "192.0.2.2")]


def test_a_list_shows_the_zone_as_the_whole_request_leaves_it(api: Api, zone: Zone) -> None:
    # Decided: the changes of a request are one change set, so a LIST anywhere in it reports the committed result.
    reply = api.post("ADD a 300 A 192.0.2.1", "LIST", "ADD b 300 A 192.0.2.2", showall="0")
    assert reply.status == 200
    assert reply.lines == [
        "ADD a 300 A 192.0.2.1",
        "@ 3600 NS ns1.ctrlpanel.test. ",
        "@ 3600 NS ns2.ctrlpanel.test. ",
        "a 300 A 192.0.2.1 ",
        "b 300 A 192.0.2.2 ",
        "ADD b 300 A 192.0.2.2",
    ]


def test_a_list_in_a_failed_request_shows_the_unchanged_zone(api: Api, zone: Zone) -> None:
    reply = api.post("ADD a 300 A 192.0.2.1", "LIST", "ADD b 300 A 300.0.0.1", showall="0")
    assert reply.status == 400
    assert reply.lines[1:3] == ["@ 3600 NS ns1.ctrlpanel.test. ", "@ 3600 NS ns2.ctrlpanel.test. "]
    assert reply.lines[0] == "ADD a 300 A 192.0.2.1"
    assert reply.lines[3].startswith("NADD b 300 A 300.0.0.1; ")
    assert len(reply.lines) == 4


def test_unknown_parameters_are_ignored(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE a 300 A 192.0.2.1", colour="blue", ttl="5")
    assert (reply.status, reply.body) == (200, "REPLACE a 300 A 192.0.2.1\n")


def test_other_methods_are_refused_in_plain_text(client: Client, zone: Zone) -> None:
    response = client.put(
        "/customer/primarydnsapi", b"domain=example.com", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 405
    assert response.content.startswith(b"ERR ")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
