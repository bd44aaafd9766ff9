"""The per-zone REST rate counts only requests that were allowed to touch the zone (finding 5 of issue 11)."""

from __future__ import annotations

import pytest

from zones.api.throttling import ZoneThrottle

R = "/dns/v2/zones/example.com/records"


@pytest.fixture(autouse=True)
def _zone_rate(monkeypatch) -> None:
    monkeypatch.setattr(ZoneThrottle, "THROTTLE_RATES", {"zone": "10/min"})


def test_another_accounts_requests_for_a_zone_never_throttle_its_owner(api_as, make_key, zone, other_account):
    stranger = api_as(make_key(other_account), "198.51.100.66")
    assert [stranger.get(R).status for _ in range(12)] == [404] * 12
    owner = api_as(make_key(), "192.0.2.10")
    assert owner.get(R).status == 200


def test_a_key_limited_to_other_zones_does_not_count_against_this_one(api_as, make_key, zone):
    elsewhere = api_as(make_key(zones=["example.net"]), "198.51.100.67")
    assert [elsewhere.get(R).status for _ in range(12)] == [404] * 12
    assert api_as(make_key()).get(R).status == 200


def test_the_zones_own_keys_share_its_rate(api_as, make_key, zone):
    first, second = api_as(make_key()), api_as(make_key(), "192.0.2.99")
    statuses = [first.get(R).status for _ in range(5)] + [second.get(R).status for _ in range(6)]
    assert statuses == [200] * 10 + [429]
