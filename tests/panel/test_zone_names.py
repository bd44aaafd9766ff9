"""The panel's "Add a zone" form gets the zone name rules of zones.reserved like every other interface."""

from __future__ import annotations

from accounts.models import Account
from zones.models import Zone


def test_the_panels_add_a_zone_form_refuses_a_public_suffix(customer_client) -> None:
    response = customer_client.post("/zones/new", {"name": "co.uk", "account": Account.objects.get().pk})
    assert response.status_code == 400
    assert "public suffix" in response.content.decode()
    assert not Zone.objects.exists()
