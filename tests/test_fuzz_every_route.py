"""No input makes a 5xx, and input that is refused changes nothing (item 3 of issue 11).

- The REST APIs (DNS v2, login, IPAM): schemathesis in negative mode (schema-violating bodies, parameters and
  headers) with every check, against the live schema; the zone's version must not move.
- Dynamic DNS (dyndns2 /nic/update, /update) and the panel's forms: hypothesis, arbitrary text in every field and
  header (non-ASCII, control characters, huge values), no 5xx, and the zone as it was.
The legacy API has its own hypothesis fuzz test (tests/legacy/test_fuzz.py). Each test prints its case count.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.actors import Actor
from accounts.services import Scope, account_create, apikey_create
from tests.sessions import sign_in_verified
from zones.api.throttling import AddressThrottle, KeyThrottle, ZoneThrottle
from zones.models import Zone
from zones.services import zone_create, zone_set_api_password

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = 200
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)
FIELD_VALUES = st.one_of(TEXT, st.sampled_from(["", "0", "-1", "@", ".", "\x00", "é" * 5000, "a" * 70_000, "[]"]))


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    for throttle, scope in ((KeyThrottle, "apikey"), (AddressThrottle, "address"), (ZoneThrottle, "zone")):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {scope: "1000000/min"})


def _cases(output: str) -> int:
    found = re.findall(r"(\d+) generated", output) or re.findall(r"Test cases:\s*(\d+)", output)
    return sum(int(n) for n in found)


def test_no_schema_violating_request_to_any_api_route_is_a_server_error_or_a_change(
    live_server, transactional_db, unthrottled
):
    actor = Actor.cli("test suite")
    account = account_create(name="acme", actor=actor)
    zone = zone_create(name="example.com", account=account, actor=actor)
    key, secret = apikey_create(account=account, scope=Scope(), actor=actor)
    auth = base64.b64encode(f"{key.key_id}:{secret}".encode()).decode()
    command = [
        str(SCHEMATHESIS), "run", f"{live_server.url}/api/schema/",
        "--include-path-regex", "^/(dns/v2/|login)",
        "--mode", "negative", "--checks", "all", "--exclude-checks", "positive_data_acceptance,use_after_free",
        "--header", f"Authorization: Basic {auth}",
        "--max-examples", "40", "--seed", "11", "--request-timeout", "20", "--phases", "examples,coverage,fuzzing",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=280, check=False)  # noqa: S603 (our own argv)
    print(f"schemathesis (negative mode, DNS v2 and login): {_cases(result.stdout)} test cases")
    assert "Server error" not in result.stdout, result.stdout[-6000:]
    zone.refresh_from_db()
    assert zone.version == 1, result.stdout[-6000:]


@pytest.fixture
def dyndns_zone(db) -> Zone:
    actor = Actor.cli("test suite")
    zone = zone_create(name="example.com", account=account_create(name="acme", actor=actor), actor=actor)
    zone_set_api_password(zone=zone, password="right password", actor=actor)
    return zone


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/nic/update", "/update", "/checkip", "/dns/v2/dynamic/home.example.com"]),
    method=st.sampled_from(["get", "post", "put"]),
    fields=st.dictionaries(st.sampled_from(["hostname", "myip", "myipv6", "user", "pass", "password", "x"]), TEXT),
    authorization=st.one_of(
        st.none(),
        TEXT,
        TEXT.map(lambda t: "Basic " + t),
        st.binary(max_size=60).map(lambda b: "Basic " + base64.b64encode(b).decode()),
    ),
)
def test_dyndns_answers_every_input_without_a_server_error_or_a_change(  # noqa: PLR0917 (hypothesis draws)
    client: Client, dyndns_zone: Zone, path, method, fields, authorization
) -> None:
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = getattr(client, method)(path, fields if method != "put" else None, **headers)
    assert response.status_code < 500
    dyndns_zone.refresh_from_db()
    assert dyndns_zone.version == 1


PANEL_FORMS = [
    ("/zones/new", ("name", "account")),
    ("/zones/example.com/add", ("name", "type", "ttl", "content")),
    ("/zones/example.com/import", ("text", "version", "preview")),
    ("/zones/example.com/credentials/api-password", ("password", "password2")),
    ("/zones/example.com/credentials/dyndns", ("host", "password")),
    ("/keys", ("account", "name", "zones", "hosts", "record_types", "networks", "read_only", "expires")),
    ("/space", ("account", "family", "length", "purpose")),
    ("/auth/login", ("username", "password", "next")),
    ("/auth/verify", ("token",)),
    ("/auth/security", ("token",)),
]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(PANEL_FORMS), data=st.data())
def test_the_panels_forms_answer_every_input_without_a_server_error(db, django_user_model, form, data) -> None:
    zone = Zone.objects.filter(name="example.com").first()
    if zone is None:
        actor = Actor.cli("test suite")
        zone = zone_create(name="example.com", account=account_create(name="acme", actor=actor), actor=actor)
        zone.account.members.add(django_user_model.objects.create_user("alice"))
    client = Client()
    sign_in_verified(client, django_user_model.objects.get(username="alice"))
    path, names = form
    fields = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(names, FIELD_VALUES)))
    version = Zone.objects.get(pk=zone.pk).version
    response = client.post(path, fields, HTTP_HX_REQUEST=data.draw(st.sampled_from(["true", "false"])))
    assert response.status_code < 500, (path, fields)
    changed = Zone.objects.get(pk=zone.pk).version != version
    assert not changed or response.status_code in {200, 302}, (path, fields)
