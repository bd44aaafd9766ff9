"""DNSSEC on real BIND and Knot: signing switched on, answers signed and validating with the key whose DS was shown,
changes signed as they arrive, the verifier blind to the signer's own records, and the way back to unsigned."""

from __future__ import annotations

import re
import subprocess
import time

import dns.dnssec
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from django.core.management import call_command
from dns.dnssectypes import DSDigest

from accounts.models import SecurityEvent
from tests.push.conftest import forget_zones, register
from tests.push.servers import Nameserver as Server
from zones.models import ZoneDnssec
from zones.push.signing import zones_dnssec_check
from zones.services import Replace, zone_apply, zone_create

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = dns.name.from_text("example.com.")
DS_LINE = re.compile(r"example\.com\. IN DS (\d+) 13 (2|4) ([0-9a-f]+)")


@pytest.fixture
def resolver(settings, server: Server) -> None:
    # The server under test is authoritative for example.com. and answers its DS query itself (none: NODATA).
    settings.DNSSEC_RESOLVERS = [f"127.0.0.1#{server.port}"]
    settings.DNSSEC_DS_REMOVAL_WAIT = 0


def state_of(zone) -> str:
    return ZoneDnssec.objects.get(zone=zone).state


def status_lines(capsys) -> list[str]:
    capsys.readouterr()
    call_command("zone_dnssec", "example.com", "status")
    out: str = capsys.readouterr().out
    return out.splitlines()


def dig(server: Server, name: str, rdtype: str) -> str:
    command = ["dig", "+dnssec", "+norec", "+tcp", "-p", str(server.port), "@127.0.0.1", name, rdtype]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=10).stdout  # noqa: S603


def signed_answer(server: Server, name: str, rdtype: str) -> tuple[dns.rrset.RRset, dns.rrset.RRset | None]:
    response = dns.query.tcp(dns.message.make_query(name, rdtype, want_dnssec=True), "127.0.0.1", port=server.port)
    owner = dns.name.from_text(name)
    covered = dns.rdatatype.from_text(rdtype)
    answer = response.find_rrset(response.answer, owner, dns.rdataclass.IN, covered)
    signature = response.get_rrset(response.answer, owner, dns.rdataclass.IN, dns.rdatatype.RRSIG, covered)
    return answer, signature


def validate_with_shown_key(server: Server, name: str, ds_line: str) -> None:
    """The RRset's RRSIG validates with the one DNSKEY the DS printed by `zone_dnssec status` points at."""
    tag, digest_type, digest = DS_LINE.fullmatch(ds_line).groups()  # type: ignore[union-attr]
    keys, _ = signed_answer(server, "example.com.", "DNSKEY")
    [key] = [
        k
        for k in keys
        if dns.dnssec.make_ds(ORIGIN, k, DSDigest(int(digest_type))).to_text() == f"{tag} 13 {digest_type} {digest}"
    ]
    only_that_key = dns.rrset.from_rdata(ORIGIN, keys.ttl, key)
    answer, signature = signed_answer(server, name, "A")
    assert signature is not None
    dns.dnssec.validate(answer, signature, {ORIGIN: only_that_key})


def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.usefixtures("resolver")
def test_signing_turned_on_and_off_serves_signed_then_unsigned_answers(nameserver, server, zone, legacy, capsys):
    assert legacy("REPLACE www 300 A 192.0.2.10")[0] == 200

    call_command("zone_dnssec", "example.com", "on")
    assert state_of(zone) == ZoneDnssec.State.WAITING_DS
    lines = status_lines(capsys)
    assert lines[0] == "waiting for DS"
    assert [DS_LINE.fullmatch(line).group(2) for line in lines[1:]] == ["2", "4"]  # type: ignore[union-attr]
    assert "RRSIG\tA 13 3 300" in dig(server, "www.example.com", "A")
    validate_with_shown_key(server, "www.example.com.", lines[1])
    validate_with_shown_key(server, "www.example.com.", lines[2])

    # A change after signing goes to the unsigned copy and is served signed.
    assert legacy("REPLACE www 300 A 192.0.2.20")[0] == 200
    wait_for(lambda: [r.to_text() for r in signed_answer(server, "www.example.com.", "A")[0]] == ["192.0.2.20"])
    validate_with_shown_key(server, "www.example.com.", lines[1])
    call_command("zones_verify", "example.com")  # raises when the copy differs: signer records are not drift
    call_command("zones_push", "example.com")

    call_command("zone_dnssec", "example.com", "off")
    seen_delete = False
    deadline = time.monotonic() + 20
    while state_of(zone) == ZoneDnssec.State.REMOVING:
        assert time.monotonic() < deadline, ZoneDnssec.objects.get(zone=zone).last_error
        seen_delete = seen_delete or "CDS\t0 0 0 00" in dig(server, "example.com", "CDS")
        assert "RRSIG" in dig(server, "www.example.com", "A")  # signatures stay until removal completes
        zones_dnssec_check()
        time.sleep(0.1)
    assert seen_delete
    assert state_of(zone) == ZoneDnssec.State.UNSIGNED
    assert status_lines(capsys) == ["unsigned"]
    answer = dig(server, "www.example.com", "A")
    assert "192.0.2.20" in answer
    assert "RRSIG" not in answer
    keys = dns.query.tcp(dns.message.make_query("example.com.", "DNSKEY"), "127.0.0.1", port=server.port)
    assert keys.answer == []
    call_command("zones_verify", "example.com")
    assert legacy("REPLACE www 300 A 192.0.2.30")[0] == 200
    assert server.answer("www.example.com.", "A") == ["192.0.2.30"]
    actions = list(SecurityEvent.objects.filter(subject="example.com").values_list("action", flat=True))
    assert {SecurityEvent.Action.DNSSEC_ENABLED, SecurityEvent.Action.DNSSEC_DISABLED} <= set(actions)


@pytest.mark.usefixtures("transactional_db")
def test_a_ds_in_a_parent_zone_we_host_makes_the_child_secure_and_a_wrong_one_bogus(
    settings, bind, account, cli_actor, capsys
):
    settings.DNSSEC_RESOLVERS = [f"127.0.0.1#{bind.port}"]  # authoritative for both: it answers the DS from the parent
    row = register(bind)
    try:
        parent = zone_create(name="example.com", account=account, actor=cli_actor)
        child = zone_create(name="sub.example.com", account=account, actor=cli_actor)
        call_command("zone_dnssec", "sub.example.com", "on")
        assert state_of(child) == ZoneDnssec.State.WAITING_DS
        capsys.readouterr()
        call_command("zone_dnssec", "sub.example.com", "status")
        ds = capsys.readouterr().out.splitlines()[1].split(" IN DS ")[1]
        delegation = [
            Replace(name="sub", type="NS", contents=("ns1.ctrlpanel.test.",)),
            Replace(name="sub", type="DS", contents=(ds,)),
        ]
        assert zone_apply(zone=parent, changes=delegation, actor=cli_actor).ok
        assert bind.answer("sub.example.com.", "DS") == [ds]  # the push carries the DS at the delegation

        zones_dnssec_check()
        assert state_of(child) == ZoneDnssec.State.SECURE

        wrong = ds[:-4] + ("0000" if not ds.endswith("0000") else "1111")
        assert zone_apply(zone=parent, changes=[Replace(name="sub", type="DS", contents=(wrong,))], actor=cli_actor).ok
        zones_dnssec_check()
        assert state_of(child) == ZoneDnssec.State.BOGUS
        assert ZoneDnssec.objects.get(zone=child).parent_ds == [wrong]
    finally:
        forget_zones(row)
