"""Fixtures for the panel: people (a customer, another customer, staff), signed-in clients, a pool, a reverse zone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.actors import Actor
from accounts.models import Account
from accounts.services import account_create
from ipam.models import Allocation, Pool
from ipam.services import pool_create, prefix_allocate
from tests.sessions import sign_in_verified
from zones.models import Zone
from zones.services import zone_create

PASSWORD = "a long test password"


def _user(username: str, account: Account | None = None, **extra: object) -> User:
    user = User.objects.create_user(username, f"{username}@example.net", PASSWORD, **extra)
    if account is not None:
        account.members.add(user)
    return user


@pytest.fixture
def customer(account: Account) -> User:
    return _user("alice", account)


@pytest.fixture
def other_customer(other_account: Account) -> User:
    return _user("mallory", other_account)


@pytest.fixture
def staff(db) -> User:
    return _user("sam", is_staff=True)


@pytest.fixture
def customer_client(customer: User) -> Client:
    client = Client()
    client.force_login(customer)
    return client


@pytest.fixture
def other_client(other_customer: User) -> Client:
    client = Client()
    client.force_login(other_customer)
    return client


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    sign_in_verified(client, staff)
    return client


@pytest.fixture
def pool6(db, cli_actor: Actor) -> Pool:
    return pool_create(prefix="2001:db8::/32", default_length=48, allowed_lengths=[48, 56, 64], actor=cli_actor)


@pytest.fixture
def reverse_zone(account: Account, cli_actor: Actor) -> Zone:
    """The provider's reverse zone for the pool (held by a provider account, not by the customer)."""
    provider = account_create(name="provider", actor=cli_actor)
    return zone_create(name="8.b.d.0.1.0.0.2.ip6.arpa", account=provider, actor=cli_actor, allow_reserved=True)


@pytest.fixture
def allocation(pool6: Pool, account: Account, cli_actor: Actor, reverse_zone: Zone) -> Allocation:
    return prefix_allocate(pool=pool6, account=account, length=48, description="rack 4", actor=cli_actor)
