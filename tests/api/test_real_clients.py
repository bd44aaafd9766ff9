"""Real v2 clients against the live server: octodns-mythicbeasts 3.x and lego's mythicbeasts provider.

octodns-mythicbeasts 3.x cannot share the virtualenv with the 1.0.0 that the legacy API tests use, so it lives in its
own target directory (requirements/clients-octodns3.txt, installed by the Makefile) and runs in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from accounts.actors import Actor
from accounts.services import Scope, account_create, apikey_create
from zones.models import Zone
from zones.selectors import zone_records
from zones.services import zone_create

ROOT = Path(__file__).resolve().parents[2]
OCTODNS3 = ROOT / ".venv" / "clients" / "octodns3"

# The provider's URLs are class attributes (and a default argument of _request): a subclass points them at us.
PROVIDER = textwrap.dedent(
    """
    from octodns_mythicbeasts import MythicBeastsProvider


    class LocalMythicBeasts(MythicBeastsProvider):
        MB_API_AUTH_URL = "{base}/"
        MB_API_BASE_URL = "{base}/dns/v2/"

        def _request(self, method, path, url=MB_API_BASE_URL, **kwargs):
            return super()._request(method, path, url=url, **kwargs)
    """
)

CONFIG = textwrap.dedent(
    """
    providers:
      config:
        class: octodns.provider.yaml.YamlProvider
        directory: {directory}
      ctrlpanel:
        class: local_mb.LocalMythicBeasts
        api_key: env/MB_KEY
        api_secret: env/MB_SECRET
    zones:
      example.com.:
        sources: [config]
        targets: [ctrlpanel]
    """
)

ZONE_V1 = textwrap.dedent(
    """
    '':
      - type: MX
        values:
          - {exchange: mx1.example.net., preference: 10}
          - {exchange: mx2.example.net., preference: 20}
      - type: TXT
        value: v=spf1 -all
    _sip._tcp:
      type: SRV
      value: {port: 5060, priority: 1, target: sip.example.net., weight: 5}
    ftp:
      type: CNAME
      value: www.example.com.
    www:
      - {ttl: 300, type: A, values: [192.0.2.1, 192.0.2.2]}
      - {type: AAAA, value: 2001:db8::1}
    """
)

ZONE_V2 = textwrap.dedent(
    """
    '':
      - type: MX
        value: {exchange: mx1.example.net., preference: 10}
    _sip._tcp:
      type: SRV
      value: {port: 5060, priority: 1, target: sip.example.net., weight: 5}
    www:
      - {ttl: 600, type: A, value: 192.0.2.9}
    """
)


@pytest.fixture
def setup(transactional_db):
    actor = Actor.cli("test suite")
    account = account_create(name="acme", actor=actor)
    zone = zone_create(name="example.com", account=account, actor=actor)
    key, secret = apikey_create(account=account, scope=Scope(zones=("example.com",)), actor=actor)
    return zone, key.key_id, secret


def snapshot(zone: Zone) -> set[tuple[str, int, str, str]]:
    return {(r.name, r.ttl, r.type, r.content) for r in zone_records(zone=zone) if (r.name, r.type) != ("@", "NS")}


def octodns_sync(live_server, tmp_path: Path, key_id: str, secret: str, zone_yaml: str) -> str:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "example.com.yaml").write_text(zone_yaml)
    (tmp_path / "local_mb.py").write_text(PROVIDER.format(base=live_server.url))
    (tmp_path / "octodns.yaml").write_text(CONFIG.format(directory=tmp_path / "config"))
    env = {**os.environ, "PYTHONPATH": f"{OCTODNS3}:{tmp_path}", "MB_KEY": key_id, "MB_SECRET": secret}
    script = "from octodns.cmds.sync import main; main()"
    command = [sys.executable, "-c", script, "--config-file", str(tmp_path / "octodns.yaml"), "--doit"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_octodns_mythicbeasts_3_syncs_and_then_changes_a_zone(live_server, setup, tmp_path):
    assert (OCTODNS3 / "octodns_mythicbeasts").is_dir(), "make .venv/.installed installs requirements/clients-octodns3"
    zone, key_id, secret = setup
    octodns_sync(live_server, tmp_path, key_id, secret, ZONE_V1)
    assert snapshot(zone) == {
        ("@", 3600, "MX", "10 mx1.example.net."),
        ("@", 3600, "MX", "20 mx2.example.net."),
        ("@", 3600, "TXT", '"v=spf1 -all"'),
        ("www", 300, "A", "192.0.2.1"),
        ("www", 300, "A", "192.0.2.2"),
        ("www", 3600, "AAAA", "2001:db8::1"),
        ("_sip._tcp", 3600, "SRV", "1 5 5060 sip.example.net."),
        ("ftp", 3600, "CNAME", "www.example.com."),
    }
    octodns_sync(live_server, tmp_path, key_id, secret, ZONE_V2)
    assert snapshot(zone) == {
        ("@", 3600, "MX", "10 mx1.example.net."),
        ("www", 600, "A", "192.0.2.9"),
        ("_sip._tcp", 3600, "SRV", "1 5 5060 sip.example.net."),
    }
    version = Zone.objects.get(pk=zone.pk).version
    output = octodns_sync(live_server, tmp_path, key_id, secret, ZONE_V2)
    assert Zone.objects.get(pk=zone.pk).version == version, output  # in sync: nothing left to change
