from __future__ import annotations

from tests.deleting import deleting_after
from zones.api import selectors


def test_a_zone_deleted_before_the_change_answers_404(zone, api, monkeypatch, cli_actor):
    # The view imported zone_for_key by name: patch the name the view module holds.
    monkeypatch.setattr("zones.api.views.zone_for_key", deleting_after(selectors.zone_for_key, cli_actor))
    reply = api.put("/dns/v2/zones/example.com/records/www/A", {"records": [{"data": "192.0.2.1"}]})
    assert reply.status == 404
    assert reply.body == {"error": "no such zone"}
