"""Staff pages at provider size: the account picker (no page lists every account), the account list a page at a time
with capped zone and prefix lists, and the same number of queries for 3 accounts as for 60."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import Account, ApiKey
from accounts.services import account_create
from ipam.models import Allocation, Pool
from ipam.services import prefix_allocate
from panel.selectors import ACCOUNTS_PER_PAGE, NAMES_SHOWN
from zones.models import Zone
from zones.services import zone_create

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _accounts(actor: Actor, count: int) -> list[Account]:
    return [account_create(name=f"cust{n:03}", display_name=f"Customer {n} Ltd", actor=actor) for n in range(count)]


def _picked(html: str) -> list[str]:
    return re.findall(r'<li role="option"[^>]*data-pick="([^"]+)"', html)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


# --- /staff: the allocate form lists no account --------------------------------------------------------------------

# Session, user and second factor (3), the pools (1), the pending requests' count (1), the allocate form's pool
# choices (2: Django reads the first choice once more for the required attribute), the session's renewal (3).
STAFF_HOME_QUERIES = 10


@pytest.mark.parametrize("count", [3, 60])
def test_staff_home_takes_the_same_queries_and_lists_no_account_for_3_accounts_as_for_60(
    staff_client: Client, pool6: Pool, cli_actor: Actor, count: int
) -> None:
    _accounts(cli_actor, count)
    staff_client.get("/staff")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/staff")
    assert len(captured) == STAFF_HOME_QUERIES, [q["sql"][:100] for q in captured.captured_queries]
    html = response.content.decode()
    assert html.count("<option") == 1  # the pool; accounts are picked by name
    assert 'name="account"' in html
    assert "cust000" not in html


def test_staff_allocate_to_an_account_named_in_full_without_javascript(
    staff_client: Client, account: Account, pool6: Pool
) -> None:
    response = staff_client.post("/staff/allocate", {"pool": pool6.pk, "account": " acme ", "length": 56})
    assert response.status_code == 302
    assert Allocation.objects.get().account == account


def test_allocating_to_an_account_that_does_not_exist_is_a_form_error(
    staff_client: Client, account: Account, pool6: Pool
) -> None:
    for name in ("acm", "ACME", "acme\x00", str(account.pk), "x" * 65):
        response = staff_client.post("/staff/allocate", {"pool": pool6.pk, "account": name, "length": 56})
        assert response.status_code == 400, name
        assert "No account is named" in unescape(response.content.decode()), name
    assert not Allocation.objects.exists()


# --- the picker's endpoint -----------------------------------------------------------------------------------------


def test_the_picker_offers_accounts_whose_name_starts_with_the_text_first(
    staff_client: Client, cli_actor: Actor
) -> None:
    for name, display in (("zeta-acme", ""), ("acme", "Acme Hosting"), ("acme-labs", ""), ("globex", "ACME's rival")):
        account_create(name=name, display_name=display, actor=cli_actor)
    response = staff_client.get("/staff/accounts/pick", {"account": "Acme"}, **HX)
    assert response.status_code == 200
    assert _picked(response.content.decode()) == ["acme", "acme-labs", "globex", "zeta-acme"]
    assert "Acme Hosting" in response.content.decode()
    nothing = staff_client.get("/staff/accounts/pick", {"account": "initech"}).content.decode()
    assert _picked(nothing) == []
    assert "No account matches" in unescape(nothing)
    assert staff_client.get("/staff/accounts/pick", {"account": " "}).content.decode().strip() == ""


def test_the_picker_offers_at_most_twenty_and_says_more_match(staff_client: Client, cli_actor: Actor) -> None:
    _accounts(cli_actor, 25)
    with CaptureQueriesContext(connection) as captured:
        html = staff_client.get("/staff/accounts/pick", {"account": "cust"}).content.decode()
    assert _picked(html) == [f"cust{n:03}" for n in range(20)]
    assert "More accounts match" in html
    assert len(captured) == 7  # session, user, second factor; the accounts; the session's renewal (3)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"account": "acme", "limit": "1000"}, "Unknown parameter: limit."),
        ({"q": "acme"}, "Unknown parameter: q."),
        ({"account": "ac\x00me"}, "Null characters are not allowed."),
        ({"account": "a" * 201}, "at most 200 characters"),
    ],
)
def test_the_picker_refuses_what_it_does_not_understand(
    staff_client: Client, account: Account, query: dict[str, str], message: str
) -> None:
    response = staff_client.get("/staff/accounts/pick", query)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert _picked(response.content.decode()) == []


def test_the_picker_is_for_staff_only(customer_client: Client, client: Client, account: Account) -> None:
    assert customer_client.get("/staff/accounts/pick", {"account": "a"}).status_code == 403
    assert customer_client.get("/staff/accounts/pick", {"account": "a"}, **HX).status_code == 403
    response = client.get("/staff/accounts/pick", {"account": "a"})
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login")


# --- other forms that act for an account ---------------------------------------------------------------------------


def test_staff_create_a_zone_for_any_account_by_name_from_the_dashboard(
    staff_client: Client, account: Account, cli_actor: Actor
) -> None:
    _accounts(cli_actor, 60)
    html = staff_client.get("/").content.decode()
    assert "Add a zone" in html
    assert "cust000" not in html  # a picker, not a list of every account
    assert staff_client.post("/zones/new", {"account": "acme", "name": "staff-made.example"}).status_code == 302
    assert Zone.objects.get(name="staff-made.example").account == account
    refused = staff_client.post("/zones/new", {"account": "nobody", "name": "orphan.example"})
    assert refused.status_code == 400
    assert "No account is named" in unescape(refused.content.decode())
    assert "cust000" not in refused.content.decode()  # the form again, still without every account in it


def test_customers_still_choose_among_their_own_accounts_only(
    customer_client: Client, customer: User, account: Account, other_account: Account, cli_actor: Actor
) -> None:
    second = account_create(name="acme-two", actor=cli_actor)
    second.members.add(customer)
    html = customer_client.get("/").content.decode()
    assert re.findall(r'<option value="(\d+)"', html) == [str(account.pk), str(second.pk)]
    refused = customer_client.post("/zones/new", {"account": "globex", "name": "theirs.example"})
    assert refused.status_code == 400
    refused = customer_client.post("/zones/new", {"account": other_account.pk, "name": "theirs.example"})
    assert refused.status_code == 400
    assert not Zone.objects.filter(name="theirs.example").exists()


def test_staff_make_an_api_key_for_an_account_named_in_the_picker(
    staff_client: Client, account: Account, cli_actor: Actor
) -> None:
    _accounts(cli_actor, 60)
    page = staff_client.get("/keys").content.decode()
    assert "cust000" not in page
    assert 'hx-get="/staff/accounts/pick"' in page
    response = staff_client.post("/keys", {"account": "acme", "label": "for acme"})
    assert response.status_code == 200
    assert ApiKey.objects.get(label="for acme").account == account
    assert staff_client.post("/keys", {"account": account.pk, "label": "by id"}).status_code == 400


# --- /staff/accounts -----------------------------------------------------------------------------------------------

# Session, user and second factor (3), the count (1), the page (1), its members (1), its zones and its prefixes with
# their totals (2), the session's renewal (3).
STAFF_ACCOUNTS_QUERIES = 11


@pytest.mark.parametrize("count", [3, 60])
def test_the_account_list_takes_the_same_queries_for_3_accounts_as_for_60(
    staff_client: Client, pool6: Pool, cli_actor: Actor, count: int
) -> None:
    accounts = _accounts(cli_actor, count)
    for n in range(NAMES_SHOWN + 2):
        zone_create(name=f"z{n}.example.net", account=accounts[0], actor=cli_actor)
        prefix_allocate(pool=pool6, account=accounts[-1], length=48, actor=cli_actor)
    for path in ("/staff/accounts", "/staff/accounts?page=2", "/staff/accounts?q=Customer+1"):
        staff_client.get(path)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(path).status_code == 200
        assert len(captured) == STAFF_ACCOUNTS_QUERIES, (path, [q["sql"][:100] for q in captured.captured_queries])


def test_the_account_list_pages_by_name_and_caps_each_account_s_zones_and_prefixes(
    staff_client: Client, pool6: Pool, cli_actor: Actor, customer: User
) -> None:
    accounts = _accounts(cli_actor, 60)
    accounts[0].members.add(customer)
    for n in range(NAMES_SHOWN + 4):
        zone_create(name=f"z{n:02}.example.net", account=accounts[0], actor=cli_actor)
        prefix_allocate(pool=pool6, account=accounts[0], length=48, actor=cli_actor)
    first = staff_client.get("/staff/accounts").content.decode()
    assert _rows(first) == ["acme"] + [f"cust{n:03}" for n in range(ACCOUNTS_PER_PAGE - 1)]  # alice's own acme too
    row = re.search(r'<tr data-account="cust000">(.*?)</tr>', first, re.S)
    assert row is not None
    cells = row.group(1)
    assert re.findall(r">(z\d\d\.example\.net)<", cells) == [f"z{n:02}.example.net" for n in range(NAMES_SHOWN)]
    assert "and 4 more" in cells
    assert '<a href="/zones/z00.example.net">z00.example.net</a> <span class="small muted">2</span>' in cells  # NS x2
    assert cells.count("<code>2001:db8:") == NAMES_SHOWN
    assert "alice" in cells
    other = re.search(r'<tr data-account="cust001">(.*?)</tr>', first, re.S)
    assert other is not None
    assert re.findall(r'<td data-label="(\w+)">\N{EM DASH}</td>', other.group(1)) == ["Members", "Zones", "Space"]
    second = staff_client.get("/staff/accounts", {"page": "2"}).content.decode()
    assert _rows(second) == [f"cust{n:03}" for n in range(ACCOUNTS_PER_PAGE - 1, 60)]


def test_the_account_list_finds_accounts_by_name_or_display_name(staff_client: Client, cli_actor: Actor) -> None:
    _accounts(cli_actor, 60)
    assert _rows(staff_client.get("/staff/accounts", {"q": "CUST05"}).content.decode()) == [
        f"cust{n:03}" for n in range(50, 60)
    ]
    assert _rows(staff_client.get("/staff/accounts", {"q": "Customer 7 "}).content.decode()) == ["cust007"]
    assert "No account matches." in staff_client.get("/staff/accounts", {"q": "initech"}).content.decode()


def test_the_account_list_refuses_a_parameter_it_does_not_know(staff_client: Client, account: Account) -> None:
    response = staff_client.get("/staff/accounts", {"sort": "zones"})
    assert response.status_code == 400
    assert "Unknown parameter: sort." in response.content.decode()
    assert _rows(response.content.decode()) == []
