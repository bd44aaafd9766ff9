"""A zone's records read whole: the push snapshot (dnspython objects) and the master-file export (text). Both take
shortcuts for the common case (plain owner names, canonical addresses, lines written by the database); here each is
compared with the general way of making the same thing, on a zone holding every stored type, names that need
dnspython's parser, addresses not in canonical text, and names that sort around the apex."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import pytest
from django.db.models import F
from django.test import Client

from accounts.actors import Actor
from tests.zones.conftest import RICH
from zones import records
from zones.models import Record, RRset, Zone
from zones.push.services import Snapshot, master_file, zone_snapshot
from zones.selectors import zone_master_file, zone_records
from zones.services import Add, zone_apply

pytestmark = pytest.mark.django_db

CHANGES = [
    *RICH,
    Add("@", "MX", "20 mx2.example.net."),
    Add("www", "AAAA", "2001:db8::2"),
    Add("www", "AAAA", "::ffff:192.0.2.9"),
    Add("www", "A", "192.0.2.10", ttl=60),
    Add("www", "A", "192.0.2.9"),
    Add("www", "A", "10.0.0.10"),
    Add("www", "TXT", '"www"', ttl=10),
    Add("*", "A", "192.0.2.30"),
    Add("*.dev", "AAAA", "::1"),
    Add("q", "TXT", '"say \\"hi\\"" "back\\\\slash" "caf\\195\\169"'),
    Add("old", "DNAME", "example.net."),
    Add("sub", "NS", "ns2.example.net."),
    Add("0", "A", "192.0.2.40"),  # '0', '9' and '*' sort before '@'; '_' and letters after it
    Add("9z", "A", "192.0.2.41"),
    Add("a", "A", "192.0.2.42"),
    Add("a-b", "A", "192.0.2.43"),
    Add("a.b", "A", "192.0.2.44"),
    Add("ab", "A", "192.0.2.45"),
    Add("x" * 63, "A", "192.0.2.46"),
]

# Rows no interface writes today (each refuses such names, and stores addresses in canonical text), as an older
# version or a hand-made fix could have left them: the snapshot must make of them what dnspython makes.
STORED_AS_IS = [
    (r"odd\.label", "A", 300, ["192.0.2.50"]),
    (r"caf\195\169", "TXT", 300, ['"escaped owner"']),
    ("Upper-Case", "AAAA", 300, ["2001:DB8:0::5", "2001:db8::6"]),  # one not in canonical text
    ("zeros", "AAAA", 300, ["2001:0db8:0000:0000:0000:0000:0000:0007", "0:0::1:2:3:4"]),
    ("dotted", "AAAA", 300, ["::0.0.0.2", "::102:304", "::ffff:0102:0304"]),
    ("twice", "AAAA", 300, ["2001:db8::8", "2001:DB8::8"]),  # one rdata in two texts: kept once
    ("@", "NS", 300, ["ns9.example.net."]),
]


@pytest.fixture
def full_zone(zone: Zone, cli_actor: Actor) -> Zone:
    assert zone_apply(zone=zone, changes=CHANGES, actor=cli_actor).ok
    for name, rdtype, ttl, contents in STORED_AS_IS:
        rrset, _ = RRset.objects.get_or_create(zone=zone, name=name, type=rdtype, defaults={"ttl": ttl})
        Record.objects.bulk_create(Record(zone=zone, rrset=rrset, content=content) for content in contents)
    Zone.objects.filter(pk=zone.pk).update(record_count=F("record_count") + sum(len(r[3]) for r in STORED_AS_IS))
    zone.refresh_from_db()
    return zone


def _general(zone: Zone) -> dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.rdataset.Rdataset]:
    """The zone's RRsets made the general way: every owner by dns.name.from_text, every address by its constructor,
    every other record by rdata_parse, added one by one with Rdataset.add."""
    origin = dns.name.from_text(zone.name + ".")
    made: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.rdataset.Rdataset] = {}
    for name, rdtype, ttl, content in (
        Record.objects.filter(rrset__zone=zone)
        .exclude(rrset__type="ANAME")
        .values_list("rrset__name", "rrset__type", "rrset__ttl", "content")
    ):
        owner = origin if name == "@" else dns.name.from_text(name, origin)
        rdatatype = dns.rdatatype.from_text(rdtype)
        rdataset = made.setdefault((owner, rdatatype), dns.rdataset.Rdataset(dns.rdataclass.IN, rdatatype, ttl=ttl))
        if rdtype in {"A", "AAAA"}:
            cls = dns.rdtypes.IN.A.A if rdtype == "A" else dns.rdtypes.IN.AAAA.AAAA
            rdataset.add(cls(dns.rdataclass.IN, rdatatype, content))
        else:
            rdataset.add(records.rdata_parse(rdtype, content, origin))
    return made


def _states(rdataset: dns.rdataset.Rdataset) -> list[tuple[str, dict[str, object]]]:
    return sorted((rdata.to_text(), rdata.__getstate__()) for rdata in rdataset)


def test_the_snapshot_is_the_zone_made_the_general_way(full_zone: Zone) -> None:
    snapshot = zone_snapshot(zone_id=full_zone.pk)
    assert snapshot is not None
    general = _general(full_zone)
    labels = {(owner.labels, rdtype) for owner, rdtype in snapshot.rrsets}
    assert labels == {(owner.labels, rdtype) for owner, rdtype in general}  # the names' letter case included
    rrsets = {(c.name, c.type) for c in CHANGES} | {(r[0], r[1]) for r in STORED_AS_IS} | {("@", "NS")}
    assert len(snapshot.rrsets) == len(general) == len(rrsets - {("@", "ANAME")})
    for key, rdataset in snapshot.rrsets.items():
        expected = general[key]
        assert (rdataset.rdclass, rdataset.rdtype, rdataset.covers, rdataset.ttl) == (
            expected.rdclass,
            expected.rdtype,
            expected.covers,
            expected.ttl,
        ), key
        assert rdataset == expected, key
        assert _states(rdataset) == _states(expected), key
    written = master_file(Snapshot(zone=full_zone, origin=snapshot.origin, rrsets=general))
    assert sorted(master_file(snapshot).splitlines()) == sorted(written.splitlines())  # an RRset's order is the rows'
    twice = snapshot.rrsets[(dns.name.from_text("twice.example.com."), dns.rdatatype.AAAA)]
    assert [rdata.to_text() for rdata in twice] == ["2001:db8::8"]


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


@pytest.mark.usefixtures("collector")
def test_the_snapshot_leaves_the_garbage_collector_as_it_found_it(full_zone: Zone) -> None:
    gc.enable()
    assert zone_snapshot(zone_id=full_zone.pk) is not None
    assert gc.isenabled()
    gc.disable()
    assert zone_snapshot(zone_id=full_zone.pk) is not None
    assert not gc.isenabled()


def test_the_export_is_the_zone_records_written_one_per_line(full_zone: Zone, customer_client: Client) -> None:
    general = [
        f"$ORIGIN {full_zone.name}.",
        f"$TTL {full_zone.default_ttl}",
        f"@ {full_zone.soa_ttl} IN SOA {full_zone.soa_content}",
        *(f"{row.name} {row.ttl} IN {row.type} {row.content}" for row in zone_records(zone=full_zone)),
    ]
    text = zone_master_file(zone=full_zone)
    assert text == "\n".join(general) + "\n"
    assert text.splitlines()[3:11] == [
        "@ 3600 IN ANAME lb.example.net.",
        '@ 3600 IN CAA 0 issue "letsencrypt.org"',
        "@ 3600 IN MX 10 mail.example.com.",
        "@ 3600 IN MX 20 mx2.example.net.",
        "@ 3600 IN NS ns1.ctrlpanel.test.",
        "@ 3600 IN NS ns2.ctrlpanel.test.",
        "@ 3600 IN NS ns9.example.net.",
        '@ 3600 IN TXT "v=spf1 mx -all"',
    ]
    www = [line for line in text.splitlines() if line.startswith("www ")]
    assert www == [
        "www 60 IN A 10.0.0.10",
        "www 60 IN A 192.0.2.10",
        "www 60 IN A 192.0.2.9",
        "www 300 IN AAAA 2001:db8::1",
        "www 300 IN AAAA 2001:db8::2",
        "www 300 IN AAAA ::ffff:192.0.2.9",
        'www 10 IN TXT "www"',
    ]
    shown = customer_client.get(f"/zones/{full_zone.name}/export", {"view": "1"})
    assert shown.status_code == 200
    assert shown.content == text.encode()
    assert "Content-Disposition" not in shown
