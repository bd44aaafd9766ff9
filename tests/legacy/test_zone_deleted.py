from __future__ import annotations

from tests.deleting import deleting_after
from zones import selectors
from zones.models import Zone


def test_a_zone_deleted_before_the_change_answers_not_authenticated(zone, legacy, monkeypatch, cli_actor):
    monkeypatch.setattr(selectors, "zone_by_name", deleting_after(selectors.zone_by_name, cli_actor))
    assert legacy("REPLACE www 300 A 192.0.2.1") == (401, "ERR Not authenticated\n")
    assert not Zone.objects.filter(name="example.com").exists()
