"""Zone transfers to real servers: a customer's own secondary (a second BIND with the generated key, configured from
its snippet) behind BIND and behind Knot as the hidden primary, and a BIND that is only a catalog consumer."""

from __future__ import annotations

import io
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.xfr
import dns.zone
import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.actors import Actor
from accounts.models import Account
from tests.push.servers import Nameserver as Server
from tests.push.servers import bind_secondary, free_port
from zones import catalog
from zones.models import Nameserver, Secondary, Zone
from zones.push import control
from zones.secondaries import SecondaryAdded, config_snippets, secondary_add, secondary_remove
from zones.services import Add, zone_apply, zone_create, zone_delete

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG = "catalog.ctrlpanel.test"


def wait_for(condition: Callable[[], bool], seconds: float) -> float:
    """Poll `condition` until it holds; the seconds it took. Fails the test after `seconds`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            pytest.fail(f"not within {seconds} s")
        time.sleep(0.02)
    return time.monotonic() - start


def served_serial(server: Server, zone: str) -> int | None:
    try:
        return server.soa_serial(zone)
    except (OSError, EOFError, dns.exception.DNSException):
        return None


def soa_rcode(port: int, name: str) -> dns.rcode.Rcode | None:
    """The rcode of an SOA query to the server on `port`; None when it does not answer."""
    try:
        response = dns.query.tcp(dns.message.make_query(name, "SOA"), "127.0.0.1", port=port, timeout=2)
    except (OSError, EOFError, dns.exception.DNSException):
        return None
    return response.rcode()


def axfr_with_key(server: Server, zone: str, key_name: str, secret: str) -> int:
    """Transfer the zone from the primary as the secondary would; the number of RRsets."""
    target = dns.zone.Zone(zone + ".", relativize=False)
    query, _ = dns.xfr.make_query(target, keyring=dns.tsig.Key(key_name, secret, "hmac-sha256"))
    dns.query.inbound_xfr("127.0.0.1", target, query=query, port=server.port, timeout=3, lifetime=10)
    return len(list(target.iterate_rdatasets()))


@pytest.fixture
def customer_secondary(tmp_path: Path) -> Iterator[Callable[[SecondaryAdded], Server]]:
    started: list[Server] = []

    def start(added: SecondaryAdded) -> Server:
        snippet = config_snippets(secondary=added.secondary, secret=added.secret)["bind"]
        server = bind_secondary(tmp_path / f"secondary-{len(started)}", added.secondary.port, snippet)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@override_settings(SECONDARY_ALLOWED_NETWORKS=["127.0.0.1/32"])
@pytest.mark.usefixtures("nameserver")
def test_a_customer_secondary_transfers_the_zone_hears_of_a_replace_within_2_s_and_is_refused_after_removal(
    server: Server, zone: Zone, legacy, customer_secondary, cli_actor: Actor
) -> None:
    added = secondary_add(zone=zone, address="127.0.0.1", port=free_port(), label="backup", actor=cli_actor)
    secondary = customer_secondary(added)
    wait_for(lambda: served_serial(secondary, "example.com") == Zone.objects.get(pk=zone.pk).serial, 5)

    status, body = legacy("REPLACE www 300 A 192.0.2.10")
    assert (status, body) == (200, "REPLACE www 300 A 192.0.2.10\n")
    took = wait_for(lambda: secondary.answer("www.example.com.", "A") == ["192.0.2.10"], 2)
    print(f"{server.kind} primary: the secondary served the change {took:.3f} s after the API answered")

    assert axfr_with_key(server, "example.com", added.secondary.tsig_name, added.secret) >= 3
    secondary_remove(secondary=added.secondary, actor=cli_actor)
    with pytest.raises((dns.xfr.TransferError, dns.tsig.PeerError, dns.exception.DNSException)):
        axfr_with_key(server, "example.com", added.secondary.tsig_name, added.secret)


@override_settings(SECONDARY_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_two_secondaries_keep_their_own_keys_and_removing_one_leaves_the_other(
    nameserver: Nameserver, server: Server, zone: Zone, cli_actor: Actor
) -> None:
    first = secondary_add(zone=zone, address="127.0.0.1", port=free_port(), actor=cli_actor)
    second = secondary_add(zone=zone, address="127.0.0.1", port=free_port(), actor=cli_actor)
    secondary_remove(secondary=first.secondary, actor=cli_actor)

    assert (
        axfr_with_key(server, "example.com", second.secondary.tsig_name, second.secret) >= 2
    )  # the SOA and the apex NS at least
    with pytest.raises((dns.xfr.TransferError, dns.tsig.PeerError, dns.exception.DNSException)):
        axfr_with_key(server, "example.com", first.secondary.tsig_name, first.secret)


def consumer_config(primary: Server, key: str) -> tuple[str, str]:
    """A BIND that knows nothing but the catalog: its zones and options statements."""
    with_key = f' key "{key}"' if key else ""
    declared = f'key "{key}" {{ algorithm hmac-sha256; secret "{primary.secret}"; }};\n' if key else ""
    source = f"127.0.0.1 port {primary.port}{with_key};"
    zones = f'{declared}zone "{CATALOG}" {{ type secondary; file "catalog.db"; primaries {{ {source} }}; }};'
    # min-update-interval: BIND waits 5 s between catalog updates by default.
    options = (
        f'catalog-zones {{ zone "{CATALOG}" default-primaries {{ {source} }} in-memory yes min-update-interval 1; }};'
    )
    return zones, options


# The public secondaries transfer by address, or with a key the primary's configuration declares (the push key here).
@pytest.mark.usefixtures("nameserver")
@pytest.mark.parametrize("key", ["", "ctrlpanel-push"], ids=["by-address", "with-key"])
def test_a_catalog_consumer_serves_a_new_zone_within_5_s_follows_its_changes_and_drops_it_when_deleted(
    server: Server, account: Account, cli_actor: Actor, tmp_path: Path, key: str
) -> None:
    port = free_port()
    with override_settings(CATALOG_ZONE=CATALOG, CATALOG_SECONDARIES=[f"127.0.0.1#{port}"], CATALOG_TSIG_KEY=key):
        catalog.catalog_zone()
        zones, options = consumer_config(server, key)
        consumer = bind_secondary(tmp_path / "consumer", port, zones, options=options)
        consumer.start()
        try:
            wait_for(lambda: served_serial(consumer, CATALOG) is not None, 5)

            zone = zone_create(name="shop.example", account=account, actor=cli_actor)
            took = wait_for(lambda: served_serial(consumer, "shop.example") == zone.serial, 5)
            print(f"{server.kind} primary: the consumer served the new zone after {took:.3f} s")

            zone_apply(zone=zone, changes=[Add(name="www", type="A", content="192.0.2.20")], actor=cli_actor)
            wait_for(lambda: consumer.answer("www.shop.example.", "A") == ["192.0.2.20"], 5)

            zone_delete(zone=zone, actor=cli_actor)
            # Wait for the consumer to refuse the zone (it no longer serves it), not for a failed SOA query: a query
            # can also fail while the consumer reloads its catalog with the zone still in it.
            wait_for(lambda: soa_rcode(port, "shop.example.") == dns.rcode.REFUSED, 8)
        finally:
            consumer.stop()


@override_settings(SECONDARY_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_the_commands_add_a_secondary_report_its_serial_and_whether_it_is_current_and_remove_it(
    nameserver: Nameserver, server: Server, zone: Zone, tmp_path: Path
) -> None:
    port = free_port()
    out = io.StringIO()
    call_command("zone_secondary_add", "example.com", "--address", "127.0.0.1", "--port", str(port), stdout=out)
    row = Secondary.objects.get(zone=zone)
    assert out.getvalue().count(row.tsig_secret) == 5  # the key line and the four snippets: this once
    secondary = bind_secondary(
        tmp_path / "secondary", port, config_snippets(secondary=row, secret=row.tsig_secret)["bind"]
    )
    secondary.start()
    try:
        serial = Zone.objects.get(pk=zone.pk).serial
        wait_for(lambda: served_serial(secondary, "example.com") == serial, 5)
        report = io.StringIO()
        call_command("zone_secondaries", "example.com", stdout=report)
        assert f"127.0.0.1#{port}\t-\t{row.tsig_name}\tserial {serial} (primary {serial})\tcurrent" in report.getvalue()
    finally:
        secondary.stop()
    report = io.StringIO()
    call_command("zone_secondaries", "example.com", stdout=report)
    assert "\tunknown\t" in report.getvalue()
    assert "no answer" in report.getvalue()

    out = io.StringIO()
    call_command("zone_secondary_remove", "example.com", "--address", "127.0.0.1", "--port", str(port), stdout=out)
    assert out.getvalue() == f"secondary 127.0.0.1#{port} of example.com removed\n"
    assert not Secondary.objects.exists()


def server_zone_config(server: Server, zone: str) -> str:
    """The zone's configuration as the server has it: BIND's zone statement, Knot's zone items."""
    if server.kind == "bind":
        command = ["rndc", "-c", server.control, "showzone", zone]
    else:
        command = ["knotc", "-s", server.control, "conf-read", f"zone[{zone}]"]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=10).stdout  # noqa: S603


@pytest.mark.usefixtures("nameserver")
def test_zones_transfers_writes_a_changed_list_of_public_secondaries_to_every_zone(server: Server, zone: Zone) -> None:
    assert "192.0.2.99" not in server_zone_config(server, "example.com")
    with override_settings(CATALOG_SECONDARIES=["192.0.2.99#5300"]):
        out = io.StringIO()
        call_command("zones_transfers", stdout=out)
    assert out.getvalue() == "1 zones configured, 0 failed\n"
    config = server_zone_config(server, "example.com")
    if server.kind == "bind":
        assert "192.0.2.99 port 5300;" in config
        assert "notify explicit;" in config
    else:
        assert "ctrlpanel-public-0" in config


@pytest.mark.parametrize("server", ["bind"], indirect=True)
def test_configuring_transfers_keeps_the_signing_a_bind_zone_has(
    nameserver: Nameserver, server: Server, zone: Zone, cli_actor: Actor
) -> None:
    # rndc modzone replaces the whole zone statement: the secondaries' options must not drop the dnssec-policy.
    control.zone_signing_set(nameserver, "example.com", "ctrlpanel")
    with override_settings(SECONDARY_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        added = secondary_add(zone=zone, address="127.0.0.1", port=free_port(), actor=cli_actor)
    config = server_zone_config(server, "example.com")
    assert 'dnssec-policy "ctrlpanel";' in config
    assert f'key "{added.secondary.tsig_name}";' in config
    # and the other way round: a DNSSEC switch composes the secondaries' options too.
    control.zone_signing_set(nameserver, "example.com", "insecure")
    config = server_zone_config(server, "example.com")
    assert 'dnssec-policy "insecure";' in config
    assert f'key "{added.secondary.tsig_name}";' in config
