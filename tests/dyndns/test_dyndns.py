"""The dyndns2 protocol at /nic/update: one reply line per host, always HTTP 200."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from accounts.services import Scope, apikey_create, token_issue
from zones.dyndns.services import dyndns_password_set
from zones.models import Change
from zones.selectors import zone_records
from zones.services import Add, zone_apply, zone_create


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def credentials(account, cli_actor):
    key, secret = apikey_create(account=account, scope=Scope(), actor=cli_actor)
    return key.key_id, secret


@pytest.fixture
def update(client: Client, credentials, zone):
    def get(query: str, remote_addr: str = "192.0.2.50", auth: str | None = None, path: str = "/nic/update", **extra):
        headers = {"HTTP_AUTHORIZATION": auth if auth is not None else basic(*credentials), **extra}
        if auth == "":
            headers.pop("HTTP_AUTHORIZATION")
        response = client.get(f"{path}?{query}", REMOTE_ADDR=remote_addr, **headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        return response.content.decode()

    return get


def addresses(zone, host):
    return sorted((r.type, r.content) for r in zone_records(zone=zone) if r.name == host)


def test_two_hosts_in_one_request_get_one_line_each_in_order(update, zone):
    assert update("hostname=a.example.com,b.example.com&myip=192.0.2.55") == "good 192.0.2.55\ngood 192.0.2.55\n"
    assert addresses(zone, "a") == addresses(zone, "b") == [("A", "192.0.2.55")]


def test_the_same_address_again_is_nochg_and_writes_nothing(update, zone):
    update("hostname=a.example.com&myip=192.0.2.55")
    changes = Change.objects.count()
    assert update("hostname=a.example.com&myip=192.0.2.55") == "nochg 192.0.2.55\n"
    assert Change.objects.count() == changes


def test_new_records_get_the_short_dynamic_ttl(update, zone, settings):
    update("hostname=a.example.com&myip=192.0.2.55")
    assert {r.ttl for r in zone_records(zone=zone) if r.name == "a"} == {settings.DYNDNS_TTL}


def test_without_an_address_the_connections_address_is_used_for_its_family(update, zone):
    assert update("hostname=a.example.com", remote_addr="198.51.100.1") == "good 198.51.100.1\n"
    assert update("hostname=a.example.com", remote_addr="2001:db8::1") == "good 2001:db8::1\n"
    assert addresses(zone, "a") == [("A", "198.51.100.1"), ("AAAA", "2001:db8::1")]


def test_comma_lists_of_both_families_set_both(update, zone):
    reply = update("hostname=a.example.com&myip=192.0.2.1,2001:db8::1&myipv4=192.0.2.2")
    assert reply == "good 192.0.2.1,192.0.2.2,2001:db8::1\n"
    assert addresses(zone, "a") == [("A", "192.0.2.1"), ("A", "192.0.2.2"), ("AAAA", "2001:db8::1")]


def test_an_empty_family_value_deletes_it_and_preserve_keeps_it(update, zone):
    update("hostname=a.example.com&myipv4=192.0.2.1&myipv6=2001:db8::1")
    assert update("hostname=a.example.com&myipv4=preserve&myipv6=") == "good\n"
    assert addresses(zone, "a") == [("A", "192.0.2.1")]


def test_an_ipv6_prefix_rewrites_only_the_network_bits(update, zone, cli_actor):
    zone_apply(
        zone=zone,
        changes=[
            Add("a", "AAAA", "2001:db8:1:0:1:2:3:4"),
            Add("a", "AAAA", "2001:db8:1:5::9"),
            Add("a", "A", "192.0.2.1"),
        ],
        actor=cli_actor,
    )
    assert update("hostname=a.example.com&myipv6=2001:db8:abcd::/48&myipv4=preserve").startswith("good ")
    assert addresses(zone, "a") == [
        ("A", "192.0.2.1"),
        ("AAAA", "2001:db8:abcd:0:1:2:3:4"),
        ("AAAA", "2001:db8:abcd:5::9"),
    ]


def test_the_ipv6_alias_and_ip_alias_are_understood(update, zone):
    update("hostname=a.example.com&ip=192.0.2.7&ipv6=2001:db8::7")
    assert addresses(zone, "a") == [("A", "192.0.2.7"), ("AAAA", "2001:db8::7")]


def test_wrong_credentials_are_badauth_for_every_host(update, credentials):
    assert update("hostname=a.example.com,b.example.com", auth=basic(credentials[0], "wrong")) == "badauth\nbadauth\n"
    assert update("hostname=a.example.com", auth="") == "badauth\n"


def test_a_client_that_keeps_failing_gets_abuse(update, credentials, settings):
    settings.DYNDNS_FAILURES_PER_CLIENT = 3
    replies = [update("hostname=a.example.com", auth=basic(credentials[0], "wrong")) for _ in range(4)]
    assert replies == ["badauth\n"] * 3 + ["abuse\n"]


def test_a_host_updated_too_often_gets_abuse(update, settings):
    settings.DYNDNS_UPDATES_PER_HOST = 2
    replies = [update(f"hostname=a.example.com&myip=192.0.2.{i}") for i in range(1, 4)]
    assert replies[-1] == "abuse\n"
    assert update("hostname=b.example.com&myip=192.0.2.1") == "good 192.0.2.1\n"


def test_unknown_and_foreign_hosts_are_nohost_and_bad_names_notfqdn(update, other_account, cli_actor):
    zone_create(name="example.net", account=other_account, actor=cli_actor)
    assert update("hostname=a.example.org,a.example.net,nodot,a.example.com&myip=192.0.2.1") == (
        "nohost\nnohost\nnotfqdn\ngood 192.0.2.1\n"
    )
    assert update("myip=192.0.2.1") == "notfqdn\n"


def test_an_invalid_address_is_911(update):
    assert update("hostname=a.example.com&myip=not-an-ip") == "911\n"
    assert update("hostname=a.example.com&myipv4=2001:db8::1") == "911\n"


def test_a_key_restricted_to_a_host_updates_only_that_host(update, account, cli_actor):
    key, secret = apikey_create(
        account=account, scope=Scope(hosts=("home",), record_types=("A", "AAAA")), actor=cli_actor
    )
    auth = basic(key.key_id, secret)
    assert update("hostname=home.example.com,www.example.com&myip=192.0.2.1", auth=auth) == "good 192.0.2.1\nnohost\n"


def test_a_read_only_key_is_badauth(update, account, cli_actor):
    key, secret = apikey_create(account=account, scope=Scope(read_only=True), actor=cli_actor)
    assert update("hostname=home.example.com&myip=192.0.2.1", auth=basic(key.key_id, secret)) == "badauth\n"


def test_a_per_host_password_updates_that_host_only(update, zone, cli_actor):
    password = dyndns_password_set(zone=zone, host="home", actor=cli_actor)
    auth = basic("home.example.com", password)
    assert update("hostname=home.example.com,www.example.com&myip=192.0.2.1", auth=auth) == "good 192.0.2.1\nnohost\n"
    assert update("hostname=home.example.com", auth=basic("home.example.com", "wrong")) == "badauth\n"
    change = Change.objects.filter(zone=zone).latest("version")
    assert (change.interface, change.actor) == ("dyndns", "Dynamic DNS password of home")


def test_query_credentials_and_bearer_tokens_work(update, credentials, zone):
    key_id, secret = credentials
    assert update(f"hostname=a.example.com&myip=192.0.2.1&user={key_id}&pass={secret}", auth="") == "good 192.0.2.1\n"
    key = zone.account.api_keys.get(key_id=key_id)
    token, _ = token_issue(key=key)
    assert update("hostname=a.example.com&myip=192.0.2.2", auth=f"Bearer {token}") == "good 192.0.2.2\n"


def test_update_is_also_served_at_slash_update(update):
    assert update("hostname=a.example.com&myip=192.0.2.1", path="/update") == "good 192.0.2.1\n"


def test_only_a_trusted_proxy_sets_the_forwarded_address(update, zone, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert update("hostname=a.example.com", remote_addr="10.1.1.1", **forwarded) == "good 203.0.113.9\n"
    assert update("hostname=b.example.com", remote_addr="198.51.100.1", **forwarded) == "good 198.51.100.1\n"


def test_checkip_returns_the_callers_address(client, settings):
    response = client.get("/checkip", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    assert "Current IP Address: 198.51.100.4" in response.content.decode()


def test_the_journal_names_the_key_and_the_dyndns_interface(update, zone, credentials):
    update("hostname=a.example.com&myip=192.0.2.1", remote_addr="198.51.100.8")
    change = Change.objects.filter(zone=zone).latest("version")
    assert (change.interface, change.actor, change.client_address) == (
        "dyndns",
        f"API key {credentials[0]}",
        "198.51.100.8",
    )


# --- what the protocol defines and this service does not do -------------------------------------------------------


@pytest.mark.parametrize("path", ["/nic/update", "/update"])
def test_a_parameter_dyndns2_does_not_define_is_a_400_badagent_and_changes_nothing(client, credentials, zone, path):
    changes = Change.objects.count()
    for query in ("hostname=a.example.com&myip=192.0.2.55&ttl=60", "hostname=a.example.com&hostnames=b.example.com"):
        response = client.get(f"{path}?{query}", HTTP_AUTHORIZATION=basic(*credentials), REMOTE_ADDR="192.0.2.50")
        assert response.status_code == 400
        assert response.content == b"badagent\n"
    assert Change.objects.count() == changes
    assert addresses(zone, "a") == []


def test_a_parameter_in_a_post_body_is_held_to_the_same_list(client, credentials, zone):
    body = {"hostname": "a.example.com", "myip": "192.0.2.55", "record_type": "AAAA"}
    response = client.post("/nic/update", body, HTTP_AUTHORIZATION=basic(*credentials), REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 400
    assert response.content == b"badagent\n"
    assert addresses(zone, "a") == []


@pytest.mark.parametrize(
    "option", ["wildcard=ON", "mx=mail.example.net", "mx=mail.example.net&backmx=YES", "backmx=YES", "offline=YES"]
)
def test_an_option_this_service_does_not_provide_is_donator_for_every_host_and_changes_nothing(update, zone, option):
    reply = update(f"hostname=a.example.com,b.example.com&myip=192.0.2.55&{option}")
    assert reply == "!donator\n!donator\n"
    assert addresses(zone, "a") == addresses(zone, "b") == []


def test_an_unknown_system_is_badsys(update, zone):
    assert update("system=dynamic&hostname=a.example.com&myip=192.0.2.55") == "badsys\n"
    assert addresses(zone, "a") == []


@pytest.mark.parametrize(
    "options",
    [
        "system=dyndns",
        "system=statdns",
        "system=custom&wildcard=OFF",
        "wildcard=NOCHG&mx=&backmx=NO&offline=NO",
        "system=dyndns&myip=192.0.2.55&wildcard=off",  # myip twice: the last is used, as Django reads a query string
    ],
)
def test_the_protocol_s_options_asking_for_nothing_are_accepted(update, zone, options):
    assert update(f"hostname=a.example.com&myip=192.0.2.55&{options}") == "good 192.0.2.55\n"
    assert addresses(zone, "a") == [("A", "192.0.2.55")]
