"""The dashboard at provider size: a page of zones at a time, searched, filtered by state and sorted in SQL, with the
same number of queries for 3 zones as for 60 (a page boundary is 50); and nobody sees another account's zones."""

from __future__ import annotations

import re
import urllib.parse
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import Account
from panel.selectors import ZONES_PER_PAGE, zones_page
from zones.models import Change, Nameserver, Zone, ZoneSync
from zones.push.selectors import SyncState, zone_state
from zones.services import zone_create

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _zones(account: Account, actor: Actor, count: int, suffix: str = "example.net") -> list[Zone]:
    return [zone_create(name=f"z{n:03}.{suffix}", account=account, actor=actor) for n in range(count)]


def _names(html: str) -> list[str]:
    return re.findall(r'<td data-label="Zone"><a [^>]*><strong>([^<]+)</strong>', html)


def _states(html: str) -> dict[str, str]:
    row = r'<td data-label="Zone"><a [^>]*><strong>([^<]+)</strong>.*?<td data-label="Nameservers"><span[^>]*>([^<]+)<'
    return dict(re.findall(row, html, re.S))


def _hrefs(html: str, label: str) -> list[dict[str, list[str]]]:
    """The query parameters of every link whose text is `label`."""
    links = re.findall(r'<a [^>]*href="\?([^"]*)"[^>]*>' + re.escape(label) + "<", html)
    return [urllib.parse.parse_qs(unescape(link), keep_blank_values=True) for link in links]


def _servers() -> tuple[Nameserver, Nameserver]:
    a, b = (
        Nameserver.objects.create(name=name, address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0")
        for name in ("ns-a", "ns-b")
    )
    return a, b


def _set_states(zones: list[Zone]) -> dict[str, SyncState]:
    """Every third zone in sync, the next pending, the next failing (rows as a push leaves them)."""
    a, b = _servers()
    wanted = {}
    for n, zone in enumerate(zones):
        state = [SyncState.IN_SYNC, SyncState.PENDING, SyncState.FAILING][n % 3]
        ZoneSync.objects.create(zone=zone, nameserver=a, version=zone.version)
        behind = {"version": zone.version - 1, "attempts": 2 if state == SyncState.FAILING else 0}
        ZoneSync.objects.create(zone=zone, nameserver=b, **({"version": zone.version} if n % 3 == 0 else behind))
        wanted[zone.name] = state
    return wanted


# --- the same queries for 3 zones as for 60 -------------------------------------------------------------------------

# Session and user (2), the person's accounts (1), the zones' count (1) and the page with its last changes and sync
# states (1), the allocations and pending requests (2), the session's renewal (3). HTMX asks for the table only.
DASHBOARD_QUERIES = {
    "/": 10,
    "/?page=2": 10,
    "/?q=Z0&state=pending&sort=-changed": 10,
    "/?state=failing&sort=state&page=2": 10,
    "/?sort=-records": 10,
    "/?sort=changed&page=9": 10,
}


@pytest.mark.parametrize("count", [3, 60])
def test_the_dashboard_takes_the_same_queries_for_3_zones_as_for_60(
    customer_client: Client, account: Account, cli_actor: Actor, count: int
) -> None:
    _set_states(_zones(account, cli_actor, count))
    for path, queries in DASHBOARD_QUERIES.items():
        customer_client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = customer_client.get(path)
        assert response.status_code == 200, path
        assert len(captured) == queries, (path, [q["sql"][:100] for q in captured.captured_queries])
        with CaptureQueriesContext(connection) as captured:
            assert customer_client.get(path, **HX).status_code == 200
        assert len(captured) == queries - 2, path  # the table alone: no allocations, no requests


def test_last_changes_and_sync_states_are_read_for_the_page_s_zones_only(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    _set_states(_zones(account, cli_actor, 60))
    with CaptureQueriesContext(connection) as captured:
        assert customer_client.get("/", **HX).status_code == 200
    reading = [
        q["sql"] for q in captured.captured_queries if "zones_change" in q["sql"] or "zones_zonesync" in q["sql"]
    ]
    assert len(reading) == 1
    assert re.search(r'"zones_zone"\."id" IN \(SELECT .* LIMIT 50', reading[0])


# --- behaviour --------------------------------------------------------------------------------------------------------


def test_the_dashboard_pages_through_the_zones_by_name(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    _zones(account, cli_actor, 60)
    first = customer_client.get("/").content.decode()
    assert _names(first) == [f"z{n:03}.example.net" for n in range(ZONES_PER_PAGE)]
    assert "1\N{EN DASH}50 of 60" in first
    second = customer_client.get("/", {"page": "2"}).content.decode()
    assert _names(second) == [f"z{n:03}.example.net" for n in range(50, 60)]
    assert _names(customer_client.get("/", {"page": "99"}).content.decode()) == _names(second)  # as every pager


def test_the_search_finds_a_name_substring_in_any_case(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    _zones(account, cli_actor, 60)
    assert _names(customer_client.get("/", {"q": " Z05"}).content.decode()) == [
        f"z{n:03}.example.net" for n in range(50, 60)
    ]
    assert "No zone matches." in customer_client.get("/", {"q": "nothing-like-it"}).content.decode()


def test_each_order_sorts_all_zones_before_the_page_is_cut(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    zones = _zones(account, cli_actor, 60)
    Zone.objects.filter(pk=zones[7].pk).update(record_count=500)
    Change.objects.filter(zone=zones[55]).update(created=timezone.now() + timedelta(days=1))
    Change.objects.filter(zone=zones[3]).update(created=timezone.now() - timedelta(days=400))
    assert _names(customer_client.get("/", {"sort": "-name"}).content.decode())[0] == "z059.example.net"
    assert _names(customer_client.get("/", {"sort": "-records"}).content.decode())[0] == "z007.example.net"
    assert _names(customer_client.get("/", {"sort": "-changed"}).content.decode())[0] == "z055.example.net"
    assert _names(customer_client.get("/", {"sort": "changed"}).content.decode())[0] == "z003.example.net"
    last = customer_client.get("/", {"sort": "changed", "page": "2"}).content.decode()
    assert _names(last)[-1] == "z055.example.net"


def test_the_state_filter_agrees_with_the_state_of_each_zone(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    wanted = _set_states(_zones(account, cli_actor, 9))
    a, b = Nameserver.objects.order_by("name")
    off = Nameserver.objects.create(name="ns-off", address="192.0.2.53", tsig_name="k", tsig_secret="c2VjcmV0")
    ahead, missing, stale = _zones(account, cli_actor, 3, suffix="edge.example")
    ZoneSync.objects.create(zone=ahead, nameserver=a, version=ahead.version)
    ZoneSync.objects.create(zone=ahead, nameserver=b, version=ahead.version + 3)  # a restored database: behind
    ZoneSync.objects.create(zone=missing, nameserver=a, version=missing.version)  # b has no row yet: behind
    ZoneSync.objects.create(zone=stale, nameserver=a, version=stale.version)
    ZoneSync.objects.create(zone=stale, nameserver=b, version=stale.version)
    ZoneSync.objects.create(zone=stale, nameserver=off, version=0, attempts=9)  # disabled below: it does not count
    off.enabled = False
    off.save()
    wanted |= {ahead.name: SyncState.PENDING, missing.name: SyncState.PENDING, stale.name: SyncState.IN_SYNC}
    assert {zone.name: zone_state(zone=zone) for zone in Zone.objects.all()} == wanted
    for state in (SyncState.IN_SYNC, SyncState.PENDING, SyncState.FAILING):
        html = customer_client.get("/", {"state": state.value.replace(" ", "-")}).content.decode()
        assert _states(html) == {name: str(state) for name, s in wanted.items() if s == state}, state
    assert "No zone matches." in customer_client.get("/", {"state": "no-nameserver"}).content.decode()
    Nameserver.objects.update(enabled=False)
    html = customer_client.get("/", {"state": "no-nameserver"}).content.decode()
    assert set(_states(html).values()) == {"no nameserver"}
    assert len(_states(html)) == 12


def test_sorting_by_state_puts_failing_then_pending_first(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    _set_states(_zones(account, cli_actor, 60))
    states = list(_states(customer_client.get("/", {"sort": "state"}).content.decode()).values())
    assert states == ["failing"] * 20 + ["pending"] * 20 + ["in sync"] * 10
    reverse = list(_states(customer_client.get("/", {"sort": "-state"}).content.decode()).values())
    assert reverse[:20] == ["in sync"] * 20


def test_the_links_keep_the_search_filter_and_order_url_encoded(
    customer_client: Client, account: Account, cli_actor: Actor
) -> None:
    _zones(account, cli_actor, 60, suffix="a-b.example")
    html = customer_client.get("/", {"q": ".a-b", "state": "no-nameserver", "sort": "-changed"}).content.decode()
    keep = {"q": [".a-b"], "state": ["no-nameserver"]}
    assert _hrefs(html, "Zone") == [{**keep, "sort": ["name"]}]
    assert _hrefs(html, "Last change") == [{**keep, "sort": ["changed"]}]
    assert _hrefs(html, "Next →") == [{**keep, "sort": ["-changed"], "page": ["2"]}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"sort": "serial"}, "sort: Select a valid choice."),
        ({"state": "broken"}, "state: Select a valid choice."),
        ({"filter": "pending"}, "Unknown parameter: filter."),
        ({"q": "x" * 254}, "q: Ensure this value has at most 253 characters"),
    ],
)
def test_a_parameter_or_value_the_dashboard_does_not_know_is_refused_not_ignored(
    customer_client: Client, zone: Zone, query: dict[str, str], message: str
) -> None:
    response = customer_client.get("/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in unescape(html)
    assert _names(html) == []  # not every zone, as if the filter had not been asked for
    fragment = customer_client.get("/", query, **HX)
    assert fragment.status_code == 200  # HTMX swaps 2xx only: the message is in the fragment
    assert message in unescape(fragment.content.decode())


def test_htmx_gets_the_table_alone(customer_client: Client, zone: Zone) -> None:
    html = customer_client.get("/", {"q": "example"}, **HX).content.decode()
    assert html.lstrip().startswith('<div id="zones">')
    assert _names(html) == ["example.com"]
    assert "<html" not in html


def test_no_search_filter_or_page_shows_another_account_s_zones(
    customer_client: Client, account: Account, other_account: Account, cli_actor: Actor
) -> None:
    _zones(account, cli_actor, 3)
    _zones(other_account, cli_actor, 60, suffix="globex.example")
    for query in ({}, {"q": "globex"}, {"page": "2"}, {"sort": "-name"}, {"state": "no-nameserver"}):
        html = customer_client.get("/", query).content.decode()
        assert ".globex.example" not in html, query
    assert _names(customer_client.get("/").content.decode()) == [f"z{n:03}.example.net" for n in range(3)]
    mine = zones_page(accounts=[account], query="globex")
    assert mine.paginator.count == 0


def test_staff_see_their_own_accounts_zones_on_the_dashboard_not_everyone_s(
    staff_client: Client, zone: Zone, staff: Any
) -> None:
    html = staff_client.get("/").content.decode()
    assert _names(html) == []
    zone.account.members.add(staff)
    assert _names(staff_client.get("/").content.decode()) == ["example.com"]


@pytest.mark.postgres
def test_postgresql_runs_the_panel_s_queries_without_jit_compilation(db: None) -> None:
    # JIT compiled the state filter of a 5,000-zone account for 200-990 ms, for tens of ms of work (panel/settings.py).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
