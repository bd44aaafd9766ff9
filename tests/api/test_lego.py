"""lego (Debian's `lego`, its `mythicbeasts` provider) obtains a certificate from pebble through the REST API.

End to end: lego logs in at POST /login, adds the `_acme-challenge` TXT record through /dns/v2, the commit pushes it
to a real BIND (in-process: no broker), pebble validates the DNS-01 challenge by asking that BIND, and lego deletes
the record again. lego finds the zone apex with SOA queries to the same BIND (`--dns.resolvers`); its check that
every authoritative server of the zone has the record is off (`--dns.disable-cp`): it would query the NS names of
the zone on port 53, which do not lead here.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.actors import Actor, Interface
from accounts.services import Scope, account_create, apikey_create
from tests.push.conftest import forget_zones, register
from tests.push.servers import Nameserver as Server
from tests.push.servers import bind_server, free_port
from zones.models import Change, Nameserver, Zone
from zones.services import zone_create

DOMAIN = "www.example.com"
CHALLENGE_HOST = "_acme-challenge.www"
READY_TIMEOUT = 15.0
LEGO_TIMEOUT = 60


@dataclass
class Pebble:
    directory_url: str
    ca_certificate: Path  # the certificate pebble's HTTPS listener presents (self-signed)
    process: subprocess.Popen[bytes]


def make_tls_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: pebble serves ACME over HTTPS only, and lego must trust it."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "2", "-subj", "/CN=pebble test listener", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=30)  # noqa: S603
    return cert, key


def wait_for_directory(pebble: Pebble, log: Path) -> None:
    context = ssl.create_default_context(cafile=str(pebble.ca_certificate))
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if pebble.process.poll() is not None:
            raise RuntimeError(f"pebble exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(pebble.directory_url, context=context, timeout=1) as response:  # noqa: S310
                json.load(response)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pebble did not answer at {pebble.directory_url}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = bind_server(tmp_path_factory.mktemp("bind"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pebble(bind: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pebble]:
    """Pebble on free ports; it resolves the challenge records at the BIND that receives our pushes."""
    directory = tmp_path_factory.mktemp("pebble")
    cert, key = make_tls_certificate(directory)
    port = free_port()
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{port}",
            "managementListenAddress": f"127.0.0.1:{free_port()}",
            "certificate": str(cert),
            "privateKey": str(key),
            # Where pebble would connect for HTTP-01 and TLS-ALPN-01, which these tests do not use.
            "httpPort": free_port(),
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (directory / "config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PEBBLE_VA_NOSLEEP": "1",  # validate at once instead of after a random pause of up to 15 s
        "PEBBLE_WFE_NONCEREJECT": "0",  # no random badNonce rejections
        "PEBBLE_AUTHZREUSE": "0",  # every order needs its own validation
    }
    log = directory / "pebble.log"
    command = ["pebble", "-config", str(directory / "config.json"), "-dnsserver", f"127.0.0.1:{bind.port}"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    server = Pebble(f"https://127.0.0.1:{port}/dir", cert, process)
    try:
        wait_for_directory(server, log)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def nameserver(bind: Server, transactional_db: None) -> Iterator[Nameserver]:
    row = register(bind)
    yield row
    forget_zones(row)


@pytest.fixture
def zone(nameserver: Nameserver) -> Zone:
    """example.com, created after BIND was registered as its nameserver, so BIND serves it from the start."""
    actor = Actor.cli("test suite")
    account = account_create(name="acme", actor=actor)
    return zone_create(name="example.com", account=account, actor=actor)


def acme_key(zone: Zone, host: str) -> tuple[str, str]:
    """An API key of the zone's account that may only touch TXT records of `host` in the zone."""
    key, secret = apikey_create(
        account=zone.account,
        scope=Scope(zones=(zone.name,), hosts=(host,), record_types=("TXT",)),
        actor=Actor.cli("test suite"),
        label="lego",
    )
    return key.key_id, secret


Lego = Callable[[Path, str, str], str]


@pytest.fixture
def lego(live_server, pebble: Pebble, bind: Server) -> Lego:
    """Run `lego run` for www.example.com with an API key; returns "ok" or "failed", a line break, and lego's output."""

    def run(path: Path, key_id: str, secret: str) -> str:
        env = {
            **os.environ,
            "LEGO_CA_CERTIFICATES": str(pebble.ca_certificate),
            "MYTHICBEASTS_USERNAME": key_id,
            "MYTHICBEASTS_PASSWORD": secret,
            "MYTHICBEASTS_API_ENDPOINT": f"{live_server.url}/dns/v2",
            "MYTHICBEASTS_AUTH_API_ENDPOINT": f"{live_server.url}/login",
            # lego sleeps one polling interval (2 s by default) before it checks that the record is served.
            "MYTHICBEASTS_POLLING_INTERVAL": "1",
        }
        command = [
            "lego", "--server", pebble.directory_url, "--accept-tos", "--email", "t@example.com",
            "--dns", "mythicbeasts", "--dns.resolvers", f"127.0.0.1:{bind.port}", "--dns.disable-cp",
            "--domains", DOMAIN, "--path", str(path), "run",
        ]  # fmt: skip
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=LEGO_TIMEOUT, check=False)  # noqa: S603
        return ("ok\n" if result.returncode == 0 else "failed\n") + result.stdout + result.stderr

    return run


def certificate_names(path: Path) -> str:
    command = ["openssl", "x509", "-in", str(path), "-noout", "-ext", "subjectAltName"]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=30).stdout  # noqa: S603


def txt_changes(zone: Zone) -> list[Change]:
    return [
        change
        for change in Change.objects.filter(zone=zone).order_by("version")
        if any(rrset["type"] == "TXT" for rrset in change.before + change.after)
    ]


def test_lego_obtains_a_certificate_with_a_dns_01_challenge_that_pebble_validates_at_bind(lego, bind, zone, tmp_path):
    key_id, secret = acme_key(zone, "_acme-challenge.*")

    output = lego(tmp_path, key_id, secret)

    assert output.startswith("ok\n"), output
    assert "DNS:www.example.com" in certificate_names(tmp_path / "certificates" / f"{DOMAIN}.crt")
    present, cleanup = txt_changes(zone)
    for change in (present, cleanup):
        assert (change.interface, change.actor) == (Interface.API.value, f"API key {key_id}")
        assert change.client_address == "127.0.0.1"
    [added] = present.after
    assert (present.before, added["name"], added["type"]) == ([], CHALLENGE_HOST, "TXT")
    assert (cleanup.before, cleanup.after) == ([added], [])
    assert bind.answer(f"_acme-challenge.{DOMAIN}.", "TXT") == []
    assert bind.soa_serial("example.com") == Zone.objects.get(pk=zone.pk).serial


def test_lego_fails_with_a_key_restricted_to_another_host_and_changes_nothing(lego, zone, tmp_path):
    key_id, secret = acme_key(zone, "_acme-challenge.mail")
    version = Zone.objects.get(pk=zone.pk).version

    output = lego(tmp_path, key_id, secret)

    assert output.startswith("failed\n"), output
    assert "createtxtrecord: error in api: 403" in output.lower(), output  # the API refused the POST
    assert not (tmp_path / "certificates" / f"{DOMAIN}.crt").exists()
    assert Zone.objects.get(pk=zone.pk).version == version
    assert txt_changes(zone) == []


def test_pebble_refuses_the_challenge_when_the_record_never_reaches_the_nameserver_it_asks(
    lego, nameserver, zone, tmp_path
):
    # BIND keeps serving example.com as provisioned, but no push reaches it any more.
    Nameserver.objects.filter(pk=nameserver.pk).update(enabled=False)
    key_id, secret = acme_key(zone, "_acme-challenge.*")

    output = lego(tmp_path, key_id, secret)

    assert output.startswith("failed\n"), output
    # Pebble asked BIND for the TXT record and found none.
    assert "urn:ietf:params:acme:error:unauthorized" in output, output
    assert f'DNS lookup for \\"_acme-challenge.{DOMAIN}\\"' in output, output
    assert not (tmp_path / "certificates" / f"{DOMAIN}.crt").exists()
    assert len(txt_changes(zone)) == 2  # lego added the record and removed it again: the API did its part
