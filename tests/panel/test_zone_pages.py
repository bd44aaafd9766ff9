"""The zone editor, import, export and the audit trail through Django's test client (the browser tests cover HTMX)."""

from __future__ import annotations

import re
import time
import urllib.parse
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from zones.models import Change, Record, RRset, Zone
from zones.selectors import zone_records
from zones.services import Add, zone_apply

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _records(zone: Zone) -> set[tuple[str, str, str]]:
    return {(r.name, r.type, r.content) for r in zone_records(zone=zone)}


def test_adding_a_record_goes_through_zone_apply_as_the_signed_in_person(customer_client: Client, zone: Zone) -> None:
    response = customer_client.post(
        "/zones/example.com/add",
        {"name": "www", "type": "a", "ttl": "300", "content": "192.0.2.1"},
        REMOTE_ADDR="192.0.2.77",
    )
    assert response.status_code == 302
    assert ("www", "A", "192.0.2.1") in _records(zone)
    change = Change.objects.filter(zone=zone).latest("version")
    assert (change.actor, change.interface, change.client_address) == ("alice", "panel", "192.0.2.77")


def test_the_service_s_refusal_comes_back_in_the_form(customer_client: Client, zone: Zone) -> None:
    response = customer_client.post(
        "/zones/example.com/add", {"name": "www", "type": "A", "content": "not-an-ip"}, **HX
    )
    assert response.status_code == 200  # HTMX swaps 2xx only; the message is in the fragment
    assert "not-an-ip" not in {c for _, _, c in _records(zone)}
    assert 'role="alert"' in response.content.decode()


def test_the_apex_ns_set_is_the_providers(customer_client: Client, zone: Zone) -> None:
    response = customer_client.post("/zones/example.com/rrsets/@/NS", {"records": "ns.evil.example."}, **HX)
    assert "the apex NS records belong to the provider" in response.content.decode()
    assert ("@", "NS", "ns.evil.example.") not in _records(zone)


def test_replace_returns_the_new_row_and_delete_removes_it(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    row = customer_client.post(
        "/zones/example.com/rrsets/www/A", {"ttl": "120", "records": "192.0.2.8\n192.0.2.9"}, **HX
    )
    assert row.status_code == 200
    assert "192.0.2.9" in row.content.decode()
    assert "Saved" in row.content.decode()
    assert {c for n, t, c in _records(zone) if (n, t) == ("www", "A")} == {"192.0.2.8", "192.0.2.9"}
    one = customer_client.post("/zones/example.com/rrsets/www/A/delete", {"content": "192.0.2.8"}, **HX)
    assert "192.0.2.8" not in one.content.decode()
    gone = customer_client.post("/zones/example.com/rrsets/www/A/delete", {}, **HX)
    assert gone.content == b""
    assert not {c for n, t, c in _records(zone) if (n, t) == ("www", "A")}


def test_import_previews_without_changing_then_applies_all_or_nothing(customer_client: Client, zone: Zone) -> None:
    good = "www 300 IN A 192.0.2.1\nmail 300 IN A 192.0.2.2\n"
    preview = customer_client.post("/zones/example.com/import", {"text": good, "preview": "1"})
    assert preview.status_code == 200
    assert "192.0.2.2" in preview.content.decode()
    assert ("www", "A", "192.0.2.1") not in _records(zone)
    zone.refresh_from_db()
    applied = customer_client.post("/zones/example.com/import", {"text": good, "apply": "1", "version": zone.version})
    assert applied.status_code == 302
    assert {("www", "A", "192.0.2.1"), ("mail", "A", "192.0.2.2")} <= _records(zone)

    bad = good + "x 300 IN A 192.0.2.3\nelsewhere.example.org. 300 IN A 192.0.2.4\n"
    zone.refresh_from_db()
    refused = customer_client.post("/zones/example.com/import", {"text": bad, "apply": "1", "version": zone.version})
    assert refused.status_code == 200
    assert "elsewhere.example.org" in refused.content.decode()
    assert not any(n == "x" for n, _, _ in _records(zone))


def test_an_import_previewed_before_another_change_is_previewed_again(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    stale = zone.version
    zone_apply(zone=zone, changes=[Add("other", "A", "192.0.2.50")], actor=customer_actor)
    response = customer_client.post(
        "/zones/example.com/import", {"text": "www 300 IN A 192.0.2.1\n", "apply": "1", "version": stale}
    )
    assert response.status_code == 200
    assert ("other", "A", "192.0.2.50") in _records(zone)


def test_export_is_the_master_file(customer_client: Client, zone: Zone) -> None:
    response = customer_client.get("/zones/example.com/export")
    assert response["Content-Disposition"] == 'attachment; filename="example.com.zone"'
    assert response.content.decode().startswith("$ORIGIN example.com.\n")


def test_restore_from_the_history_page_is_audited(customer_client: Client, zone: Zone, customer_actor: Actor) -> None:
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=customer_actor)
    before = zone.version
    zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.2")], actor=customer_actor)
    assert customer_client.post(f"/zones/example.com/history/{before}/restore").status_code == 302
    assert {c for n, t, c in _records(zone) if (n, t) == ("www", "A")} == {"192.0.2.1"}
    history = customer_client.get("/zones/example.com/history").content.decode()
    assert f"Version {before + 2}" in history


def _big_zone(zone: Zone, actor: Actor, count: int) -> None:
    """`count` A records, written in bulk: zone_apply's own speed on large change sets is the service tests' to pin,
    and importing 10k records through it would make this page test slow for nothing."""
    rrsets = RRset.objects.bulk_create(RRset(zone=zone, name=f"host{n}", type="A", ttl=300) for n in range(count))
    Record.objects.bulk_create(
        Record(zone=zone, rrset=rrset, content=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
        for n, rrset in enumerate(rrsets)
    )
    Zone.objects.filter(pk=zone.pk).update(record_count=F("record_count") + count)
    assert zone_apply(zone=zone, changes=[Add("www", "A", "192.0.2.1")], actor=actor).ok


# Queries per page, whatever the zone's size: session and user (2), the page's reads, and the session's renewal (3:
# SESSION_SAVE_EVERY_REQUEST makes the timeout an idle timeout).
BIG_ZONE_PAGES = {
    "/zones/example.com": 11,
    "/zones/example.com?q=host99&type=A&sort=-ttl": 10,  # a search: its page and count in one statement
    "/zones/example.com?page=150": 11,
    "/zones/example.com/history": 9,  # one for how far back the journal goes (zones.retention.history_reach)
    "/": 10,  # a page of zones: their count, the page with its last changes and states (tests/panel/test_dashboard.py)
}


def test_pages_of_a_10k_record_zone_take_a_fixed_number_of_queries_and_under_100_ms(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    _big_zone(zone, customer_actor, 10_000)
    for path, most in BIG_ZONE_PAGES.items():
        customer_client.get(path)  # warm: templates compiled
        timings = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = customer_client.get(path)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(f"{path}: {min(timings) * 1000:.1f} ms, {len(queries)} queries")
        assert len(queries) == most, (path, [q["sql"][:80] for q in queries.captured_queries])
        # The target is 100 ms, met alone on PostgreSQL and SQLite (the README has the figures); the bound leaves room
        # for a 2-core CI machine running the rest of the suite beside this test. The query pins above are the guard
        # against a page that grows with the zone; this one catches a page that is slow for any other reason.
        assert min(timings) < 0.4, f"{path}: {min(timings) * 1000:.0f} ms"


def _hrefs(html: str, label: str) -> list[dict[str, list[str]]]:
    """The query parameters of every link whose text is `label`."""
    links = re.findall(r'<a [^>]*href="\?([^"]*)"[^>]*>' + re.escape(label) + "<", html)
    return [urllib.parse.parse_qs(unescape(link), keep_blank_values=True) for link in links]


def test_the_sort_links_keep_a_search_and_type_holding_ampersands_and_hashes_whole(
    customer_client: Client, zone: Zone
) -> None:
    # type was written into the links as it came: 'TXT&page=2' became a type TXT and a page 2.
    response = customer_client.get("/zones/example.com", {"q": "a#b&c", "type": "TXT&page=2", "sort": "type"})
    html = response.content.decode()
    assert _hrefs(html, "Name") == [{"q": ["a#b&c"], "type": ["TXT&page=2"], "sort": ["name"]}]
    assert _hrefs(html, "Type") == [{"q": ["a#b&c"], "type": ["TXT&page=2"], "sort": ["-type"]}]
    assert _hrefs(html, "TTL") == [{"q": ["a#b&c"], "type": ["TXT&page=2"], "sort": ["ttl"]}]


def test_a_search_is_paged_as_the_zone_is_past_the_end_and_before_the_start(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    _big_zone(zone, customer_actor, 120)  # host0 to host119: a search for "host1" finds host1, host10-19, host100-119

    def names(page: str) -> tuple[str, list[str]]:
        response = customer_client.get("/zones/example.com", {"q": "host1", "page": page})
        assert response.status_code == 200
        html = response.content.decode()
        shown = re.search(r"<span>(\d+)\N{EN DASH}(\d+) of (\d+)</span>", html)
        assert shown is not None
        return shown.group(0), re.findall(r'data-rrset="(host\d+) A"', html)

    every = sorted(["host1"] + [f"host{n}" for n in range(10, 20)] + [f"host{n}" for n in range(100, 120)])
    assert names("1") == ("<span>1\N{EN DASH}31 of 31</span>", every)
    assert names("2") == names("1")  # past the end: the last page, as every pager of the panel does
    assert names("zero") == names("1")
    assert names("-3") == names("1")


def test_a_search_over_several_pages_shows_each_match_once(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    _big_zone(zone, customer_actor, 120)
    seen: list[str] = []
    for page in ("1", "2", "3"):
        html = customer_client.get("/zones/example.com", {"q": "host", "page": page, "sort": "-name"}).content.decode()
        assert f"<span>{50 * int(page) - 49}\N{EN DASH}{min(120, 50 * int(page))} of 120</span>" in html
        seen += re.findall(r'data-rrset="(host\d+) A"', html)
    assert seen == sorted((f"host{n}" for n in range(120)), reverse=True)


def test_the_pager_keeps_the_search_filter_and_order_url_encoded(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    _big_zone(zone, customer_actor, 120)
    response = customer_client.get("/zones/example.com", {"q": "host", "type": "A", "sort": "-ttl"})
    assert _hrefs(response.content.decode(), "Next →") == [
        {"q": ["host"], "type": ["A"], "sort": ["-ttl"], "page": ["2"]}
    ]


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ({"q": "host", "sort": "-ttl&x=1"}, "sort: Select a valid choice."),  # an order it has not got
        ({"q": "host", "filter": "A"}, "Unknown parameter: filter."),  # a filter it does not implement
        ({"type": "A", "edit": "1"}, "Unknown parameter: edit."),
        ({"q": "x" * 256}, "q: Ensure this value has at most 255 characters"),
    ],
)
def test_the_editor_refuses_a_query_it_does_not_understand_and_lists_nothing(
    customer_client: Client, zone: Zone, customer_actor: Actor, query: dict[str, str], refused: str
) -> None:
    _big_zone(zone, customer_actor, 3)
    response = customer_client.get("/zones/example.com", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert refused in html
    assert "data-rrset=" not in html  # not every record, as if they matched
    partial = customer_client.get("/zones/example.com", query, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200  # HTMX swaps 2xx only: the fragment says what was refused
    assert refused in partial.content.decode()
    assert "data-rrset=" not in partial.content.decode()
    assert 'data-rrset="host1 A"' in customer_client.get("/zones/example.com", {"q": "host1"}).content.decode()


def test_an_import_past_the_zone_s_record_limit_is_a_form_error_before_its_tail_is_parsed(
    customer_client: Client, zone: Zone, settings: Any
) -> None:
    settings.ZONE_MAX_RECORDS = 10
    text = "".join(f"host{n} 300 IN A 192.0.2.{n}\n" for n in range(11)) + "not a record\n" * 10_000
    for step in ({"preview": "1"}, {"apply": "1", "version": zone.version}):
        response = customer_client.post("/zones/example.com/import", {"text": text, **step})
        assert response.status_code == 400
        assert "the zone may hold at most 10 records; the file has more" in response.content.decode()
    assert not any(name.startswith("host") for name, _, _ in _records(zone))


def test_the_search_ignores_case_in_letters_and_finds_addresses_and_numbers_as_written(
    customer_client: Client, zone: Zone, customer_actor: Actor
) -> None:
    changes = [
        Add("greeting", "TXT", '"Hello World"'),
        Add("v4", "A", "192.0.2.77"),
        Add("mail", "MX", "10 mx.Example.NET."),
    ]
    assert zone_apply(zone=zone, changes=changes, actor=customer_actor).ok

    def found(text: str) -> list[str]:
        html = customer_client.get("/zones/example.com", {"q": text}).content.decode()
        return re.findall(r'data-rrset="([^"]+)"', html)

    assert found("hello world") == found("HELLO") == ["greeting TXT"]  # letters: any case
    assert found("2.77") == ["v4 A"]  # no letters: compared as written, the same answer
    assert found("10 MX.example") == ["mail MX"]
    assert found('"') == ["greeting TXT"]
    assert found("192.0.2.78") == []
