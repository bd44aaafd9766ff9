"""The staff commands: pool_create, prefix_allocate, ipam_report."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account
from ipam.models import Allocation, Event, Pool


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_pool_create_then_prefix_allocate_prints_the_block(account: Account) -> None:
    assert "pool 2001:db8::/32 created (default /48; hands out /48, /56)" in run(
        "pool_create", "2001:db8::/32", "--default-length", "48", "--lengths", "48,56", "--description", "fra1"
    )
    assert run("prefix_allocate", "2001:db8::/32", "--length", "56", "--account", "acme") == "2001:db8::/56\n"
    assert run("prefix_allocate", "2001:0db8::/32", "--account", "acme") == "2001:db8:1::/48\n"
    allocation = Allocation.objects.get(prefix="2001:db8::/56")
    assert allocation.account == account
    assert allocation.allocated_by == "staff command line"
    assert Pool.objects.get().description == "fra1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pool_create", "2001:db8::1/32", "--default-length", "48"), "host bits set"),
        (("pool_create", "2001:db8::/32", "--default-length", "16"), "not a length that fits"),
        (("pool_create", "2001:db8::/32", "--default-length", "48", "--lengths", "4x"), "numbers separated"),
        (("prefix_allocate", "2001:db9::/32", "--account", "acme"), "no pool 2001:db9::/32"),
        (("prefix_allocate", "192.0.2.0/24", "--account", "nobody"), "no account named nobody"),
        (("prefix_allocate", "192.0.2.0/24", "--account", "acme", "--length", "25"), "hands out /29, not /25"),
    ],
)
def test_bad_input_is_a_clear_error(account: Account, args: tuple[str, ...], message: str) -> None:
    run("pool_create", "192.0.2.0/24", "--default-length", "29")
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Allocation.objects.exists()


def test_an_exhausted_pool_is_a_clear_error(account: Account) -> None:
    run("pool_create", "192.0.2.0/31", "--default-length", "31")
    run("prefix_allocate", "192.0.2.0/31", "--account", "acme")
    with pytest.raises(CommandError, match="no free /31 left"):
        run("prefix_allocate", "192.0.2.0/31", "--account", "acme")


def test_overlapping_pools_are_refused(db) -> None:
    run("pool_create", "10.0.0.0/8", "--default-length", "24")
    with pytest.raises(CommandError, match=re.escape("overlaps the pool 10.0.0.0/8")):
        run("pool_create", "10.20.0.0/16", "--default-length", "24")
    assert Event.objects.filter(action="pool_create").count() == 1


def test_ipam_report_shows_each_pool_and_account(account: Account) -> None:
    run("pool_create", "192.0.2.0/24", "--default-length", "26")
    run("prefix_allocate", "192.0.2.0/24", "--account", "acme")
    report = run("ipam_report", "--accounts")
    pool_line = next(line for line in report.splitlines() if line.startswith("192.0.2.0/24"))
    assert pool_line.split()[1:4] == ["25.00%", "1", "0"]
    assert pool_line.endswith("/25")
    assert any(line.split()[:4] == ["acme", "IPv4", "1", "64"] for line in report.splitlines())
