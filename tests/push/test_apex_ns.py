"""A BIND zone made by hand with its apex NS inside the zone (glue) meets the database's provider NS set: the first
full push used to be refused whole ("post update name server sanity check failed") and every later change stalled."""

from __future__ import annotations

import subprocess

import pytest
from django.core.management import call_command

from tests.push.conftest import forget_zones, register
from zones.models import Zone, ZoneSync
from zones.push import control
from zones.push.selectors import sync_statuses

pytestmark = pytest.mark.django_db(transaction=True)

HAND_MADE = """example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
example.com. 3600 IN NS ns1.example.com.
ns1.example.com. 3600 IN A 192.0.2.53
old.example.com. 300 IN A 192.0.2.99
"""


@pytest.fixture
def hand_made_zone(bind, transactional_db, tmp_path):
    """example.com on BIND before ctrlpanel knew the server: NS ns1.example.com. with its glue."""
    path = bind.zone_directory / "example.com.db"
    path.write_text(HAND_MADE)
    options = (
        f'{{ type primary; file "{path}"; update-policy {{ grant "ctrlpanel-push" zonesub ANY; }}; '
        'allow-transfer { key "ctrlpanel-push"; }; };'
    )
    subprocess.run(["rndc", "-c", bind.control, "addzone", "example.com", options], check=True)  # noqa: S603, S607
    return path


def test_a_hand_made_zone_with_in_zone_apex_ns_takes_the_providers_ns_and_every_later_change(
    hand_made_zone, bind, zone, legacy, cli_actor
):
    row = register(bind)
    try:
        call_command("zones_push", "example.com")
        assert bind.answer("example.com.", "NS") == ["ns1.ctrlpanel.test.", "ns2.ctrlpanel.test."]
        assert bind.answer("ns1.example.com.", "A") == []
        assert bind.answer("old.example.com.", "A") == []
        for i in range(30):
            assert legacy(f"REPLACE r{i} 60 A 192.0.2.{i}")[0] == 200
        assert [bind.answer(f"r{i}.example.com.", "A") for i in range(30)] == [[f"192.0.2.{i}"] for i in range(30)]
        call_command("zones_verify", "example.com")
        [status] = sync_statuses(zone_names=["example.com"])
        assert status.last_error == ""
        assert ZoneSync.objects.get(zone=zone, nameserver=row).version == Zone.objects.get(pk=zone.pk).version
    finally:
        forget_zones(row)
        control.zone_file_path(row, "example.com").unlink(missing_ok=True)
