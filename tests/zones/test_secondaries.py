"""Customers' own secondaries, as the service keeps them: address rules, the per-zone maximum, keys and audit rows."""

from __future__ import annotations

import base64
import logging

import pytest
from django.test import override_settings

from accounts.actors import Actor
from accounts.models import SecurityEvent
from zones.models import Nameserver, Secondary, Zone
from zones.secondaries import SecondaryError, address_refusal, config_snippets, secondary_add, secondary_remove


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("100.64.0.1", "not globally routable"),
        ("192.0.2.1", "private"),  # TEST-NET-1: Python counts it private
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address refused, not bound)
        ("not-an-address", "is not an IP address"),
    ],
)
def test_addresses_inside_no_public_network_are_refused(db: None, address: str, reason: str) -> None:
    refusal = address_refusal(address)
    assert refusal is not None
    assert reason in refusal


def test_public_addresses_are_accepted(db: None) -> None:
    assert address_refusal("8.8.8.8") is None
    assert address_refusal("2a00:1450:4001:80b::200e") is None


@override_settings(SECONDARY_REFUSED_NETWORKS=["8.8.8.0/24"])
def test_the_providers_own_networks_and_nameservers_are_refused(db: None) -> None:
    Nameserver.objects.create(name="hidden", address="9.9.9.9", tsig_name="k", tsig_secret="c2VjcmV0")
    assert address_refusal("8.8.8.8") == "8.8.8.8 is in the provider's own network"
    assert address_refusal("9.9.9.9") == "9.9.9.9 is in the provider's own network"
    assert address_refusal("8.8.4.4") is None


@override_settings(SECONDARY_ALLOWED_NETWORKS=["127.0.0.0/8", "10.9.0.0/16"])
def test_ranges_staff_allow_are_accepted_and_nothing_beside_them(db: None) -> None:
    assert address_refusal("127.0.0.1") is None
    assert address_refusal("10.9.1.1") is None
    assert address_refusal("10.8.1.1") is not None


def test_a_refused_address_adds_nothing_and_records_nothing(zone: Zone, customer_actor: Actor) -> None:
    with pytest.raises(SecondaryError, match="private"):
        secondary_add(zone=zone, address="10.0.0.1", actor=customer_actor)
    assert not Secondary.objects.exists()
    assert not SecurityEvent.objects.filter(action=SecurityEvent.Action.SECONDARY_ADDED).exists()


@override_settings(ZONE_MAX_SECONDARIES=2)
def test_a_zone_may_have_at_most_the_configured_number_of_secondaries(zone: Zone, customer_actor: Actor) -> None:
    secondary_add(zone=zone, address="8.8.8.8", actor=customer_actor)
    secondary_add(zone=zone, address="8.8.4.4", actor=customer_actor)
    with pytest.raises(SecondaryError, match="at most 2 secondaries"):
        secondary_add(zone=zone, address="1.1.1.1", actor=customer_actor)
    assert Secondary.objects.filter(zone=zone).count() == 2


def test_the_same_address_and_port_twice_is_refused(zone: Zone, customer_actor: Actor) -> None:
    secondary_add(zone=zone, address="8.8.8.8", port=53, actor=customer_actor)
    with pytest.raises(SecondaryError, match="already"):
        secondary_add(zone=zone, address="8.8.8.8", port=53, actor=customer_actor)
    secondary_add(zone=zone, address="8.8.8.8", port=5353, actor=customer_actor)


def test_each_secondary_gets_a_key_of_its_own_with_a_32_byte_secret(zone: Zone, customer_actor: Actor) -> None:
    first = secondary_add(zone=zone, address="8.8.8.8", actor=customer_actor)
    second = secondary_add(zone=zone, address="8.8.4.4", actor=customer_actor)
    assert first.secondary.tsig_name != second.secondary.tsig_name
    assert first.secondary.tsig_name.endswith(".example.com")
    assert len(base64.b64decode(first.secret)) == 32
    assert first.secret != second.secret
    assert Secondary.objects.get(pk=first.secondary.pk).tsig_secret == first.secret  # as the server needs it


def test_adding_and_removing_write_security_log_rows_without_the_secret(
    zone: Zone, customer_actor: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    added = secondary_add(zone=zone, address="8.8.8.8", port=5300, label="office", actor=customer_actor)
    secondary_remove(secondary=added.secondary, actor=customer_actor)

    rows = SecurityEvent.objects.filter(subject="example.com").order_by("id")
    added_row, removed_row = [r for r in rows if r.action.startswith("secondary")]
    assert added_row.action == SecurityEvent.Action.SECONDARY_ADDED
    assert removed_row.action == SecurityEvent.Action.SECONDARY_REMOVED
    for row in (added_row, removed_row):
        assert row.account == zone.account
        assert (row.actor, row.interface, row.client_address) == ("customer", "panel", "192.0.2.1")
        assert row.detail == {
            "address": "8.8.8.8",
            "port": 5300,
            "label": "office",
            "tsig_name": added.secondary.tsig_name,
        }
        assert added.secret not in str(row.detail)
    assert added.secret not in caplog.text
    assert not Secondary.objects.exists()


def test_the_snippets_name_the_zone_the_key_and_the_primary_and_carry_the_secret_only_when_given(
    zone: Zone, customer_actor: Actor
) -> None:
    with override_settings(ZONE_TRANSFER_PRIMARY="203.0.113.53#5353"):
        added = secondary_add(zone=zone, address="8.8.8.8", actor=customer_actor)
        shown = config_snippets(secondary=added.secondary, secret=added.secret)
        later = config_snippets(secondary=added.secondary, secret=None)
    assert set(shown) == {"bind", "knot", "nsd", "powerdns"}
    for software, text in shown.items():
        assert "example.com" in text, software
        assert added.secondary.tsig_name in text, software
        assert "203.0.113.53" in text, software
        assert "5353" in text, software
        assert added.secret in text, software
        assert added.secret not in later[software], software
    assert 'primaries { 203.0.113.53 port 5353 key "' in shown["bind"]
    assert "request-xfr: 203.0.113.53@5353" in shown["nsd"]
