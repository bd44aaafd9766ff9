"""Plumbing shared by the HTTP benchmarks: a database of their own, gunicorn on a free port, percentiles."""

from __future__ import annotations

import http.client
import itertools
import math
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def start_server(
    command: list[str], env: dict[str, str], *, output: int | IO[bytes] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """`command` (its "{port}" filled in with a free loopback port) run in this checkout, accepting connections before
    this returns; its stdout and stderr go to `output` (a file, subprocess.DEVNULL, or None: this process's)."""
    port = free_port()
    argv = [part.format(port=port) for part in command]
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=output)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"{argv[0]} did not start")


def start_gunicorn(env: dict[str, str], workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn serving this checkout on a free loopback port, answering before this returns."""
    command = [str(ROOT / ".venv/bin/gunicorn"), "panel.wsgi", "--bind", "127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads), "--log-level", "warning"]
    return start_server(command, env)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


# One request of a load run: send it on the connection for client `index` with a fresh `address`; True if it worked.
Request = Callable[[http.client.HTTPConnection, int, str], bool]

_addresses = itertools.count(1)


def fresh_address() -> str:
    """An IPv4 address this process has not handed out before (16 million of them), so that every request of every
    run is a real change, also when many clients write one host."""
    number = next(_addresses)  # atomic: itertools.count under the GIL
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


@dataclass(frozen=True)
class LoadResult:
    latencies: list[float]  # seconds, sorted; failed requests included
    errors: int
    elapsed: float  # seconds of the measured window

    @property
    def ok_per_second(self) -> float:
        return (len(self.latencies) - self.errors) / self.elapsed

    def latency_ms(self, fraction: float) -> float:
        """The `fraction` percentile of all requests, in milliseconds (NaN when none were sent)."""
        return percentile(self.latencies, fraction) * 1000 if self.latencies else math.nan

    def cells(self) -> str:
        """'requests | req/s | p50 ms | p99 ms | errors' for a Markdown table row."""
        count = len(self.latencies)
        p50, p99 = statistics.median(self.latencies) * 1000, percentile(self.latencies, 0.99) * 1000
        return f"{count} | {count / self.elapsed:.0f} | {p50:.1f} | {p99:.1f} | {self.errors}"


def attempt(request: Request, conn: http.client.HTTPConnection, index: int, address: str) -> bool:
    """`request`, with a failure to talk HTTP (a reset or refused connection, a body that is not the JSON asked for)
    counted as a wrong answer: a server that breaks under load gets errors in its row, not a dead client thread."""
    try:
        return request(conn, index, address)
    except (OSError, http.client.HTTPException, ValueError):
        conn.close()  # the next request opens a new connection
        return False


def load(port: int, request: Request, clients: int, seconds: float, *, warmup: float = 0.0) -> LoadResult:
    """`clients` threads, each on its own keep-alive connection, sending requests back to back for `warmup` and then
    `seconds` seconds. The requests that start in those `seconds` are counted, over those `seconds`: dividing by the
    time until the last answer instead would count one slow answer per client against a window it was not in."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    measure_from = time.monotonic() + warmup
    stop_at = measure_from + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        failed = 0
        while (now := time.monotonic()) < stop_at:
            started = time.perf_counter()
            ok = attempt(request, conn, index, fresh_address())
            if now >= measure_from:
                mine.append(time.perf_counter() - started)
                failed += not ok
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    # Daemon threads: after Ctrl-C the servers stop at once and the clients must not keep the process alive.
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(sorted(latencies), errors[0], seconds)
