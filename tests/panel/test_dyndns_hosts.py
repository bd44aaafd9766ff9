from __future__ import annotations

from django.test import Client

from accounts.actors import Actor
from zones.dyndns.services import dyndns_password_set
from zones.models import Zone


def test_the_credentials_page_lists_a_host_and_removes_its_password(
    customer_client: Client, zone: Zone, cli_actor: Actor
) -> None:
    dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    page = customer_client.get("/zones/example.com/credentials").content.decode()
    assert "<code>home.example.com</code>" in page
    response = customer_client.post("/zones/example.com/credentials/dyndns/delete", {"host": "home"})
    assert response.status_code == 302
    assert not zone.dyndns_hosts.exists()
    assert "<code>home.example.com</code>" not in customer_client.get("/zones/example.com/credentials").content.decode()


def test_removing_an_unknown_host_password_is_a_404(customer_client: Client, zone: Zone) -> None:
    assert customer_client.post("/zones/example.com/credentials/dyndns/delete", {"host": "nope"}).status_code == 404


def test_another_account_cannot_remove_a_host_password(other_client: Client, zone: Zone, cli_actor: Actor) -> None:
    dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    assert other_client.post("/zones/example.com/credentials/dyndns/delete", {"host": "home"}).status_code == 404
    assert zone.dyndns_hosts.filter(host="home").exists()


def test_removing_needs_a_post(customer_client: Client, zone: Zone, cli_actor: Actor) -> None:
    dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    assert customer_client.get("/zones/example.com/credentials/dyndns/delete").status_code == 405
    # With the host in the query string: a parameter no page of the panel reads from a query string (panel/query.py)
    assert customer_client.get("/zones/example.com/credentials/dyndns/delete?host=home").status_code == 400
    assert zone.dyndns_hosts.filter(host="home").exists()
