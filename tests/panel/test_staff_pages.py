"""Staff pages at provider size: the account list a page at a time with capped zone and prefix lists, and the same
number of queries for 3 accounts as for 60."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import account_create
from ipam.models import Pool
from ipam.services import prefix_allocate
from panel.selectors import ACCOUNTS_PER_PAGE, NAMES_SHOWN
from zones.services import zone_create


def _accounts(actor: Actor, count: int) -> list[Account]:
    return [account_create(name=f"cust{n:03}", display_name=f"Customer {n} Ltd", actor=actor) for n in range(count)]


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


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
    assert cells.count("<code>2001:db8:") == NAMES_SHOWN
    assert "alice" in cells
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
