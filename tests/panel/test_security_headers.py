"""Content-Security-Policy on every response, and HSTS whenever cookies are secure (finding 9 of issue 11)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

TEMPLATES = Path(__file__).resolve().parents[2] / "panel" / "templates"


def _directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/auth/login", "/api/docs/", "/checkip", "/customer/primarydnsapi"])
def test_every_response_allows_scripts_from_this_server_only(client: Client, db: None, path: str) -> None:
    directives = _directives(client.get(path)["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == directives["base-uri"] == directives["frame-ancestors"] == ["'none'"]


def test_a_changed_policy_is_sent_from_the_next_response_on(client: Client, db: None) -> None:
    # The header is built once per settings object (panel/csp.py): a new policy must not meet the old header.
    assert "'self'" in client.get("/checkip")["Content-Security-Policy"]
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy):
        response = client.get("/checkip")
        assert response["Content-Security-Policy"] == response["Content-Security-Policy-Report-Only"]
        assert _directives(response["Content-Security-Policy"]) == {"default-src": ["'none'"]}
    assert _directives(client.get("/checkip")["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_no_template_holds_an_inline_script_or_event_handler() -> None:
    # The policy would block them: an onsubmit="return confirm(...)" silently stopped asking before a restore.
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        found += [(template.name, m) for m in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)]
        found += [(template.name, m) for m in re.findall(r"\son[a-z]+\s*=", text)]
        found += [(template.name, m) for m in re.findall(r"javascript:", text)]
    assert found == []


def test_the_api_docs_start_up_script_is_served_as_a_file(client: Client, db: None) -> None:
    page = client.get("/api/docs/").content.decode()
    assert re.findall(r"<script>", page) == []
    (script,) = re.findall(r'<script src="(/api/docs/\?script=[^"]*)"', page)
    response = client.get(script)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle" in response.content.decode()


def _hsts(tmp_path: Path, secure_cookies: str) -> str:
    """The Strict-Transport-Security header of an HTTPS response under the product's settings."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="hsts-test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ALLOWED_HOSTS="testserver",
        SECURE_COOKIES=secure_cookies,
    )
    code = "import django; django.setup(); from django.test import Client; "
    code += "print(Client().get('/checkip', secure=True).headers.get('Strict-Transport-Security'))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_https_responses_carry_hsts_for_a_year_when_cookies_are_secure(tmp_path: Path) -> None:
    assert _hsts(tmp_path, "1") == "max-age=31536000"


def test_no_hsts_when_cookies_may_travel_over_plain_http(tmp_path: Path) -> None:
    # make run's .env: the site is served over HTTP, and a browser told to insist on HTTPS could not reach it
    assert _hsts(tmp_path, "0") == "None"
