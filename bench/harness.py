"""Plumbing shared by the HTTP benchmarks: a database of their own, gunicorn on a free port, percentiles."""

from __future__ import annotations

import http.client
import random
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *command: str, stdin: str | None = None) -> str:
    """Run a management command of this checkout; return what it printed."""
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", *command],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn serving this checkout on a free loopback port, answering before this returns."""
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "panel.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


# One request of a load run: send it on the connection for client `index` with a fresh `address`; True if it worked.
Request = Callable[[http.client.HTTPConnection, int, str], bool]


@dataclass(frozen=True)
class LoadResult:
    latencies: list[float]  # seconds, sorted
    errors: int
    elapsed: float

    def cells(self) -> str:
        """'requests | req/s | p50 ms | p99 ms | errors' for a Markdown table row."""
        count = len(self.latencies)
        p50, p99 = statistics.median(self.latencies) * 1000, percentile(self.latencies, 0.99) * 1000
        return f"{count} | {count / self.elapsed:.0f} | {p50:.1f} | {p99:.1f} | {self.errors}"


def load(port: int, request: Request, clients: int, seconds: float) -> LoadResult:
    """`clients` threads, each on its own keep-alive connection, sending requests back to back for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        failed = 0
        rng = random.Random(index)
        while time.monotonic() < stop_at:
            address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            started = time.perf_counter()
            ok = request(conn, index, address)
            mine.append(time.perf_counter() - started)
            failed += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(sorted(latencies), errors[0], time.monotonic() - started)
