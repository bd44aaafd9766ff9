"""The request sequences of three v2 clients, replayed as their sources send them (their programs are Go and shell,
not in this suite); each followed by the check that every record outside what the client meant to touch is still there.

| client | repository @ commit | the files each sequence is read from |
|---|---|---|
| acme.sh | acmesh-official/acme.sh @ 7362e8de | `dnsapi/dns_mythic_beasts.sh` |
| libdns (Caddy) | libdns/mythicbeasts @ 4aa179aa | `client.go`, `provider.go`, `mythicbeasts.go` |
| dnscontrol | StackExchange/dnscontrol @ 16c26ac7 | `providers/mythicbeasts/*Provider.go`, `pkg/nameservers/` |

Each section below says what its client sends, step by step.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import dns.zone
import pytest
from django.test import Client

from zones.models import Zone
from zones.selectors import zone_records
from zones.services import Add, zone_apply

API = "/dns/v2/zones"
FORM = "application/x-www-form-urlencoded"
ZONE = [
    Add("www", "A", "192.0.2.1"),
    Add("mail", "A", "192.0.2.2"),
    Add("@", "MX", "10 mail.example.com."),
    Add("@", "TXT", '"v=spf1 mx -all"'),
    Add("_acme-challenge.www", "TXT", '"an older token"'),
    Add("settest1", "A", "192.0.2.4"),
]
Rows = set[tuple[str, str, str]]


@dataclass
class Answer:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@pytest.fixture
def populated(zone, cli_actor):
    zone_apply(zone=zone, changes=ZONE, actor=cli_actor)
    return zone


def rows(zone: Zone) -> Rows:
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone) if (r.name, r.type) != ("@", "NS")}


def send(client: Client, method: str, path: str, body: str = "", **headers: str) -> Answer:
    meta: dict[str, Any] = {
        "HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items() if name != "content_type"
    }
    response = client.generic(
        method, path, body, content_type=headers.get("content_type", ""), REMOTE_ADDR="192.0.2.50", **meta
    )
    return Answer(response.status_code, response.content.decode())


# --- acme.sh -------------------------------------------------------------------------------------------------------
# dns_mythic_beasts_add and _rm each: _oauth2_std (POST /login with Basic of `echo "K:S" | _base64`, the form body
# grant_type=client_credentials; the token cut out with `cut -d : -f 2`), _initAuth's GET of the zone list, _get_root
# (GET /zones/{candidate}/records for ever shorter names until one answers), then POST .../records/{sub}/TXT with the
# form body data=TOKEN and GET ...?verify (add), or DELETE .../records/{sub}/TXT with the form body data=TOKEN (rm).

TOKEN = "XKrxpRBosdIKFzxW_CT3KLZNf6q0HG9i01zxXp5CPBs"  # the script's own example value


def acme_sh_failed(answer: Answer) -> bool:
    """_mb_rest's test: `[ "$code" -ge 400 ] || _contains "$response" '"error"' || _contains ... invalid_client`."""
    return answer.status >= 400 or '"error"' in answer.text or "invalid_client" in answer.text


def acme_sh_login(client: Client, key_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{key_id}:{secret}\n".encode()).decode()  # echo "$MB_AK:$MB_AS" | _base64
    body = "grant_type=client_credentials"
    answer = send(client, "POST", "/login", body, authorization=f"Basic {basic}", accepts="application/json",
                  content_type=FORM)  # fmt: skip
    assert '"token_type":"bearer"' in answer.text, answer.text  # _contains "$response" "\"token_type\":\"bearer\""
    found = re.search(r'access_token":"[^"]*"', answer.text)  # _egrep_o "access_token\":\"[^\"]*\""
    assert found is not None, answer.text
    return found.group(0).split(":")[1].replace('"', "")  # cut -d : -f 2 | tr -d '"'


def acme_sh_root(client: Client, bearer: dict[str, str], fulldomain: str) -> tuple[str, str]:
    """_get_root: GET $h/records for ever shorter $h until one answers; the sub-domain is the labels before it."""
    labels = fulldomain.split(".")
    for i in range(1, len(labels)):
        candidate = ".".join(labels[i - 1 :])
        if not acme_sh_failed(send(client, "GET", f"{API}/{candidate}/records", **bearer)):
            return ".".join(labels[: max(i - 1, 1)]), candidate
    raise AssertionError("no zone found")


def acme_sh_session(client: Client, key_id: str, secret: str, fulldomain: str) -> tuple[dict[str, str], str, str]:
    token = acme_sh_login(client, key_id, secret)
    bearer = {"authorization": f"Bearer {token}", "accepts": "application/json"}
    assert not acme_sh_failed(send(client, "GET", API, **bearer))  # _initAuth: GET "" is the zone list
    sub, domain = acme_sh_root(client, bearer, fulldomain)
    return bearer, sub, domain


@pytest.mark.parametrize("fulldomain", ["_acme-challenge.www.example.com", "_acme-challenge.example.com"])
def test_acme_sh_adds_verifies_and_removes_its_challenge_and_nothing_else(client, make_key, populated, fulldomain):
    key = make_key(hosts=["_acme-challenge", "_acme-challenge.*"], record_types=["TXT"])
    before = rows(populated)
    bearer, sub, domain = acme_sh_session(client, key.key.key_id, key.secret, fulldomain)
    assert (sub, domain) == (fulldomain.removesuffix(".example.com"), "example.com")

    answer = send(client, "POST", f"{API}/{domain}/records/{sub}/TXT", f"data={TOKEN}", content_type=FORM, **bearer)
    assert "1 records added" in answer.text, answer.text
    assert not acme_sh_failed(send(client, "GET", f"{API}/{domain}/records/{sub}/TXT?verify", **bearer))
    assert rows(populated) == before | {(sub, "TXT", f'"{TOKEN}"')}

    bearer, sub, domain = acme_sh_session(client, key.key.key_id, key.secret, fulldomain)  # dns_mythic_beasts_rm
    answer = send(client, "DELETE", f"{API}/{domain}/records/{sub}/TXT", f"data={TOKEN}", content_type=FORM, **bearer)
    assert not acme_sh_failed(answer), answer.text
    assert rows(populated) == before  # the older token at _acme-challenge.www stays


# --- libdns --------------------------------------------------------------------------------------------------------
# login (Basic, the form grant_type=client_credentials); GetRecords: GET /records; AppendRecords: POST /records with
# JSON; SetRecords: PUT /records?select=host%3D...%26type%3D... (one select per host and type) with JSON;
# DeleteRecords: DELETE /records/{host}/{type}?exclude-template&exclude-generated, one per record, no body.

# mythicbeasts.go, mythicRecords.UnmarshalJSON: any other type fails GetRecords with "unknown type".
LIBDNS_TYPES = {"A", "AAAA", "CNAME", "NS", "PTR", "TXT", "ANAME", "DNAME", "MX", "CAA", "SRV", "SSHFP", "TLSA"}


def libdns_login(client: Client, key_id: str, secret: str) -> dict[str, str]:
    basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()  # req.SetBasicAuth
    answer = send(client, "POST", "/login", urllib.parse.urlencode({"grant_type": "client_credentials"}),
                  authorization=f"Basic {basic}", content_type=FORM)  # fmt: skip
    reply = answer.json()
    assert (answer.status, reply["token_type"]) == (200, "bearer")
    assert reply["expires_in"] > 0
    return {"authorization": "Bearer " + reply["access_token"], "content_type": "application/json"}


def libdns_records(*records: dict[str, Any]) -> str:
    """json.Marshal of mythicRecords: fields in struct order, zero values left out (omitempty)."""
    order = ["type", "host", "data", "ttl", "mx_priority", "caa_flags", "caa_tag", "srv_priority", "srv_weight",
             "srv_port", "sshfp_algorithm", "sshfp_type", "tlsa_usage", "tlsa_selector", "tlsa_matching"]  # fmt: skip
    return json.dumps({"records": [{k: r[k] for k in order if r.get(k)} for r in records]}, separators=(",", ":"))


def test_libdns_get_append_set_and_delete_touch_only_their_records(client, key, populated):
    bearer = libdns_login(client, key.key.key_id, key.secret)
    before = rows(populated)

    listed = send(client, "GET", f"{API}/example.com/records", **bearer)  # GetRecords
    assert listed.status == 200
    assert {r["type"] for r in listed.json()["records"]} <= LIBDNS_TYPES

    appended = libdns_records(  # AppendRecords, as _example/main.go
        {"type": "A", "host": "appendtest1", "data": "8.8.4.4", "ttl": 123},
        {"type": "AAAA", "host": "appendtest2", "data": "2a00:1098:0:80:1000:3b:1:1", "ttl": 123},
        {"type": "CNAME", "host": "appendtest4", "data": "www.example.com.", "ttl": 666},
        {"type": "DNAME", "host": "appendtest5", "data": "www.google.co.uk.", "ttl": 999},
        {"type": "NS", "host": "appendtest6", "data": "ns1.mythic-beasts.com.", "ttl": 999},
        {"type": "TXT", "host": "appendtest8", "data": "This is a test record", "ttl": 999},
        {"type": "MX", "host": "appendtest9", "data": "mail.example.com.", "ttl": 999, "mx_priority": 10},
        {"type": "CAA", "host": "appendtest11", "data": "letsencrypt.org", "ttl": 999, "caa_flags": 128,
         "caa_tag": "issue"},
        {"type": "SRV", "host": "_sip._tcp.appendtest12", "data": "srv.example.com.", "ttl": 999, "srv_priority": 10,
         "srv_weight": 5, "srv_port": 443},
        {"type": "SSHFP", "host": "appendtest13", "data": "0123456789abcdef" * 4, "ttl": 999, "sshfp_algorithm": 3,
         "sshfp_type": 2},
    )  # fmt: skip
    answer = send(client, "POST", f"{API}/example.com/records", appended, **bearer)
    assert answer.status == 200, answer.text
    assert answer.json()["records_added"] == 10
    after_append = rows(populated)
    assert after_append - before == {
        (name, rdtype, content) for name, rdtype, content in after_append if name.startswith(("append", "_sip"))
    }
    assert len(after_append - before) == 10

    # SetRecords: one select per host and type (url.Values.Encode of select=host=..&type=..).
    query = urllib.parse.urlencode([("select", "host=settest1&type=A"), ("select", "host=settest2&type=CNAME")])
    body = libdns_records(
        {"type": "A", "host": "settest1", "data": "8.8.8.8", "ttl": 999},
        {"type": "CNAME", "host": "settest2", "data": "test2.example.com.", "ttl": 999},
    )
    answer = send(client, "PUT", f"{API}/example.com/records?{query}", body, **bearer)
    assert answer.status == 200, answer.text
    after_set = rows(populated)
    set_now = {("settest1", "A", "8.8.8.8"), ("settest2", "CNAME", "test2.example.com.")}
    assert after_set == after_append - {("settest1", "A", "192.0.2.4")} | set_now

    # DeleteRecords: one DELETE per record, no body; counted as deleted when records_removed is 1.
    for host, rdtype in [("settest1", "A"), ("settest2", "CNAME"), ("appendtest8", "TXT"), ("multitest", "A")]:
        path = f"{API}/example.com/records/{host}/{rdtype}?exclude-template&exclude-generated"
        answer = send(client, "DELETE", path, **bearer)
        assert (answer.status, answer.json()["records_removed"]) == (200, 0 if host == "multitest" else 1)
    gone = set_now | {("appendtest8", "TXT", '"This is a test record"')}
    assert rows(populated) == after_set - gone


# --- dnscontrol ----------------------------------------------------------------------------------------------------
# golang.org/x/oauth2 clientcredentials (AuthStyleInHeader: Basic of the query-escaped id and secret; the form
# grant_type=client_credentials&scope=client_credentials); GetZoneRecords: GET /records with Content-Type and Accept
# text/dns; the correction: PUT /records of the whole desired zone as text/dns, one miekg/dns RR.String() per line,
# the provider's default nameservers among them (nameservers.AddNSRecords: ns1/ns2.mythic-beasts.com, TTL 300).


def dnscontrol_login(client: Client, key_id: str, secret: str) -> dict[str, str]:
    # x/oauth2 AuthStyleInHeader: Basic of url.QueryEscape(id):url.QueryEscape(secret); the form sorted by key.
    escaped = f"{urllib.parse.quote_plus(key_id)}:{urllib.parse.quote_plus(secret)}"
    basic = base64.b64encode(escaped.encode()).decode()
    body = "grant_type=client_credentials&scope=client_credentials"
    answer = send(client, "POST", "/login", body, authorization=f"Basic {basic}", content_type=FORM)
    reply = answer.json()
    assert answer.status == 200, answer.text
    assert reply["token_type"].lower() == "bearer"  # oauth2.Token.Type() normalises it to "Bearer"
    return {"authorization": "Bearer " + reply["access_token"], "content_type": "text/dns", "accept": "text/dns"}


DNSCONTROL_DESIRED = "".join(
    line + "\n"
    for line in [
        "example.com.\t300\tIN\tNS\tns1.mythic-beasts.com.",  # nameservers.AddNSRecords: the provider's defaults
        "example.com.\t300\tIN\tNS\tns2.mythic-beasts.com.",
        "example.com.\t3600\tIN\tMX\t10 mail.example.com.",
        'example.com.\t3600\tIN\tTXT\t"v=spf1 mx -all"',
        "mail.example.com.\t3600\tIN\tA\t192.0.2.2",
        "www.example.com.\t300\tIN\tA\t192.0.2.10",
        "test.example.com.\t300\tIN\tA\t1.2.3.4",
    ]
)


def test_dnscontrol_reads_the_zone_as_a_master_file_and_replaces_it_with_the_desired_one(client, key, populated):
    headers = dnscontrol_login(client, key.key.key_id, key.secret)
    listed = send(client, "GET", f"{API}/example.com/records", **headers)  # GetZoneRecords
    assert listed.status == 200
    parsed = dns.zone.from_text(listed.text, origin="example.com.", relativize=False)  # as miekg's ZoneParser would
    assert parsed.get_rdataset("www.example.com.", "A") is not None
    ns_before = {r.content for r in zone_records(zone=populated) if (r.name, r.type) == ("@", "NS")}

    answer = send(client, "PUT", f"{API}/example.com/records", DNSCONTROL_DESIRED, **headers)
    assert answer.status == 200, answer.text
    assert rows(populated) == {
        ("@", "MX", "10 mail.example.com."),
        ("@", "TXT", '"v=spf1 mx -all"'),
        ("mail", "A", "192.0.2.2"),
        ("www", "A", "192.0.2.10"),
        ("test", "A", "1.2.3.4"),
    }
    # The apex NS set is the provider's: a whole-zone file does not change it (docs/dns-api-v2.md).
    assert {r.content for r in zone_records(zone=populated) if (r.name, r.type) == ("@", "NS")} == ns_before
