from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.push.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)


def test_the_access_log_never_holds_a_password_from_a_query_string(tmp_path):
    # gunicorn is started as production starts it, from the checkout, so it reads the checkout's gunicorn.conf.py.
    port = free_port()
    log = tmp_path / "access.log"
    command = [sys.executable, "-m", "gunicorn", "panel.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--access-logfile", str(log)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/checkip?hostname=home.example.com&user=home.example.com&pass=hunter2-secret")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert '"GET /checkip HTTP/1.1" 200' in written
    assert "hunter2" not in written
