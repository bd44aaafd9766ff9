"""The commands: ADD, DELETE, REPLACE with their exact replies, origin, DYNAMIC_IP, names, types and DNS rules."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.legacy.conftest import Api, records_of, rrset
from zones.models import Change, Zone

# --- ADD ---------------------------------------------------------------------------------------------------------


def test_add_echoes_the_command_and_adds_the_record(api: Api, zone: Zone) -> None:
    reply = api.post("ADD www 86400 A 93.93.130.49")
    assert (reply.status, reply.body) == (200, "ADD www 86400 A 93.93.130.49\n")
    assert rrset(zone, "www", "A") == [(86400, "93.93.130.49")]


def test_adding_an_identical_record_answers_the_documented_text(api: Api, zone: Zone) -> None:
    api.post("ADD www 86400 A 93.93.130.49")
    reply = api.post("ADD www 86400 A 93.93.130.49")
    assert (reply.status, reply.body) == (400, "NADD www 86400 A 93.93.130.49; Can't have multiple identical records\n")


def test_an_identical_record_is_recognised_whatever_its_spelling(api: Api, zone: Zone) -> None:
    api.post("ADD @ 300 MX 10 MX.Example.NET.")
    reply = api.post("ADD example.com. 300 mx 10   mx.example.net.")
    assert reply.body == "NADD example.com. 300 mx 10 mx.example.net.; Can't have multiple identical records\n"


def test_adding_with_another_ttl_sets_the_ttl_of_the_whole_rrset(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1", "ADD www 300 A 192.0.2.2")
    reply = api.post("ADD www 600 A 192.0.2.3")
    assert reply.status == 200
    assert rrset(zone, "www", "A") == [(600, "192.0.2.1"), (600, "192.0.2.2"), (600, "192.0.2.3")]


# --- DELETE ------------------------------------------------------------------------------------------------------


def test_delete_removes_exactly_that_record(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1", "ADD www 300 A 192.0.2.2")
    reply = api.post("DELETE www 300 A 192.0.2.1")
    assert (reply.status, reply.body) == (200, "DELETE www 300 A 192.0.2.1\n")
    assert rrset(zone, "www", "A") == [(300, "192.0.2.2")]


def test_deleting_a_missing_record_answers_no_such_record_after_a_colon(api: Api, zone: Zone) -> None:
    reply = api.post("DELETE www 300 A 192.0.2.1")
    assert (reply.status, reply.body) == (400, "NDELETE www 300 A 192.0.2.1: No such record\n")


def test_delete_ignores_the_ttl(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1")
    assert api.post("DELETE www 86400 A 192.0.2.1").status == 200
    assert rrset(zone, "www", "A") == []


@pytest.mark.parametrize("spelling", ["hello world; v=1", '"hello world; v=1"'], ids=["unquoted", "quoted"])
def test_delete_matches_txt_data_quoted_or_unquoted(api: Api, zone: Zone, spelling: str) -> None:
    api.post("ADD txt 300 TXT hello world; v=1")
    reply = api.post(f"DELETE txt 300 TXT {spelling}")
    assert (reply.status, reply.body) == (200, f"DELETE txt 300 TXT {spelling}\n")
    assert rrset(zone, "txt", "TXT") == []


def test_delete_of_the_last_record_removes_the_rrset(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1")
    api.post("DELETE www 300 A 192.0.2.1")
    assert not zone.rrsets.filter(name="www").exists()


# --- REPLACE -----------------------------------------------------------------------------------------------------


def test_replace_creates_a_record_where_none_existed(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE myhost 300 A 1.2.3.4")
    assert (reply.status, reply.body) == (200, "REPLACE myhost 300 A 1.2.3.4\n")
    assert rrset(zone, "myhost", "A") == [(300, "1.2.3.4")]


def test_replace_removes_every_record_of_that_host_and_type_only(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1", "ADD www 300 A 192.0.2.2", "ADD www 300 AAAA 2001:db8::1")
    reply = api.post("REPLACE www 60 A 192.0.2.9")
    assert reply.status == 200
    assert rrset(zone, "www", "A") == [(60, "192.0.2.9")]
    assert rrset(zone, "www", "AAAA") == [(300, "2001:db8::1")]


def test_two_replaces_of_one_host_and_type_in_a_request_leave_the_last(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE www 300 A 192.0.2.1", "REPLACE www 60 A 192.0.2.2")
    assert reply.lines == ["REPLACE www 300 A 192.0.2.1", "REPLACE www 60 A 192.0.2.2"]
    assert rrset(zone, "www", "A") == [(60, "192.0.2.2")]


def test_a_failed_replace_leaves_the_old_records(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1")
    reply = api.post("REPLACE www 300 A 192.0.2.300")
    assert reply.status == 400
    assert reply.body.startswith("NREPLACE www 300 A 192.0.2.300; ")
    assert rrset(zone, "www", "A") == [(300, "192.0.2.1")]


def test_replace_with_the_same_record_commits_no_new_version(api: Api, zone: Zone) -> None:
    api.post("REPLACE www 300 A 192.0.2.1")
    changes = Change.objects.filter(zone=zone).count()
    assert api.post("REPLACE www 300 A 192.0.2.1").status == 200
    assert Change.objects.filter(zone=zone).count() == changes


# --- verbs -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["add", "Add", "aDD"])
def test_verbs_are_case_insensitive_and_echoed_in_upper_case(api: Api, zone: Zone, verb: str) -> None:
    reply = api.post(f"{verb} www 300 A 192.0.2.1")
    assert (reply.status, reply.body) == (200, "ADD www 300 A 192.0.2.1\n")


def test_list_is_case_insensitive_too(api: Api) -> None:
    assert api.post("list", showall="0").body == api.post("LIST", showall="0").body


def test_an_unknown_verb_fails_that_command(api: Api) -> None:
    reply = api.post("UPSERT www 300 A 192.0.2.1")
    assert reply.status == 400
    assert reply.body.startswith("NUPSERT www 300 A 192.0.2.1; ")


def test_the_echo_single_spaces_the_tokens(api: Api) -> None:
    reply = api.post("  ADD   www  300   A    192.0.2.1  ")
    assert reply.body == "ADD www 300 A 192.0.2.1\n"


# --- transactions ------------------------------------------------------------------------------------------------


def test_one_failing_command_fails_the_request_and_applies_nothing(api: Api, zone: Zone) -> None:
    api.post("ADD keep 300 A 192.0.2.1")
    before = records_of(zone)
    reply = api.post(
        "ADD new 300 A 192.0.2.2",
        "DELETE keep 300 A 192.0.2.1",
        "ADD bad 300 A not-an-address",
        "DELETE absent 300 A 192.0.2.3",
        "REPLACE other 300 TXT fine",
    )
    assert reply.status == 400
    assert reply.lines[0] == "ADD new 300 A 192.0.2.2"
    assert reply.lines[1] == "DELETE keep 300 A 192.0.2.1"
    assert reply.lines[2].startswith("NADD bad 300 A not-an-address; ")
    assert reply.lines[3] == "NDELETE absent 300 A 192.0.2.3: No such record"
    assert reply.lines[4] == "REPLACE other 300 TXT fine"
    assert len(reply.lines) == 5
    assert records_of(zone) == before


def test_commands_see_the_effect_of_earlier_commands_in_the_request(api: Api, zone: Zone) -> None:
    reply = api.post("ADD www 300 A 192.0.2.1", "ADD www 300 A 192.0.2.1", "DELETE www 300 A 192.0.2.1")
    assert reply.lines == [
        "ADD www 300 A 192.0.2.1",
        "NADD www 300 A 192.0.2.1; Can't have multiple identical records",
        "DELETE www 300 A 192.0.2.1",
    ]


def test_a_request_is_journalled_as_one_change_by_the_legacy_interface(api: Api, zone: Zone) -> None:
    api.post("ADD a 300 A 192.0.2.1", "ADD b 300 A 192.0.2.2", remote_addr="198.51.100.4")
    change = Change.objects.filter(zone=zone).order_by("-version").first()
    assert change is not None
    assert (change.interface, change.client_address) == ("legacy", "198.51.100.4")
    assert {rrset["name"] for rrset in change.after} == {"a", "b"}


# --- origin ------------------------------------------------------------------------------------------------------


def test_hosts_are_relative_to_the_domain_by_default(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1", "ADD @ 300 TXT apex", "ADD abs.example.com. 300 TXT absolute")
    assert [(name, rdtype) for name, _, rdtype, _ in records_of(zone)] == [
        ("@", "TXT"),
        ("abs", "TXT"),
        ("www", "A"),
    ]


def test_origin_dot_means_hosts_are_fully_qualified_without_a_trailing_dot(api: Api, zone: Zone) -> None:
    reply = api.post("ADD example.com 3600 MX 10 mx.example.net.", "ADD www.example.com 300 A 192.0.2.1", origin=".")
    assert reply.lines == ["ADD example.com 3600 MX 10 mx.example.net.", "ADD www.example.com 300 A 192.0.2.1"]
    assert rrset(zone, "@", "MX") == [(3600, "10 mx.example.net.")]
    assert rrset(zone, "www", "A") == [(300, "192.0.2.1")]


def test_with_origin_dot_relative_names_in_data_are_relative_to_the_zone(api: Api, zone: Zone) -> None:
    api.post("ADD alias.example.com 300 CNAME www", origin=".")
    assert rrset(zone, "alias", "CNAME") == [(300, "www.example.com.")]


@pytest.mark.parametrize("origin", ["sub.example.com", "sub.example.com.", "SUB.Example.com"])
def test_an_origin_inside_the_zone_is_appended_to_hosts_and_data(api: Api, zone: Zone, origin: str) -> None:
    reply = api.post("ADD www 300 CNAME target", "ADD @ 300 TXT at the origin", origin=origin)
    assert reply.status == 200
    assert rrset(zone, "www.sub", "CNAME") == [(300, "target.sub.example.com.")]
    assert rrset(zone, "sub", "TXT") == [(300, '"at the origin"')]


def test_the_domain_itself_is_a_valid_origin(api: Api, zone: Zone) -> None:
    assert api.post("ADD www 300 A 192.0.2.1", origin="example.com").status == 200
    assert rrset(zone, "www", "A") == [(300, "192.0.2.1")]


@pytest.mark.parametrize("origin", ["example.org", "com", "notexample.com", "a..b", "bad origin", "x" * 300])
def test_any_other_origin_is_refused(api: Api, zone: Zone, origin: str) -> None:
    reply = api.post("ADD www 300 A 192.0.2.1", origin=origin)
    assert reply.status == 400
    assert reply.body.startswith("ERR ")
    assert reply.body.count("\n") == 1
    assert records_of(zone) == []


def test_a_host_outside_the_zone_fails_that_command(api: Api, zone: Zone) -> None:
    reply = api.post("ADD www.example.org. 300 A 192.0.2.1", "ADD ok 300 A 192.0.2.1")
    assert reply.status == 400
    assert reply.lines[0].startswith("NADD www.example.org. 300 A 192.0.2.1; ")
    assert reply.lines[1] == "ADD ok 300 A 192.0.2.1"


def test_the_apex_written_absolute_is_inside_the_zone(api: Api, zone: Zone) -> None:
    assert api.post("ADD example.com. 300 TXT apex").status == 200
    assert rrset(zone, "@", "TXT") == [(300, '"apex"')]


# --- names -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "stored"),
    [
        ("*", "*"),
        ("*.sub", "*.sub"),
        ("_acme-challenge.www", "_acme-challenge.www"),
        ("_sip._tcp", "_sip._tcp"),
        ("WWW", "www"),
        ("xn--bcher-kva", "xn--bcher-kva"),
        ("bücher", "xn--bcher-kva"),
    ],
)
def test_wildcard_underscore_and_international_hosts_are_accepted(api: Api, zone: Zone, host: str, stored: str) -> None:
    reply = api.post(f"ADD {host} 300 TXT hello")
    assert reply.status == 200, reply.body
    assert rrset(zone, stored, "TXT") == [(300, '"hello"')]


@pytest.mark.parametrize(
    "host", ["a..b", "www*", "sub.*", "-bad-", "bad-", "a b", "x" * 64, ".".join(["abcdefgh"] * 32)]
)
def test_malformed_hosts_fail_that_command(api: Api, zone: Zone, host: str) -> None:
    reply = api.post(f"ADD {host} 300 TXT hello")
    assert reply.status == 400
    assert len(reply.lines) == 1
    assert reply.lines[0].startswith("NADD ")
    assert records_of(zone) == []


# --- DYNAMIC_IP --------------------------------------------------------------------------------------------------


def test_dynamic_ip_is_the_socket_peer(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE home 60 A DYNAMIC_IP", remote_addr="198.51.100.23")
    assert (reply.status, reply.body) == (200, "REPLACE home 60 A 198.51.100.23\n")
    assert rrset(zone, "home", "A") == [(60, "198.51.100.23")]


def test_dynamic_ip_for_aaaa_takes_an_ipv6_peer(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE home 60 AAAA DYNAMIC_IP", remote_addr="2001:db8::23")
    assert (reply.status, reply.body) == (200, "REPLACE home 60 AAAA 2001:db8::23\n")


def test_dynamic_ip_of_an_ipv4_mapped_peer_is_its_ipv4_address(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE home 60 A DYNAMIC_IP", remote_addr="::ffff:198.51.100.23")
    assert (reply.status, reply.body) == (200, "REPLACE home 60 A 198.51.100.23\n")


def test_an_ipv6_client_asking_for_an_a_dynamic_ip_fails_that_command(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE home 60 A DYNAMIC_IP", "ADD other 60 A 192.0.2.1", remote_addr="2001:db8::23")
    assert reply.status == 400
    assert reply.lines[0].startswith("NREPLACE home 60 A DYNAMIC_IP; ")
    assert reply.lines[1] == "ADD other 60 A 192.0.2.1"
    assert records_of(zone) == []


def test_an_ipv4_client_asking_for_an_aaaa_dynamic_ip_fails_that_command(api: Api, zone: Zone) -> None:
    reply = api.post("REPLACE home 60 AAAA DYNAMIC_IP", remote_addr="198.51.100.23")
    assert reply.status == 400
    assert reply.body.startswith("NREPLACE home 60 AAAA DYNAMIC_IP; ")


def test_the_forwarded_address_is_ignored_from_an_untrusted_peer(api: Api, zone: Zone) -> None:
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8"]):
        reply = api.raw(
            b"domain=example.com&password=correct+horse+battery&command=REPLACE+home+60+A+DYNAMIC_IP",
            REMOTE_ADDR="198.51.100.23",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    assert reply.body == "REPLACE home 60 A 198.51.100.23\n"


def test_the_forwarded_address_is_used_behind_a_trusted_proxy(api: Api, zone: Zone) -> None:
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/8"]):
        reply = api.raw(
            b"domain=example.com&password=correct+horse+battery&command=REPLACE+home+60+A+DYNAMIC_IP",
            REMOTE_ADDR="10.1.2.3",
            HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.23",
        )
    # The rightmost hop our proxy appended is believed; what the client wrote further left is not.
    assert reply.body == "REPLACE home 60 A 198.51.100.23\n"
    assert rrset(zone, "home", "A") == [(60, "198.51.100.23")]


def test_dynamic_ip_is_only_a_keyword_for_a_and_aaaa(api: Api, zone: Zone) -> None:
    api.post("ADD note 60 TXT DYNAMIC_IP")
    assert rrset(zone, "note", "TXT") == [(60, '"DYNAMIC_IP"')]


# --- record types ------------------------------------------------------------------------------------------------

TYPES = [
    ("A", "192.0.2.1", "192.0.2.1"),
    ("AAAA", "2001:DB8:0:0::1", "2001:db8::1"),
    ("CNAME", "Target.Example.NET.", "target.example.net."),
    ("CNAME", "www", "www.example.com."),
    ("ANAME", "lb.example.net.", "lb.example.net."),
    ("NS", "ns1.elsewhere.example.", "ns1.elsewhere.example."),
    ("MX", "10 mx", "10 mx.example.com."),
    ("SRV", "10 20 5060 sip.example.net.", "10 20 5060 sip.example.net."),
    ("SRV", "0 0 0 .", "0 0 0 ."),
    ("TXT", "v=spf1 include:_spf.example.net ~all", '"v=spf1 include:_spf.example.net ~all"'),
    ("TXT", "semi;colons; are data", '"semi;colons; are data"'),
    ("TXT", 'say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'),
    ("CAA", "0 issue letsencrypt.org", '0 issue "letsencrypt.org"'),
    ("CAA", '0 iodef "mailto:security@example.com"', '0 iodef "mailto:security@example.com"'),
    ("SSHFP", "1 1 DEADBEEF0123456789ABCDEF0123456789ABCDEF", "1 1 deadbeef0123456789abcdef0123456789abcdef"),
    (
        "TLSA",
        "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
        "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
    ("PTR", "host.example.net.", "host.example.net."),
    (
        "DS",
        "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
        "12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
]


# LIST shows a CAA value that is one plain token without quotes (see zones/legacy/listing.py).
LISTED = {
    '0 issue "letsencrypt.org"': "0 issue letsencrypt.org",
    '0 iodef "mailto:security@example.com"': "0 iodef mailto:security@example.com",
}


@pytest.mark.parametrize(("rdtype", "data", "stored"), TYPES, ids=[f"{t}:{d}" for t, d, _ in TYPES])
def test_every_supported_type_can_be_added_listed_and_deleted(
    api: Api, zone: Zone, rdtype: str, data: str, stored: str
) -> None:
    host = "_sip._tcp" if rdtype == "SRV" else "sub"
    reply = api.post(f"ADD {host} 300 {rdtype} {data}")
    assert (reply.status, reply.body) == (200, f"ADD {host} 300 {rdtype} {' '.join(data.split())}\n")
    assert rrset(zone, host, rdtype) == [(300, stored)]
    assert f"{host} 300 {rdtype} {LISTED.get(stored, stored)} \n" in api.post("LIST", showall="0").body
    assert api.post(f"DELETE {host} 300 {rdtype} {data}").status == 200
    assert rrset(zone, host, rdtype) == []


def test_lower_case_types_are_accepted(api: Api, zone: Zone) -> None:
    assert api.post("ADD www 300 aaaa 2001:db8::1").body == "ADD www 300 aaaa 2001:db8::1\n"
    assert rrset(zone, "www", "AAAA") == [(300, "2001:db8::1")]


def test_txt_data_is_the_rest_of_the_line_with_its_inner_spacing(api: Api, zone: Zone) -> None:
    api.post("ADD t 300 TXT two  spaces\tand a tab")
    assert rrset(zone, "t", "TXT") == [(300, '"two  spaces\\009and a tab"')]


def test_txt_longer_than_255_bytes_is_split_into_several_strings(api: Api, zone: Zone) -> None:
    data = "k=" + "A" * 300
    assert api.post(f"ADD dkim 300 TXT {data}").status == 200
    assert rrset(zone, "dkim", "TXT") == [(300, f'"{data[:255]}" "{data[255:]}"')]
    assert api.post(f"DELETE dkim 300 TXT {data}").status == 200


def test_txt_with_utf8_is_stored_as_escaped_bytes(api: Api, zone: Zone) -> None:
    api.post("ADD t 300 TXT café")
    assert rrset(zone, "t", "TXT") == [(300, '"caf\\195\\169"')]
    assert api.post("DELETE t 300 TXT café").status == 200


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("ADD @ 300 SOA ns1.example.net. hostmaster.example.net. 1 2 3 4 5", "SOA"),
        ("ADD @ 300 NS ns3.example.net.", "apex NS"),
        ("DELETE @ 3600 NS ns1.ctrlpanel.test.", "apex NS"),
        ("REPLACE @ 3600 NS ns9.example.net.", "apex NS"),
        ("ADD @ 300 CNAME elsewhere.example.net.", "apex"),
        ("ADD www 300 HINFO cpu os", "unsupported"),
    ],
)
def test_what_belongs_to_the_provider_or_is_unsupported_is_refused(
    api: Api, zone: Zone, command: str, reason: str
) -> None:
    reply = api.post(command)
    assert reply.status == 400
    verb, entry = command.split(" ", 1)
    assert reply.body.startswith(f"N{verb} {entry}; ")
    assert reason in reply.body
    assert records_of(zone) == []
    apex_ns = zone.rrsets.get(name="@", type="NS")
    assert sorted(apex_ns.records.values_list("content", flat=True)) == ["ns1.ctrlpanel.test.", "ns2.ctrlpanel.test."]


def test_ns_below_the_apex_delegates(api: Api, zone: Zone) -> None:
    assert api.post("ADD sub 300 NS ns1.elsewhere.example.", "ADD sub 300 NS ns2.elsewhere.example.").status == 200
    assert len(rrset(zone, "sub", "NS")) == 2


# --- DNS rules ---------------------------------------------------------------------------------------------------


def test_a_cname_cannot_join_other_data(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1")
    reply = api.post("ADD www 300 CNAME target.example.net.")
    assert reply.status == 400
    assert reply.body.startswith("NADD www 300 CNAME target.example.net.; ")
    assert "CNAME" in reply.body


def test_other_data_cannot_join_a_cname(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 CNAME target.example.net.")
    reply = api.post("ADD www 300 TXT hello")
    assert reply.status == 400
    assert reply.body.startswith("NADD www 300 TXT hello; ")


def test_a_name_has_at_most_one_cname(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 CNAME a.example.net.")
    assert api.post("ADD www 300 CNAME b.example.net.").status == 400


def test_a_cname_may_replace_other_data_in_one_request(api: Api, zone: Zone) -> None:
    api.post("ADD www 300 A 192.0.2.1")
    reply = api.post("DELETE www 300 A 192.0.2.1", "ADD www 300 CNAME target.example.net.")
    assert reply.status == 200
    assert records_of(zone) == [("www", 300, "CNAME", "target.example.net.")]


@pytest.mark.parametrize(
    "data",
    ["10", "mx.example.net.", "-1 mx.example.net.", "65536 mx.example.net.", "10 mx..example.net."],
)
def test_mx_data_must_parse(api: Api, zone: Zone, data: str) -> None:
    reply = api.post(f"ADD @ 300 MX {data}")
    assert reply.status == 400
    assert reply.body.startswith(f"NADD @ 300 MX {data}; ")


@pytest.mark.parametrize("data", ["1.2.3", "1.2.3.4.5", "256.1.1.1", "2001:db8::1", "1.2.3.4 5.6.7.8", "01.2.3.4x"])
def test_a_data_must_be_one_ipv4_address(api: Api, zone: Zone, data: str) -> None:
    reply = api.post(f"ADD www 300 A {data}")
    assert reply.status == 400
    assert reply.body.startswith("NADD www 300 A ")
    assert records_of(zone) == []


# --- TTL ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", ["-1", "abc", "2147483648", "99999999999999999999", "1e3", "3.5", "٣٠٠", "+300"])
def test_a_malformed_or_out_of_range_ttl_fails_that_command(api: Api, zone: Zone, ttl: str) -> None:
    reply = api.post(f"ADD www {ttl} A 192.0.2.1")
    assert reply.status == 400
    assert reply.body.startswith(f"NADD www {ttl} A 192.0.2.1; ")
    assert "TTL" in reply.body
    assert records_of(zone) == []


@pytest.mark.parametrize("ttl", ["0", "2147483647"])
def test_ttls_at_the_limits_are_accepted(api: Api, zone: Zone, ttl: str) -> None:
    assert api.post(f"ADD www {ttl} A 192.0.2.1").status == 200
    assert rrset(zone, "www", "A") == [(int(ttl), "192.0.2.1")]
