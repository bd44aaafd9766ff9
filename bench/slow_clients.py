"""How long `GET /checkip` takes while slow clients hold connections open (finding 8 of issue 11).

`--clients` connections (40 by default) trickle requests: half send a request line and then one header byte at a
time, half send complete headers announcing a body and then one body byte at a time, one byte per connection every
`--interval` seconds, for as long as the run lasts. Meanwhile a fresh connection asks `GET /checkip` every second;
the table gives the slowest and the median answer, and how many did not come within `--timeout` seconds.

Servers: the one `make run` starts (panel/serve.py: waitress) and gunicorn as `make run` started it before
(2 workers x 8 threads, gthread). Zero-setup defaults otherwise: SQLite, no Redis.

Run: `.venv/bin/python bench/slow_clients.py` (options: --clients, --seconds, --interval, --timeout).
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, manage, start_server, stop

PYTHON = str(ROOT / ".venv/bin/python")
SERVERS = {
    "make run (waitress, panel/serve.py)": [PYTHON, "-m", "panel.serve", "--port", "{port}"],
    "gunicorn 2x8 gthread (make run before)": [
        str(ROOT / ".venv/bin/gunicorn"),
        *("panel.wsgi", "--bind", "127.0.0.1:{port}", "--workers", "2", "--threads", "8"),
    ],
}


def trickle(port: int, clients: int, interval: float, until: threading.Event) -> None:
    """Open `clients` connections and send each one more byte every `interval` seconds until `until` is set."""
    sockets = []
    for index in range(clients):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if index % 2:  # headers complete, then a body that never ends
            sock.sendall(b"POST /nic/update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n")
        else:  # headers that never end
            sock.sendall(b"GET /checkip HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(sock)
    try:
        while not until.wait(interval):
            for index, sock in enumerate(sockets):
                sock.sendall(b"a" if index % 2 else b"X")
    except OSError:
        pass  # the server closed a connection: it may
    finally:
        for sock in sockets:
            sock.close()


def checkip(port: int, timeout: float, target: str = "/checkip") -> float | None:
    """Seconds until `GET /checkip` (or `target`) answered 200 on a fresh connection; None if it did not within
    `timeout`."""
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", target)
        response = conn.getresponse()
        response.read()
        conn.close()
    except OSError:
        return None
    return time.monotonic() - started if response.status == 200 else None


def measure(port: int, args: argparse.Namespace) -> list[float | None]:
    for _ in range(4):  # the first answer of a process loads the URL configuration: not what is measured
        checkip(port, args.timeout)
    until = threading.Event()
    trickler = threading.Thread(target=trickle, args=(port, args.clients, args.interval, until))
    trickler.start()
    time.sleep(1)  # every trickling connection accepted and started
    answers = []
    stop_at = time.monotonic() + args.seconds
    while time.monotonic() < stop_at:
        answers.append(checkip(port, args.timeout))
        time.sleep(1)
    until.set()
    trickler.join()
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20, help="how long the slow clients trickle")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between two bytes of a slow client")
    parser.add_argument("--timeout", type=float, default=10, help="seconds a /checkip request may wait")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-slow-"))
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="bench-slow-clients",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
    )
    manage(env, "migrate", "--noinput", "-v0")
    print(f"`{' '.join(sys.argv)}`: {args.clients} slow clients, one byte each every {args.interval} s, for")
    print(f"{args.seconds:.0f} s; GET /checkip once a second on a fresh connection, {args.timeout:.0f} s timeout\n")
    print("| server | /checkip answered | median s | slowest s |")
    print("|---|---|---|---|")
    for name, command in SERVERS.items():
        server, port = start_server(command, env, output=subprocess.DEVNULL)
        try:
            answers = measure(port, args)
        finally:
            stop(server)
        times = sorted(a for a in answers if a is not None)
        median = f"{statistics.median(times):.3f}" if times else "-"
        slowest = f"{times[-1]:.3f}" if len(times) == len(answers) else f"> {args.timeout:.0f} (timed out)"
        print(f"| {name} | {len(times)} of {len(answers)} | {median} | {slowest} |")


if __name__ == "__main__":
    main()
