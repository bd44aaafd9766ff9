from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from zones.api import serializers
from zones.api.throttling import KeyThrottle, ZoneThrottle
from zones.models import Change, Nameserver, ZoneSync
from zones.selectors import zone_records
from zones.services import zone_create

R = "/dns/v2/zones/example.com/records"


def rows(zone):
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone) if (r.name, r.type) != ("@", "NS")}


def test_zones_lists_only_the_accounts_own_zones(api, zone, other_account, cli_actor):
    zone_create(name="example.net", account=other_account, actor=cli_actor)
    assert api.get("/dns/v2/zones").body == {"zones": ["example.com"]}


def test_post_adds_records_with_the_per_type_fields(api, zone):
    body = {
        "records": [
            {"host": "www", "ttl": 300, "type": "A", "data": "192.0.2.1"},
            {"host": "@", "type": "MX", "data": "mail", "mx_priority": 10},
            {
                "host": "_sip._tcp",
                "type": "SRV",
                "data": "sip.example.com.",
                "srv_priority": 1,
                "srv_weight": 2,
                "srv_port": 5060,
            },
            {"host": "t", "type": "TXT", "data": 'v=spf1 "quoted" -all'},
            {"host": "@", "type": "CAA", "data": "letsencrypt.org", "caa_flags": 0, "caa_tag": "issue"},
        ]
    }
    reply = api.post(R, body)
    assert reply.status == 200, reply.body
    assert reply.body["records_added"] == 5
    assert rows(zone) == {
        ("www", "A", "192.0.2.1"),
        ("@", "MX", "10 mail.example.com."),
        ("_sip._tcp", "SRV", "1 2 5060 sip.example.com."),
        ("t", "TXT", '"v=spf1 \\"quoted\\" -all"'),
        ("@", "CAA", '0 issue "letsencrypt.org"'),
    }
    listed = api.get(R + "?exclude-generated=true").body["records"]
    assert {"host": "@", "ttl": 3600, "type": "MX", "data": "mail.example.com.", "mx_priority": 10} in listed
    assert {"host": "t", "ttl": 3600, "type": "TXT", "data": 'v=spf1 "quoted" -all'} in listed
    srv = next(r for r in listed if r["type"] == "SRV")
    assert (srv["srv_priority"], srv["srv_weight"], srv["srv_port"], srv["data"]) == (1, 2, 5060, "sip.example.com.")


def test_posting_a_record_that_exists_is_a_duplicate_record_400_that_adds_nothing(api, zone):
    record = {"records": [{"host": "www", "type": "A", "data": "192.0.2.1"}]}
    assert api.post(R, record).body["records_added"] == 1
    version = zone.__class__.objects.get(pk=zone.pk).version
    again = {"records": [{"host": "new", "type": "A", "data": "192.0.2.9"}, *record["records"]]}
    reply = api.post(R, again)
    # dns-lexicon's create_record treats exactly this as "exists already": a 400 whose first error starts so.
    assert reply.status == 400
    assert reply.body["errors"][0].startswith("Duplicate record")
    assert zone.__class__.objects.get(pk=zone.pk).version == version
    assert ("new", "A", "192.0.2.9") not in rows(zone)


def test_a_post_names_every_duplicate_first_and_then_the_other_errors(api, zone):
    api.post(R, {"records": [{"host": "www", "type": "A", "data": "192.0.2.1"}]})
    given = [
        {"host": "www", "type": "CNAME", "data": "elsewhere.example.net."},  # beside the A: refused by the DNS rules
        {"host": "www", "type": "A", "data": "192.0.2.1"},
        {"host": "new", "type": "A", "data": "192.0.2.5"},
        {"host": "new", "type": "A", "data": "192.0.2.5"},
    ]
    reply = api.post(R, {"records": given})
    assert reply.status == 400
    assert reply.body["errors"] == [
        "Duplicate record: www A 192.0.2.1 is in the zone already",
        "Duplicate record: new A 192.0.2.5 is given twice",
        "a CNAME cannot share its name with other data",
    ]
    assert ("new", "A", "192.0.2.5") not in rows(zone)


def test_put_on_host_and_type_replaces_exactly_that_rrset(api, zone):
    api.post(
        R,
        {
            "records": [
                {"host": "www", "type": "A", "data": "192.0.2.1"},
                {"host": "www", "type": "AAAA", "data": "2001:db8::1"},
            ]
        },
    )
    reply = api.put(R + "/www/A", {"records": [{"ttl": 60, "data": "192.0.2.2"}, {"ttl": 60, "data": "192.0.2.3"}]})
    assert reply.body == {"records_added": 2, "records_removed": 1, "message": "2 records added, 1 records removed"}
    assert rows(zone) == {("www", "A", "192.0.2.2"), ("www", "A", "192.0.2.3"), ("www", "AAAA", "2001:db8::1")}


def test_put_of_a_record_outside_the_urls_host_is_refused(api, zone):
    reply = api.put(R + "/www/A", {"records": [{"host": "ftp", "type": "A", "data": "192.0.2.2"}]})
    assert reply.status == 400
    assert "outside the records this request selects" in reply.body["errors"][0]


def test_put_on_the_whole_zone_replaces_everything_but_the_providers_records(api, zone):
    api.post(R, {"records": [{"host": "old", "type": "A", "data": "192.0.2.1"}]})
    reply = api.put(R, {"records": [{"host": "new", "type": "A", "data": "192.0.2.2"}]})
    assert reply.status == 200, reply.body
    assert rows(zone) == {("new", "A", "192.0.2.2")}
    assert {r.content for r in zone_records(zone=zone) if r.type == "NS"} == {
        "ns1.ctrlpanel.test.",
        "ns2.ctrlpanel.test.",
    }


def test_a_get_sent_back_as_a_put_changes_nothing(api, zone):
    api.post(R, {"records": [{"host": "www", "type": "A", "data": "192.0.2.1"}]})
    before = zone.__class__.objects.get(pk=zone.pk).version
    reply = api.put(R, {"records": api.get(R).body["records"]})
    assert reply.status == 200, reply.body
    assert (reply.body["records_added"], reply.body["records_removed"]) == (0, 0)
    assert zone.__class__.objects.get(pk=zone.pk).version == before


def test_delete_with_data_removes_only_the_matching_record(api, zone):
    api.post(
        R,
        {
            "records": [
                {"host": "_acme-challenge", "type": "TXT", "data": "one"},
                {"host": "_acme-challenge", "type": "TXT", "data": "two"},
            ]
        },
    )
    reply = api.delete(R + "/_acme-challenge/TXT?data=one")
    assert reply.body["records_removed"] == 1
    assert rows(zone) == {("_acme-challenge", "TXT", '"two"')}


def test_delete_of_the_whole_zone_keeps_soa_and_apex_ns(api, zone):
    api.post(R, {"records": [{"host": "a", "type": "A", "data": "192.0.2.1"}]})
    assert api.delete(R).body["records_removed"] == 1
    assert rows(zone) == set()
    assert len([r for r in zone_records(zone=zone) if r.type == "NS"]) == 2


def test_get_filters_by_host_type_and_data(api, zone):
    api.post(
        R,
        {
            "records": [
                {"host": "a", "type": "A", "data": "192.0.2.1"},
                {"host": "a", "type": "A", "data": "192.0.2.2"},
                {"host": "b", "type": "A", "data": "192.0.2.1"},
            ]
        },
    )
    assert len(api.get(R + "/a").body["records"]) == 2
    assert api.get(R + "/a/A?data=192.0.2.2").body["records"] == [
        {"host": "a", "ttl": 3600, "type": "A", "data": "192.0.2.2"}
    ]
    assert api.get(R + "/nothing/A").body == {"records": []}


def test_the_listing_holds_the_apex_ns_but_no_soa_and_the_flags_leave_the_ns_out(api, zone):
    # libdns's GetRecords fails on a SOA ("unknown type: SOA"); the v2 tutorial's full listing shows none.
    assert {r["type"] for r in api.get(R).body["records"]} == {"NS"}
    for flags in ("?exclude-generated=true&exclude-template=true", "?exclude-generated", "?exclude-template"):
        assert api.get(R + flags).body == {"records": []}, flags
    assert api.get(R + "?exclude-generated=false").body == api.get(R).body


def test_the_soa_is_read_by_asking_for_it_by_type(api, zone):
    [soa] = api.get(R + "/@/SOA").body["records"]
    assert (soa["host"], soa["type"]) == ("@", "SOA")
    assert soa["data"].startswith("ns1.ctrlpanel.test.")
    assert api.get(R + "?type=SOA").body["records"] == [soa]
    assert api.get(R + "?type=SOA&exclude-generated").body == {"records": []}


def test_the_whole_zone_reads_and_writes_as_a_master_file(api, zone):
    text = "$ORIGIN example.com.\n$TTL 300\nwww IN A 192.0.2.7\nmail 60 IN MX 10 mx.example.net.\n"
    reply = api.put(R, text, content_type="text/dns")
    assert reply.status == 200, reply.body
    assert rows(zone) == {("www", "A", "192.0.2.7"), ("mail", "MX", "10 mx.example.net.")}
    master = api.get(R, HTTP_ACCEPT="text/dns")
    assert master.status == 200
    assert master.headers["Content-Type"].startswith("text/dns")
    assert "www 300 IN A 192.0.2.7" in master.body


def test_a_master_file_that_does_not_parse_is_a_400(api, zone):
    reply = api.put(R, "www IN A not-an-address\n", content_type="text/dns")
    assert reply.status == 400


def test_every_write_is_journalled_as_the_api_key_from_the_client_address(api, key, zone):
    api.post(R, {"records": [{"host": "www", "type": "A", "data": "192.0.2.1"}]})
    change = Change.objects.filter(zone=zone).latest("version")
    assert (change.interface, change.actor, change.client_address) == ("api", f"API key {key.key.key_id}", "192.0.2.50")


def test_invalid_records_are_reported_all_at_once(api, zone):
    reply = api.post(
        R,
        {
            "records": [
                {"host": "a", "type": "A", "data": "nope"},
                {"host": "b", "type": "MX", "data": "mx.example.net."},
            ]
        },
    )
    assert reply.status == 400
    assert [e.split(":")[0] for e in reply.body["errors"]] == ["records[0]", "records[1]"]


def test_malformed_json_is_a_400_in_the_error_shape(api, zone):
    reply = api.request("POST", R, "{not json", content_type="application/json; charset=utf-8")
    assert reply.status == 400
    assert set(reply.body) == {"error"}


def test_an_unknown_zone_is_a_404(api, zone):
    assert api.get("/dns/v2/zones/example.org/records").status == 404


def test_requests_without_or_with_wrong_credentials_are_401(api_as, key, zone):
    assert api_as(None).get("/dns/v2/zones").status == 401
    wrong = api_as(None).get("/dns/v2/zones", HTTP_AUTHORIZATION="Basic " + "eDp5")  # x:y
    assert wrong.status == 401
    assert wrong.body == {"error": "invalid API key credentials"}


def test_verify_is_200_when_every_nameserver_is_current_and_409_otherwise(api, zone):
    assert api.get(R + "?verify").status == 200
    server = Nameserver.objects.create(name="ns1", address="127.0.0.1", tsig_name="k", tsig_secret="c2VjcmV0")
    assert api.get(R + "?verify").status == 409
    ZoneSync.objects.create(zone=zone, nameserver=server, version=zone.__class__.objects.get(pk=zone.pk).version)
    assert api.get(R + "?verify").status == 200
    assert api.post(R + "?verify", {"records": [{"host": "a", "type": "A", "data": "192.0.2.1"}]}).status == 409


def test_the_dynamic_endpoint_points_a_host_at_the_caller(api_as, key, zone):
    assert api_as(key, "198.51.100.7").put("/dns/v2/dynamic/home.example.com").status == 200
    assert api_as(key, "2001:db8::7").post("/dns/v2/dynamic/home.example.com").status == 200
    assert set(rows(zone)) == {("home", "A", "198.51.100.7"), ("home", "AAAA", "2001:db8::7")}


@pytest.mark.parametrize("path", ["/dns/v2/zones", R])
def test_throttling_answers_429_with_retry_after(api, zone, path, monkeypatch):
    monkeypatch.setattr(KeyThrottle, "THROTTLE_RATES", {"apikey": "2/min"})
    assert [api.get(path).status for _ in range(3)] == [200, 200, 429]
    assert int(api.get(path).headers["Retry-After"]) > 0


def test_the_zone_throttle_is_shared_by_every_key(api_as, make_key, zone, monkeypatch):
    monkeypatch.setattr(ZoneThrottle, "THROTTLE_RATES", {"zone": "2/min"})
    first, second = api_as(make_key()), api_as(make_key(), "192.0.2.99")
    assert [first.get(R).status, second.get(R).status, second.get(R).status] == [200, 200, 429]
    assert second.get("/dns/v2/zones").status == 200  # other zones (and the zone list) are unaffected


def test_a_put_of_one_rrset_costs_a_fixed_number_of_queries(api, zone, django_assert_max_num_queries):
    api.put(R + "/www/A", {"records": [{"data": "192.0.2.1"}]})
    # key, zone, lock, current RRset, zone_apply (lock, load, delete, insert, version, journal), savepoints
    with django_assert_max_num_queries(14):
        assert api.put(R + "/www/A", {"records": [{"data": "192.0.2.2"}]}).status == 200


@pytest.mark.django_db
def test_a_master_file_past_the_zone_s_record_limit_is_a_400_before_its_tail_is_parsed(api, zone, settings):
    settings.ZONE_MAX_RECORDS = 10
    lines = "".join(f"host{n} 300 IN A 192.0.2.{n}\n" for n in range(11)) + "not a record\n" * 10_000
    reply = api.put(R, lines, content_type="text/dns")
    assert reply.status == 400
    assert reply.body["errors"] == ["the zone may hold at most 10 records; the file has more"]
    assert rows(zone) == set()


def test_field_errors_name_each_field_and_leave_the_next_request_unaffected(api, zone):
    # One RecordsSerializer validates every body (serializers.records_validate): nothing of one request may stay.
    reply = api.put(R + "/www/A", {"records": [{"ttl": -1, "data": "192.0.2.1"}, {"ttl": 60}]})
    assert reply.status == 400
    # A record's index is written as in the errors of its content (records[0]: ...).
    assert reply.body["errors"] == [
        "records[0].ttl: Ensure this value is greater than or equal to 0.",
        "records[1].data: This field is required.",
    ]
    assert api.put(R + "/www/A", {"records": [{"ttl": 60, "data": "192.0.2.9"}]}).status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"records": [{"ttl": 60, "data": "192.0.2.1", "mx_priority": 70000}], "host": "a" * 300},
        {"records": "nope"},
        {"records": [], "type": "A"},
        {"host": "www"},
        {"records": [{"data": None}, 5]},
    ],
)
def test_the_shared_validator_answers_as_a_fresh_serializer_would(body):
    fresh = serializers.RecordsSerializer(data=body)
    if fresh.is_valid():
        assert serializers.records_validate(body) == dict(fresh.validated_data)
    else:
        with pytest.raises(ValidationError) as raised:
            serializers.records_validate(body)
        assert raised.value.detail == fresh.errors
