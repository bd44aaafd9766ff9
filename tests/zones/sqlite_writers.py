"""Run by test_concurrency in a subprocess: many threads call zone_apply at once on a SQLite file database.

Prints one JSON line: what failed (nothing, if SQLite's IMMEDIATE transactions and busy timeout do their job) and
the end state, for the test to check.
"""

from __future__ import annotations

import json
import threading

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.actors import Actor  # noqa: E402
from accounts.services import account_create  # noqa: E402
from zones import selectors  # noqa: E402
from zones.models import Zone  # noqa: E402
from zones.services import Add, Operation, Replace, zone_apply, zone_create  # noqa: E402

WRITERS = 16
ROUNDS = 10


def main() -> None:
    call_command("migrate", verbosity=0)
    actor = Actor.cli("sqlite writers")
    zone = zone_create(name="example.com", account=account_create(name="acme", actor=actor), actor=actor)
    zone_apply(zone=zone, changes=[Replace("host", "A", ("10.9.0.255",))], actor=actor)
    failures: list[str] = []
    barrier = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    reads: list[int] = []

    def write(index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(ROUNDS):
                changes: list[Operation] = [
                    Replace("host", "A", (f"10.9.0.{index}",)),
                    Add(f"w{index}", "TXT", f'"round {round_}"'),
                ]
                result = zone_apply(zone=Zone.objects.get(pk=zone.pk), changes=changes, actor=actor)
                if not result.ok:
                    failures.append("; ".join(result.errors))
        except Exception as exc:  # "database is locked" would land here
            failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    def read() -> None:
        try:
            barrier.wait()
            while not done.is_set():
                reads.append(len([r for r in selectors.zone_records(zone=zone) if (r.name, r.type) == ("host", "A")]))
        except Exception as exc:
            failures.append(f"reader {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    zone.refresh_from_db()
    rows = selectors.zone_records(zone=zone)
    report = {
        "failures": failures,
        "writers": WRITERS,
        "rounds": ROUNDS,
        "host_records": [r.content for r in rows if (r.name, r.type) == ("host", "A")],
        "added": sum(1 for r in rows if r.type == "TXT"),
        "version": zone.version,
        "commits": zone.changes.count() - 1,
        "reads": len(reads),
        "reader_saw": sorted(set(reads)),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
