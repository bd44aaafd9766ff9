"""The zone's Secondaries page: add one (its secret and configuration shown once), see it listed, remove it."""

from __future__ import annotations

from django.test import Client

from accounts.actors import Actor
from accounts.models import SecurityEvent
from zones.models import Secondary, Zone
from zones.secondaries import secondary_add

URL = "/zones/example.com/secondaries"


def test_adding_a_secondary_shows_its_secret_and_configuration_once(customer_client: Client, zone: Zone) -> None:
    response = customer_client.post(f"{URL}/add", {"address": "8.8.8.8", "port": "53", "label": "office"})
    assert response.status_code == 200
    row = Secondary.objects.get(zone=zone)
    page = response.content.decode()
    assert page.count(row.tsig_secret) == 5  # the key line and the BIND, Knot, NSD and PowerDNS snippets
    assert response["Cache-Control"].startswith("max-age=0")

    again = customer_client.get(URL).content.decode()
    assert row.tsig_secret not in again
    assert f"<code>{row.tsig_name}</code>" in again
    assert "office" in again
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.SECONDARY_ADDED)
    assert (event.actor, event.interface) == ("alice", "panel")


def test_a_refused_address_is_shown_on_the_form_and_adds_nothing(customer_client: Client, zone: Zone) -> None:
    response = customer_client.post(f"{URL}/add", {"address": "192.168.1.1", "port": "53"})
    assert response.status_code == 400
    assert "192.168.1.1 is a private address" in response.content.decode()
    assert not Secondary.objects.exists()


def test_removing_a_secondary_redirects_and_it_is_gone(customer_client: Client, zone: Zone, cli_actor: Actor) -> None:
    added = secondary_add(zone=zone, address="8.8.8.8", actor=cli_actor)
    response = customer_client.post(f"{URL}/{added.secondary.pk}/remove")
    assert response.status_code == 302
    assert not Secondary.objects.exists()
    assert "No secondaries yet." in customer_client.get(URL).content.decode()


def test_another_account_sees_no_page_and_cannot_add_or_remove(
    other_client: Client, zone: Zone, cli_actor: Actor
) -> None:
    added = secondary_add(zone=zone, address="8.8.8.8", actor=cli_actor)
    assert other_client.get(URL).status_code == 404
    assert other_client.post(f"{URL}/add", {"address": "8.8.4.4", "port": "53"}).status_code == 404
    assert other_client.post(f"{URL}/{added.secondary.pk}/remove").status_code == 404
    assert Secondary.objects.count() == 1


def test_asking_the_secondaries_shows_an_unreachable_one_as_unknown(
    customer_client: Client, zone: Zone, cli_actor: Actor, settings
) -> None:
    settings.SECONDARY_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    secondary_add(zone=zone, address="127.0.0.1", port=9, actor=cli_actor)  # discard: nothing answers
    page = customer_client.post(f"{URL}/check").content.decode()
    assert '<span class="badge">unknown</span>' in page
    assert "no answer" in page
    assert Secondary.objects.get().checked is not None
