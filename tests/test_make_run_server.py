"""The server `make run` starts (panel/serve.py), started as the Makefile starts it, on the product's settings."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.slow_clients import checkip, trickle
from tests.push.servers import free_port
from tests.test_gunicorn_log import wait_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def make_run_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """`python -m panel.serve --port N` as in the Makefile's run target, on a fresh SQLite file without Redis.
    Yields (port, the file its log goes to)."""
    workdir = tmp_path_factory.mktemp("make-run")
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="make-run-server-test",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        SECURE_COOKIES="0",
    )
    port, log = free_port(), workdir / "server.log"
    with log.open("wb") as output:
        command = [sys.executable, "-m", "panel.serve", "--port", str(port)]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_for(port)
        assert checkip(port, timeout=30) is not None  # the first answer loads the URL configuration
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_checkip_answers_within_two_seconds_while_40_clients_trickle_requests(make_run_server) -> None:
    # gunicorn's 2 x 8 threads each belonged to a trickling client: /checkip waited as long as they trickled.
    port, _ = make_run_server
    until = threading.Event()
    trickler = threading.Thread(target=trickle, args=(port, 40, 0.2, until))
    trickler.start()
    try:
        time.sleep(1)  # all 40 connected and sending
        answers = [checkip(port, timeout=2) for _ in range(5)]
    finally:
        until.set()
        trickler.join()
    assert None not in answers, answers
    print(f"/checkip with 40 slow clients: {', '.join(f'{a:.3f} s' for a in answers if a is not None)}")


def test_the_log_never_holds_a_password_from_a_query_string(make_run_server) -> None:
    port, log = make_run_server
    assert checkip(port, timeout=30, target="/checkip?hostname=home.example.com&pass=hunter2-secret") is not None
    deadline = time.monotonic() + 5
    while '"GET /checkip HTTP/1.1" 200' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    written = log.read_text()
    assert '"GET /checkip HTTP/1.1" 200' in written
    assert "hunter2" not in written


def test_a_request_cannot_write_a_line_of_its_own_into_the_log(make_run_server) -> None:
    port, log = make_run_server
    checkip(port, timeout=30, target="/checkip%0Aforged%20line")
    deadline = time.monotonic() + 5
    while '"GET /checkip%0Aforged%20line HTTP/1.1" 404' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = log.read_text().splitlines()
    assert any('"GET /checkip%0Aforged%20line HTTP/1.1" 404' in line for line in lines)
    assert not any(line.startswith("forged") for line in lines)
