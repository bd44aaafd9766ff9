"""LIST: `host ttl type data ` lines, '@' first, ordered by host, type and data; showall; the empty zone."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.actors import Actor
from accounts.models import Account
from tests.legacy.conftest import NS_LINES, Api
from zones.models import Zone
from zones.services import zone_create, zone_set_api_password


def test_list_shows_every_record_in_order_with_a_trailing_space(api: Api, zone: Zone) -> None:
    api.post(
        "ADD www 300 A 192.0.2.2",
        "ADD www 300 A 192.0.2.1",
        "ADD @ 600 MX 20 mx2",
        "ADD @ 600 MX 10 mx1.example.net.",
        "ADD @ 300 TXT v=spf1 -all",
        "ADD _dmarc 300 TXT v=DMARC1; p=none",
        "ADD *.apps 300 CNAME www",
        "ADD _sip._tcp 300 SRV 0 0 0 .",
        "ADD @ 300 CAA 0 issue letsencrypt.org",
        "ADD mail 300 AAAA 2001:db8::25",
    )
    reply = api.post("LIST", showall="0")
    assert reply.status == 200
    assert reply.body == (
        "@ 300 CAA 0 issue letsencrypt.org \n"
        "@ 600 MX 10 mx1.example.net. \n"
        "@ 600 MX 20 mx2.example.com. \n" + NS_LINES + '@ 300 TXT "v=spf1 -all" \n'
        "*.apps 300 CNAME www.example.com. \n"
        '_dmarc 300 TXT "v=DMARC1; p=none" \n'
        "_sip._tcp 300 SRV 0 0 0 . \n"
        "mail 300 AAAA 2001:db8::25 \n"
        "www 300 A 192.0.2.1 \n"
        "www 300 A 192.0.2.2 \n"
    )


def test_list_shows_the_soa_by_default_and_with_showall_1(api: Api, zone: Zone) -> None:
    zone.refresh_from_db()
    soa = f"@ 3600 SOA ns1.ctrlpanel.test. hostmaster.ctrlpanel.test. {zone.serial} 10800 3600 1209600 300 \n"
    expected = NS_LINES + soa
    assert api.post("LIST").body == expected
    assert api.post("LIST", showall="1").body == expected


def test_the_soa_serial_in_list_follows_the_changes_of_the_same_request(api: Api, zone: Zone) -> None:
    zone.refresh_from_db()
    before = zone.serial
    body = api.post("ADD www 300 A 192.0.2.1", "LIST").body
    zone.refresh_from_db()
    assert zone.serial != before
    assert f" SOA ns1.ctrlpanel.test. hostmaster.ctrlpanel.test. {zone.serial} " in body


def test_list_shows_a_long_txt_as_several_quoted_strings(api: Api, zone: Zone) -> None:
    data = "p=" + "B" * 400
    api.post(f"ADD dkim 300 TXT {data}")
    assert f'dkim 300 TXT "{data[:255]}" "{data[255:]}" \n' in api.post("LIST", showall="0").body


def test_what_list_shows_can_be_sent_back_to_delete_it(api: Api, zone: Zone) -> None:
    api.post("ADD t 300 TXT hello world; v=1", "ADD @ 300 MX 10 mx", "ADD c 300 CAA 0 issue letsencrypt.org")
    lines = [line for line in api.post("LIST", showall="0").lines if " NS " not in line]
    reply = api.post(*[f"DELETE {line}" for line in lines])
    assert reply.status == 200, reply.body
    assert api.post("LIST", showall="0").body == NS_LINES


@pytest.mark.parametrize(
    ("data", "listed"),
    [
        ("0 issue letsencrypt.org", "0 issue letsencrypt.org"),
        ('128 iodef "mailto:security@example.com"', "128 iodef mailto:security@example.com"),
        ('0 issue ";"', '0 issue ";"'),
        ('0 issue "ca.example; account=1"', '0 issue "ca.example; account=1"'),
        ('0 issuewild "a;b"', '0 issuewild "a;b"'),
        ('0 tbs "say \\"hi\\""', '0 tbs "say \\"hi\\""'),
    ],
)
def test_list_shows_a_caa_value_bare_only_when_it_is_one_plain_token(
    api: Api, zone: Zone, data: str, listed: str
) -> None:
    assert api.post(f"ADD @ 300 CAA {data}").status == 200
    line = f"@ 300 CAA {listed} "
    assert line in api.post("LIST", showall="0").lines
    assert api.post(f"DELETE {line}").status == 200  # what LIST shows is accepted back


@pytest.fixture
def empty_zone(account: Account, cli_actor: Actor) -> Zone:
    """A zone with no records at all: created while the provider had no nameservers configured."""
    with override_settings(ZONE_NAMESERVERS=[]):
        empty = zone_create(name="empty.example", account=account, actor=cli_actor)
    zone_set_api_password(zone=empty, password="empty zone password", actor=cli_actor)
    return empty


def test_an_empty_zone_lists_as_an_empty_body(api: Api, empty_zone: Zone) -> None:
    reply = api.post("LIST", domain="empty.example", password="empty zone password", showall="0")
    assert (reply.status, reply.body) == (200, "")
    assert reply.response["Content-Type"] == "text/plain; charset=utf-8"


def test_list_takes_no_zone_lock_and_few_queries(api: Api, zone: Zone, django_assert_max_num_queries) -> None:
    api.post(*[f"ADD h{i} 300 A 192.0.2.{i + 1}" for i in range(50)])
    with django_assert_max_num_queries(2):  # the zone with its password, then its records
        reply = api.post("LIST", showall="0")
    assert len(reply.lines) == 52
