"""Record selection as the v2 API defines it: the URL's host and type, the filters host, type and data, select=; and
the request forms shell clients use (valueless flags, form-encoded bodies). docs/dns-api-v2.md has the semantics."""

from __future__ import annotations

import urllib.parse

import pytest

from zones.models import Zone
from zones.selectors import zone_records
from zones.services import Add, zone_apply

R = "/dns/v2/zones/example.com/records"
FORM = "application/x-www-form-urlencoded"
# The zone of the measurements: what a client meant to leave alone is all here.
ZONE = [
    Add("www", "A", "192.0.2.1"),
    Add("mail", "A", "192.0.2.2"),
    Add("@", "MX", "10 mail.example.com."),
    Add("@", "TXT", '"v=spf1 mx -all"'),
    Add("test1", "TXT", '"one"'),
    Add("test1", "TXT", '"two"'),
    Add("test1", "A", "192.0.2.3"),
    Add("settest1", "A", "192.0.2.4"),
]


@pytest.fixture
def populated(zone, cli_actor):
    zone_apply(zone=zone, changes=ZONE, actor=cli_actor)
    return zone


def contents(zone: Zone) -> set[tuple[str, str, str]]:
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone) if (r.name, r.type) != ("@", "NS")}


def select(**fields: str) -> str:
    return "select=" + urllib.parse.quote(urllib.parse.urlencode(fields), safe="")


def test_a_put_with_select_replaces_only_the_selected_rrset(api, populated):
    # libdns/mythicbeasts SetRecords: PUT /records?select=host%3Dsettest1%26type%3DA with the new records.
    before = contents(populated)
    reply = api.put(
        R + "?" + select(host="settest1", type="A"),
        {"records": [{"host": "settest1", "type": "A", "data": "192.0.2.9"}]},
    )
    assert reply.status == 200, reply.body
    assert (reply.body["records_added"], reply.body["records_removed"]) == (1, 1)
    assert contents(populated) == before - {("settest1", "A", "192.0.2.4")} | {("settest1", "A", "192.0.2.9")}


def test_a_put_with_several_selects_replaces_their_union_and_nothing_else(api, populated):
    query = "&".join([select(host="settest1", type="A"), select(host="settest2", type="CNAME")])
    body = {
        "records": [
            {"host": "settest1", "type": "A", "data": "192.0.2.9"},
            {"host": "settest2", "type": "CNAME", "data": "test2.example.com."},
        ]
    }
    before = contents(populated)
    assert api.put(R + "?" + query, body).status == 200
    expected = before - {("settest1", "A", "192.0.2.4")}
    assert contents(populated) == expected | {
        ("settest1", "A", "192.0.2.9"),
        ("settest2", "CNAME", "test2.example.com."),
    }


def test_a_put_of_a_record_outside_its_selects_is_refused(api, populated):
    before = contents(populated)
    reply = api.put(
        R + "?" + select(host="settest1", type="A"), {"records": [{"host": "www", "type": "A", "data": "192.0.2.9"}]}
    )
    assert reply.status == 400
    assert "outside the records this request selects" in reply.body["errors"][0]
    assert contents(populated) == before


def test_get_and_delete_with_host_and_type_filters_touch_only_those_records(api, populated):
    # dns-lexicon's list_records and delete_record send exactly these filters.
    listed = api.get(R + "?host=test1&type=TXT").body["records"]
    assert sorted(r["data"] for r in listed) == ["one", "two"]
    before = contents(populated)
    reply = api.delete(R + "/test1/TXT?type=TXT&host=test1&data=one")
    assert reply.body["records_removed"] == 1
    assert contents(populated) == before - {("test1", "TXT", '"one"')}
    assert api.delete(R + "?host=test1&type=TXT").body["records_removed"] == 1
    assert contents(populated) == before - {("test1", "TXT", '"one"'), ("test1", "TXT", '"two"')}


def test_a_filter_that_contradicts_the_url_selects_nothing(api, populated):
    before = contents(populated)
    assert api.get(R + "/www/A?host=mail").body == {"records": []}
    assert api.delete(R + "/www/A?host=mail").body["records_removed"] == 0
    assert contents(populated) == before


def test_a_put_with_a_data_filter_replaces_that_record_and_keeps_the_rest_of_the_rrset(api, populated):
    # dns-lexicon's update_record by identifier: PUT /records/test1/TXT?type=TXT&host=test1&data=one.
    before = contents(populated)
    reply = api.put(R + "/test1/TXT?type=TXT&host=test1&data=one", {"records": [{"data": "uno"}]})
    assert reply.status == 200, reply.body
    assert contents(populated) == before - {("test1", "TXT", '"one"')} | {("test1", "TXT", '"uno"')}


def test_a_json_body_may_name_the_host_and_type_of_its_records_beside_them(api, populated):
    # dns-lexicon's update_record puts "host" and "type" next to "records".
    body = {"records": [{"data": "192.0.2.8"}], "host": "test1", "type": "A"}
    assert api.put(R + "/test1/A?type=A&host=test1", body).status == 200
    assert ("test1", "A", "192.0.2.8") in contents(populated)
    assert ("test1", "A", "192.0.2.3") not in contents(populated)


def test_several_selects_on_get_and_delete_address_their_union(api, populated):
    query = "&".join([select(host="www"), select(host="test1", type="TXT", data="two")])
    listed = api.get(R + "?" + query).body["records"]
    assert sorted((r["host"], r["type"], r["data"]) for r in listed) == [
        ("test1", "TXT", "two"),
        ("www", "A", "192.0.2.1"),
    ]
    before = contents(populated)
    assert api.delete(R + "?" + query).body["records_removed"] == 2
    assert contents(populated) == before - {("www", "A", "192.0.2.1"), ("test1", "TXT", '"two"')}


def test_a_data_filter_on_names_matches_the_name_however_it_is_written(api, populated):
    assert len(api.get(R + "/@/MX?data=mail").body["records"]) == 1
    assert len(api.get(R + "/@/MX?data=MAIL.example.com.").body["records"]) == 1
    assert api.get(R + "/@/MX?data=mx").body == {"records": []}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_valueless_exclude_flags_are_true_on_get_and_delete(api, populated, method):
    # libdns DeleteRecords: DELETE /records/settest1/A?exclude-template&exclude-generated
    reply = api.request(method, R + "/settest1/A?exclude-template&exclude-generated")
    assert reply.status == 200, reply.body
    if method == "GET":
        assert api.get(R + "?exclude-generated&exclude-template").body["records"][0]["type"] != "NS"
    else:
        assert reply.body["records_removed"] == 1
        assert ("settest1", "A", "192.0.2.4") not in contents(populated)


def test_the_exclude_flags_on_a_put_are_refused_not_ignored(api, populated):
    before = contents(populated)
    reply = api.put(R + "/www/A?exclude-generated", {"records": [{"data": "192.0.2.9"}]})
    assert reply.status == 400
    assert "'exclude-generated'" in reply.body["errors"][0]
    assert contents(populated) == before


def test_a_form_encoded_post_adds_the_record_the_url_names(api, populated):
    # The v2 tutorial and acme.sh: curl -X POST .../records/test1/A -d data=4.3.2.1
    reply = api.request("POST", R + "/test1/A", "data=4.3.2.1", content_type=FORM)
    assert reply.status == 200, reply.body
    assert reply.body["message"].startswith("1 records added")
    assert ("test1", "A", "4.3.2.1") in contents(populated)


def test_a_form_encoded_put_carries_the_numeric_fields_as_text(api, populated):
    reply = api.request("PUT", R + "/@/MX", "data=mx2.example.net.&mx_priority=20&ttl=600", content_type=FORM)
    assert reply.status == 200, reply.body
    [mx] = api.get(R + "/@/MX").body["records"]
    assert (mx["data"], mx["mx_priority"], mx["ttl"]) == ("mx2.example.net.", 20, 600)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("data=1.2.3.4&data=5.6.7.8", "given more than once"),
        ("data=1.2.3.4&ttl=soon", "ttl must be a whole number"),
        ("data=1.2.3.4&colour=blue", "unknown form field 'colour'"),
    ],
)
def test_a_form_body_that_is_not_one_plain_record_is_refused(api, populated, body, why):
    before = contents(populated)
    reply = api.request("PUT", R + "/www/A", body, content_type=FORM)
    assert reply.status == 400
    assert why in " ".join(reply.body["errors"])
    assert contents(populated) == before


def test_a_delete_reads_the_data_filter_from_a_form_body(api, populated):
    # acme.sh's dns_mythic_beasts_rm: DELETE .../records/test1/TXT with the body data=TOKEN.
    before = contents(populated)
    reply = api.request("DELETE", R + "/test1/TXT", "data=two", content_type=FORM)
    assert reply.body["records_removed"] == 1
    assert contents(populated) == before - {("test1", "TXT", '"two"')}


def test_a_delete_refuses_a_body_filter_that_contradicts_the_query(api, populated):
    before = contents(populated)
    reply = api.request("DELETE", R + "/test1/TXT?data=one", "data=two", content_type=FORM)
    assert reply.status == 400
    assert contents(populated) == before


def test_an_empty_host_means_the_apex(api, populated):
    # dns-lexicon's relative name for the zone itself is the empty string.
    assert {r["type"] for r in api.get(R + "?host=&exclude-generated").body["records"]} == {"MX", "TXT"}
    assert api.post(R, {"records": [{"host": "", "type": "TXT", "data": "apex"}]}).status == 200
    assert ("@", "TXT", '"apex"') in contents(populated)


def test_a_get_with_an_empty_json_object_body_is_a_plain_get(api, populated):
    # dns-lexicon sends "{}" as the body of every request, GET and DELETE included.
    assert api.request("GET", R + "/www/A", {}).body["records"][0]["data"] == "192.0.2.1"
    assert api.request("GET", R + "/www/A", {"records": []}).status == 400


def test_a_listing_and_a_put_with_selects_cost_a_fixed_number_of_queries(api, populated, django_assert_max_num_queries):
    query = "&".join([select(host="www"), select(host="test1", type="TXT")])
    # the key, the zone, the selected RRsets (one query whatever the number of selects)
    with django_assert_max_num_queries(3):
        assert len(api.get(R + "?" + query).body["records"]) == 3
    body = {"records": [{"host": "settest1", "type": "A", "data": "192.0.2.9"}]}
    api.put(R + "?" + select(host="settest1", type="A"), body)
    body["records"][0]["data"] = "192.0.2.10"
    # key, zone, lock, selected RRsets, zone_apply (lock, load, delete, insert, version, journal), savepoints
    with django_assert_max_num_queries(14):
        assert api.put(R + "?" + select(host="settest1", type="A"), body).status == 200
