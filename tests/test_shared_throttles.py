"""Throttle counters are shared by every worker process (finding 7 of issue 11): under the zero-setup defaults
(SQLite, no Redis) two gunicorn workers each kept their own in memory, and let twice the failures through."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.push.servers import free_port
from tests.test_gunicorn_log import wait_for

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 5


@pytest.fixture
def two_workers(tmp_path: Path):
    """gunicorn with two workers on the product's settings (not the tests': their cache is per process), a fresh
    SQLite file without REDIS_URL, and the demo zone and user. Yields (port, access log)."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="two-workers-test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        FAST_PASSWORD_HASHER="1",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1",
        LEGACY_API_FAILURES_PER_CLIENT=str(LIMIT),
        PANEL_LOGIN_FAILURES_PER_USER=str(LIMIT),
    )
    for command in (["migrate", "--noinput", "-v0"], ["demo_setup"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    port, log = free_port(), tmp_path / "access.log"
    command = [sys.executable, "-m", "gunicorn", "panel.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--threads", "2", "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for(port)
        _until_both_workers_answer(port, log)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _post(port: int, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a new connection: any worker may take it
    body = urllib.parse.urlencode(fields)
    conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    status = conn.getresponse().status
    conn.close()
    return status


def _csrf(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/auth/login")
    response = conn.getresponse()
    response.read()
    conn.close()
    found = re.search(r"csrftoken=([A-Za-z0-9]+)", response.getheader("Set-Cookie") or "")
    assert found is not None
    return found[1]


def _workers_that_answered(log: Path, status: int) -> set[str]:
    return {line.split()[0] for line in log.read_text().splitlines() if line.endswith(f" {status}")}


def _until_both_workers_answer(port: int, log: Path) -> None:
    """The master accepts connections before both workers have loaded the project: until then every request goes to
    the one that has, and the counted requests below would prove nothing about sharing."""
    deadline = time.monotonic() + 60
    while len(_workers_that_answered(log, 200)) < 2:
        assert time.monotonic() < deadline, "the second gunicorn worker never answered"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/auth/login")
        conn.getresponse().read()
        conn.close()
        time.sleep(0.05)


def test_two_workers_let_through_exactly_the_configured_number_of_failures(two_workers) -> None:
    port, log = two_workers
    legacy = {"domain": "example.test", "password": "wrong", "command": "LIST"}
    answers = [_post(port, "/customer/primarydnsapi", legacy) for _ in range(4 * LIMIT)]
    assert answers == [401] * LIMIT + [429] * 3 * LIMIT

    token = _csrf(port)
    cookie = {"Cookie": f"csrftoken={token}"}
    sign_in = {"username": "demo", "password": "wrong", "csrfmiddlewaretoken": token}
    answers = [_post(port, "/auth/login", sign_in, cookie) for _ in range(4 * LIMIT)]
    assert answers == [400] * LIMIT + [429] * 3 * LIMIT

    # Both workers answered refusals: the counts they acted on were the same counts. Which worker takes a connection
    # is the kernel's choice; more wrong passwords (each must be refused) until both have refused one.
    for _ in range(200):
        if len(_workers_that_answered(log, 429)) == 2:
            break
        assert _post(port, "/customer/primarydnsapi", legacy) == 429
    assert len(_workers_that_answered(log, 429)) == 2
