"""Debian's ddclient and inadyn updating hosts through /nic/update on the live server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accounts.actors import Actor
from accounts.services import Scope, account_create, apikey_create
from zones.models import Zone
from zones.selectors import zone_records
from zones.services import zone_create


@pytest.fixture
def setup(transactional_db):
    actor = Actor.cli("test suite")
    account = account_create(name="acme", actor=actor)
    zone = zone_create(name="example.com", account=account, actor=actor)
    key, secret = apikey_create(account=account, scope=Scope(), actor=actor)
    return zone, key.key_id, secret


def addresses(zone: Zone) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in zone_records(zone=zone):
        if record.type in {"A", "AAAA"}:
            found.setdefault(record.name, []).append(record.content)
    return found


def server_of(live_server) -> str:
    # ddclient refuses a server name without a dot ("localhost:PORT"); the live server listens on the loopback.
    return f"127.0.0.1:{urlsplit(live_server.url).port}"


def run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    return result.stdout + result.stderr


def test_ddclient_updates_two_hosts_in_one_request(live_server, setup, tmp_path):
    assert shutil.which("ddclient"), "ddclient is missing: run `make test`, which installs requirements/apt.txt"
    zone, key_id, secret = setup
    config = tmp_path / "ddclient.conf"
    config.write_text(
        "daemon=0\nsyslog=no\nssl=no\nprotocol=dyndns2\nuse=ip, ip=192.0.2.55\n"
        f"server={server_of(live_server)}\nlogin={key_id}\npassword='{secret}'\n"
        "a.example.com,b.example.com\n"
    )
    config.chmod(0o600)
    command = ["ddclient", "-daemon=0", "-foreground", "-noquiet", "-verbose", "-force", "-file", str(config)]
    output = run([*command, "-cache", str(tmp_path / "cache")], tmp_path)
    assert addresses(zone) == {"a": ["192.0.2.55"], "b": ["192.0.2.55"]}, output
    assert "SUCCESS" in output, output
    assert "hostname=a.example.com,b.example.com" in output, output  # one request for both hosts


def test_inadyn_with_a_custom_block_updates_a_host(live_server, setup, tmp_path):
    assert shutil.which("inadyn"), "inadyn is missing: run `make test`, which installs requirements/apt.txt"
    zone, key_id, secret = setup
    server = server_of(live_server)
    config = tmp_path / "inadyn.conf"
    config.write_text(
        "period = 300\n"
        "custom ctrlpanel {\n"
        f'    username = "{key_id}"\n'
        f'    password = "{secret}"\n'
        "    ssl = false\n"
        f'    ddns-server = "{server}"\n'
        '    ddns-path = "/nic/update?hostname=%h&myip=%i"\n'
        f'    checkip-server = "{server}"\n'
        '    checkip-path = "/checkip"\n'
        "    checkip-ssl = false\n"
        '    hostname = "c.example.com"\n'
        "}\n"
    )
    config.chmod(0o600)
    command = ["inadyn", "--once", "--force", "--foreground", "--loglevel=debug", "--no-pidfile"]
    output = run([*command, "-f", str(config), f"--cache-dir={tmp_path}"], tmp_path)
    assert addresses(zone) == {"c": ["127.0.0.1"]}, output
