"""The zone page's DNSSEC tab: the customer turns signing on and off and finds the DS to copy for the registrar."""

from __future__ import annotations

import pytest

from accounts.models import SecurityEvent
from zones.models import Nameserver, ZoneDnssec

pytestmark = pytest.mark.django_db

DNSKEY = "257 3 13 +dbmCAgffjW5VBWgc7nr+2s3+dXxORpjMSCjg1Heaq7bEgGiVrvfRrDfWRaK8P9kaMJ6Pd7nrrrmX1wbNSs0MQ=="


@pytest.fixture
def signer(db) -> Nameserver:
    return Nameserver.objects.create(
        name="hidden-primary", address="127.0.0.1", port=9, kind=Nameserver.Kind.BIND, tsig_name="k",
        tsig_secret="c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", zone_directory="/nonexistent", control="/nonexistent/rndc.conf",
    )  # fmt: skip


def test_the_customer_turns_dnssec_on_and_off_on_the_zone_page(customer_client, zone, signer):
    page = customer_client.get("/zones/example.com/dnssec")
    assert page.status_code == 200
    assert b'data-testid="dnssec-state">unsigned' in page.content
    response = customer_client.post("/zones/example.com/dnssec", {"enabled": "1"})
    assert response.status_code == 302
    assert ZoneDnssec.objects.get(zone=zone).state == ZoneDnssec.State.SIGNING
    assert SecurityEvent.objects.get(action=SecurityEvent.Action.DNSSEC_ENABLED).interface == "panel"
    customer_client.post("/zones/example.com/dnssec", {"enabled": "0"})
    assert ZoneDnssec.objects.get(zone=zone).state == ZoneDnssec.State.REMOVING


def test_the_ds_and_dnskey_are_shown_ready_to_copy(customer_client, zone):
    ZoneDnssec.objects.create(zone=zone, state=ZoneDnssec.State.WAITING_DS, keys=[DNSKEY])
    page = customer_client.get("/zones/example.com/dnssec").content.decode()
    assert "waiting for DS" in page
    assert 'data-testid="ds">example.com. IN DS ' in page
    assert " 13 2 " in page
    assert " 13 4 " in page
    assert "IN DNSKEY 257 3 13" in page
    assert "data-copy" in page


def test_another_accounts_zone_has_no_dnssec_page(other_customer, client, zone):
    client.force_login(other_customer)
    assert client.get("/zones/example.com/dnssec").status_code == 404
    assert client.post("/zones/example.com/dnssec", {"enabled": "1"}).status_code == 404
    assert not ZoneDnssec.objects.exists()
