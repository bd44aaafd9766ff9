"""The staff command line: accounts, zones, the API password, and master-file export and import."""

from __future__ import annotations

import io
from pathlib import Path

import dns.zone
import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.actors import Actor
from accounts.models import Account
from tests.zones.conftest import RICH, records_at, zone_state
from zones import records
from zones.models import Change, Zone
from zones.services import Add, Replace, zone_apply


def run(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    if stdin is None:
        call_command(*args, stdout=out, stderr=io.StringIO())
    else:
        call_command(*args, stdout=out, stderr=io.StringIO(), stdin=io.StringIO(stdin))
    return out.getvalue()


# --- accounts and zones ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_create_and_zone_create_set_up_a_customer_zone() -> None:
    assert run("account_create", "acme") == "account acme created\n"
    assert run("zone_create", "Example.COM", "--account", "acme") == "zone example.com created for acme\n"
    zone = Zone.objects.get(name="example.com")
    assert zone.account == Account.objects.get(name="acme")
    assert records_at(zone, "@", "NS") == ["ns1.ctrlpanel.test.", "ns2.ctrlpanel.test."]


@pytest.mark.django_db
def test_account_create_refuses_a_duplicate_or_malformed_name() -> None:
    run("account_create", "acme")
    with pytest.raises(CommandError, match="exists already"):
        run("account_create", "acme")
    with pytest.raises(CommandError, match=r"slug|letters"):
        run("account_create", "not a slug")


def test_zone_create_names_an_unknown_account(db) -> None:
    with pytest.raises(CommandError, match="no account named ghost"):
        run("zone_create", "example.com", "--account", "ghost")


@pytest.mark.parametrize(("name", "reason"), [("example.com", "exists already"), ("com", "two labels")])
def test_zone_create_explains_a_refusal(zone: Zone, name: str, reason: str) -> None:
    with pytest.raises(CommandError, match=reason):
        run("zone_create", name, "--account", "acme")


def test_zone_create_refuses_another_accounts_sub_zone(zone: Zone, other_account: Account) -> None:
    with pytest.raises(CommandError, match="overlaps"):
        run("zone_create", "shop.example.com", "--account", other_account.name)


# --- the API password -----------------------------------------------------------------------------------------------


def test_zone_set_password_reads_the_password_from_standard_input(zone: Zone) -> None:
    assert run("zone_set_password", "example.com", stdin="s3cret passphrase\n") == "API password of example.com set\n"
    zone.refresh_from_db()
    assert check_password("s3cret passphrase", zone.api_password)
    assert "s3cret" not in zone.api_password


def test_zone_set_password_with_an_empty_line_turns_the_api_off(zone: Zone) -> None:
    assert run("zone_set_password", "example.com", stdin="\n") == "API password of example.com removed\n"
    zone.refresh_from_db()
    assert zone.api_password == ""


def test_zone_set_password_refuses_a_short_password_and_keeps_the_old_one(zone: Zone) -> None:
    stored = zone.api_password
    with pytest.raises(CommandError, match="at least 8"):
        run("zone_set_password", "example.com", stdin="short\n")
    zone.refresh_from_db()
    assert zone.api_password == stored


@pytest.mark.parametrize(
    "command", [("zone_set_password",), ("zone_export",), ("zone_import", "/dev/null")], ids=lambda c: c[0]
)
def test_commands_name_an_unknown_or_malformed_zone(db, command: tuple[str, ...]) -> None:
    stdin = "password1\n" if command[0] == "zone_set_password" else None
    with pytest.raises(CommandError, match=r"no zone named nowhere\.example"):
        run(command[0], "nowhere.example", *command[1:], stdin=stdin)
    with pytest.raises(CommandError, match="not a zone name"):
        run(command[0], "bad..name", *command[1:], stdin=stdin)


# --- export ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def rich_zone(zone: Zone, cli_actor: Actor) -> Zone:
    assert zone_apply(zone=zone, changes=RICH, actor=cli_actor).ok
    return zone


def test_zone_export_prints_a_master_file_that_parses_back_to_the_same_records(rich_zone: Zone) -> None:
    text = run("zone_export", "example.com")
    parsed = dns.zone.from_text(text, origin="example.com.", relativize=True)
    rdatasets = {(name.to_text(), records.type_text(r.rdtype)): r for name, r in parsed.iterate_rdatasets()}
    soa = rdatasets.pop(("@", "SOA"))
    rich_zone.refresh_from_db()
    assert soa[0].serial == rich_zone.serial
    stored = zone_state(rich_zone)
    assert set(rdatasets) == set(stored)
    for key, (ttl, contents) in stored.items():
        exported = rdatasets[key]
        assert exported.ttl == ttl
        assert sorted(r.to_text(origin=parsed.origin, relativize=False) for r in exported) == contents


def test_zone_export_starts_with_origin_ttl_and_soa(rich_zone: Zone) -> None:
    lines = run("zone_export", "example.com").splitlines()
    assert lines[0] == "$ORIGIN example.com."
    assert lines[1] == f"$TTL {rich_zone.default_ttl}"
    assert lines[2].startswith(f"@ {rich_zone.soa_ttl} IN SOA ns1.ctrlpanel.test. hostmaster.ctrlpanel.test. ")


# --- import ---------------------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "zone.txt"
    path.write_text(text)
    return str(path)


FILE = """$ORIGIN example.com.
$TTL 600
@       3600 IN SOA ns.elsewhere.test. admin.elsewhere.test. 99 1 1 1 1
@            IN NS  ns.elsewhere.test.
@            IN MX  10 mail
mail     300 IN A   192.0.2.25
www          IN CNAME mail.example.com.
txt          IN TXT "hello world" "second"
"""


def test_zone_import_makes_the_zone_the_file_except_soa_and_apex_ns(zone: Zone, tmp_path: Path) -> None:
    zone_apply(zone=zone, changes=[Add("old", "A", "192.0.2.99")], actor=Actor.cli())
    serial = Zone.objects.get(pk=zone.pk).serial
    out = run("zone_import", "example.com", write(tmp_path, FILE))
    assert out.startswith("example.com: imported; version ")
    assert zone_state(zone) == {
        ("@", "NS"): (3600, ["ns1.ctrlpanel.test.", "ns2.ctrlpanel.test."]),
        ("@", "MX"): (600, ["10 mail.example.com."]),
        ("mail", "A"): (300, ["192.0.2.25"]),
        ("www", "CNAME"): (600, ["mail.example.com."]),
        ("txt", "TXT"): (600, ['"hello world" "second"']),
    }
    zone.refresh_from_db()
    assert zone.serial > serial
    assert zone.serial != 99
    assert Change.objects.filter(zone=zone).first().interface == "cli"  # type: ignore[union-attr]


def test_zone_import_reads_standard_input_for_a_dash(zone: Zone) -> None:
    run("zone_import", "example.com", "-", stdin=FILE)
    assert records_at(zone, "mail", "A") == ["192.0.2.25"]


def test_export_then_import_changes_nothing(rich_zone: Zone, tmp_path: Path) -> None:
    text = run("zone_export", "example.com")
    before = (Zone.objects.get(pk=rich_zone.pk).version, Change.objects.count(), zone_state(rich_zone))
    assert (
        run("zone_import", "example.com", write(tmp_path, text))
        == "example.com: already as in the file; nothing changed\n"
    )
    assert (Zone.objects.get(pk=rich_zone.pk).version, Change.objects.count(), zone_state(rich_zone)) == before


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ("-bad IN A 192.0.2.1", r"-bad A: label '-bad' may hold only"),
        ("sub IN DS 1 13 2 abcd", r"does not parse: .*digest length"),
        ("www.example.org. IN A 192.0.2.1", r"www\.example\.org\. A: .* is not inside the zone"),
        ("big IN TXT " + '"x" ' * 700, r"big TXT: record data longer than"),
        ("www IN SSHFP 1 1 abcd", r"does not parse"),
        ("mail IN CNAME x.example.net.", r"does not parse: .*CNAME"),
        ("@ IN DS 12345 13 2 " + "ab" * 32, r"@ DS: a DS record cannot be at the zone apex"),
    ],
)
def test_a_file_with_one_bad_record_imports_nothing(zone: Zone, tmp_path: Path, bad_line: str, reason: str) -> None:
    zone_apply(zone=zone, changes=[Replace("keep", "A", ("192.0.2.1",))], actor=Actor.cli())
    before = (Zone.objects.get(pk=zone.pk).version, zone_state(zone), Change.objects.count())
    with pytest.raises(CommandError, match=reason):
        run("zone_import", "example.com", write(tmp_path, FILE + bad_line + "\n"))
    assert (Zone.objects.get(pk=zone.pk).version, zone_state(zone), Change.objects.count()) == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("www IN A 192.0.2.300\n", "does not parse"),
        ("www IN BOGUS x\n", "does not parse"),
        ("www IN HINFO cpu os\n", "www HINFO: unsupported record type"),
        ("www.example.org. IN A 192.0.2.1\n", "not inside the zone"),
        ("@ IN CNAME elsewhere.example.net.\n", "cannot be at the zone apex"),
        ("www IN A 192.0.2.1\n$INCLUDE /etc/hostname\n", "INCLUDE' is not allowed"),
        ("www CH A 192.0.2.1\n", "class"),
        ("www 300 IN SOA a. b. 1 2 3 4 5\n", "SOA"),
        ("www IN A\n", "does not parse"),
    ],
)
def test_zone_import_explains_what_is_wrong_with_a_file(zone: Zone, tmp_path: Path, text: str, reason: str) -> None:
    before = zone_state(zone)
    with pytest.raises(CommandError, match=reason):
        run("zone_import", "example.com", write(tmp_path, "$TTL 300\n" + text))
    assert zone_state(zone) == before


def test_zone_import_names_a_file_it_cannot_read(zone: Zone, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run("zone_import", "example.com", str(tmp_path / "missing.zone"))
    (tmp_path / "binary.zone").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="cannot read"):
        run("zone_import", "example.com", str(tmp_path / "binary.zone"))


def test_zone_import_dry_run_validates_and_changes_nothing(zone: Zone, tmp_path: Path) -> None:
    before = (Zone.objects.get(pk=zone.pk).version, zone_state(zone))
    assert "dry run" in run("zone_import", "example.com", write(tmp_path, FILE), "--dry-run")
    assert (Zone.objects.get(pk=zone.pk).version, zone_state(zone)) == before
