"""A key scoped to ACME DNS-01 covers the bare domain's challenge and every name's below it in one pattern list,
made as the README says (the README's own command, run); tests/panel/test_api_keys.py has the panel's side."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import ApiKey
from tests.api.conftest import Api
from tests.apikeys import Key

ROOT = Path(__file__).resolve().parents[2]
R = "/dns/v2/zones/example.com/records"
CHALLENGES = ["_acme-challenge", "_acme-challenge.www", "_acme-challenge.a.b"]


def readme_acme_command() -> list[str]:
    """The apikey_create command of the README's ACME paragraph, as arguments."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"^\.venv/bin/python manage\.py (apikey_create .*_acme-challenge.*)$", readme, re.MULTILINE)
    assert found, "the README shows how to make a key for ACME"
    return shlex.split(found.group(1))


def challenge(host: str, rdtype: str = "TXT") -> dict[str, list[dict[str, str]]]:
    return {"records": [{"host": host, "type": rdtype, "data": "token"}]}


@pytest.fixture
def acme(api_as, zone, capsys) -> Api:
    command, *arguments = readme_acme_command()
    call_command(command, *arguments)
    printed = re.search(r"^secret: (\S+)$", capsys.readouterr().out, re.MULTILINE)
    assert printed is not None
    api: Api = api_as(Key(ApiKey.objects.get(), printed.group(1)))
    return api


@pytest.mark.parametrize("host", CHALLENGES)
def test_the_readme_acme_key_writes_the_challenge_of_the_domain_and_of_every_name_below(acme, host):
    assert acme.post(R, challenge(host)).status == 200
    assert acme.delete(f"{R}/{host}/TXT?data=token").body["records_removed"] == 1


@pytest.mark.parametrize(("host", "rdtype"), [("www", "TXT"), ("_acme-challenge", "A"), ("x_acme-challenge", "TXT")])
def test_the_readme_acme_key_writes_nothing_else(acme, host, rdtype):
    body = (
        challenge(host, rdtype) if rdtype == "TXT" else {"records": [{"host": host, "type": "A", "data": "192.0.2.1"}]}
    )
    assert acme.post(R, body).status == 403
