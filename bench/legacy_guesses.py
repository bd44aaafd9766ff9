"""How many password guesses per hour an attacker with many addresses gets against one zone of the legacy API.

The attacker sends wrong passwords for one zone from `--addresses` loopback addresses (127.1.x.y: Linux routes all of
127/8 to lo, so each connection really comes from its own address), as fast as the server answers, round-robin. A
guess counts when the server checked it (401); a refusal before the check (429) is no guess. Meanwhile the owner's
script sends the right password from a clean address every few seconds and must get 200 every time.

An hour of real time is too long for a benchmark, so every throttle window is divided by `--scale` (300 s -> 5 s,
3600 s -> 60 s at the default 60) and the run lasts one scaled hour: the count of checked guesses is the figure per
hour. The password hasher is the fast one, so that the throttle, not the CPU, is what limits the attacker; with the
production hasher every checked guess also costs the server ~0.3 s of CPU. Zero-setup defaults otherwise: SQLite,
no Redis (the database cache shares the counters between gunicorn's 2 workers).

Run: `.venv/bin/python bench/legacy_guesses.py` (options: --addresses, --scale, --clients).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import manage, start_gunicorn, stop

ZONE, PASSWORD = "example.test", "demo-password"  # demo_setup's zone and API password


class Source(http.client.HTTPConnection):
    """A connection from a chosen loopback address."""

    def __init__(self, port: int, address: str) -> None:
        super().__init__("127.0.0.1", port, timeout=30, source_address=(address, 0))


def post(port: int, address: str, password: str) -> int:
    conn = Source(port, address)
    body = urllib.parse.urlencode({"domain": ZONE, "password": password, "command": "LIST"})
    conn.request("POST", "/customer/primarydnsapi", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--addresses", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=60, help="divide every throttle window by this")
    parser.add_argument("--clients", type=int, default=8, help="attacker threads")
    args = parser.parse_args()
    hour = 3600 / args.scale
    workdir = Path(tempfile.mkdtemp(prefix="bench-guesses-"))
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY="bench-guesses",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        FAST_PASSWORD_HASHER="1",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        LEGACY_API_FAILURE_WINDOW=str(300 // args.scale),
        LEGACY_API_ZONE_CLIENT_WINDOW=str(3600 // args.scale),
    )
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo_setup")
    server, port = start_gunicorn(env, workers=2, threads=8)
    addresses = [f"127.1.{n // 250}.{n % 250 + 1}" for n in range(args.addresses)]
    statuses: dict[int, int] = {}
    owner: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + hour
    cycle = itertools.cycle(addresses)

    def attacker() -> None:
        while time.monotonic() < stop_at:
            with lock:
                address = next(cycle)
            status = post(port, address, "wrong-guess")
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    def owners_script() -> None:
        clean = (f"127.2.0.{n}" for n in itertools.count(1))
        while time.monotonic() < stop_at:
            owner.append(post(port, next(clean), PASSWORD))
            time.sleep(hour / 60)

    threads = [threading.Thread(target=attacker) for _ in range(args.clients)] + [
        threading.Thread(target=owners_script)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop(server)
    sent = sum(statuses.values())
    print("| addresses | requests sent | guesses checked (401) | refused (429) | owner's right password |")
    print("|---|---|---|---|---|")
    ok = f"{owner.count(200)}/{len(owner)} answered 200"
    print(f"| {args.addresses} | {sent} | {statuses.get(401, 0)} | {statuses.get(429, 0)} | {ok} |")
    checked = statuses.get(401, 0)
    print(f"\nguesses per hour against one zone: {checked} (windows divided by {args.scale}, one scaled hour)")
    print(f"command: .venv/bin/python bench/legacy_guesses.py --addresses {args.addresses} --scale {args.scale}")
    other = {status: count for status, count in statuses.items() if status not in {401, 429}}
    if other or owner.count(200) != len(owner):
        raise SystemExit(f"unexpected answers: {other}, owner {owner}")


if __name__ == "__main__":
    main()
