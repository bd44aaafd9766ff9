"""Group commit: the change sets that queue on one zone in one process are applied by one thread, in one transaction.

Every writer of a zone holds the zone's row lock from its first statement to its commit, so writers of one zone go
one at a time however many threads a process has; 32 clients on one host got exactly 1 / (lock hold time). Here the
first thread to arrive for a zone leads: it takes every change set that is waiting for that zone (its own first) and
runs them together through `work`, which gives each its own outcome (zones.services: each change set validated
against the state the earlier ones left, journaled as a version of its own, and failing alone). Threads that arrive
while it works wait; when it is done, the oldest of them leads the next group, so nobody serves others for longer
than one group.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

J = TypeVar("J")


class _Ticket(Generic[J]):
    __slots__ = ("done", "job", "ready")

    def __init__(self, job: J) -> None:
        self.job = job
        self.ready = threading.Event()
        self.done = False  # set by the leader that ran the job; `ready` without it: lead the next group


class GroupCommit(Generic[J]):
    """Runs jobs that share a key in groups of at most `max_group`, one group per key at a time, in this process."""

    def __init__(self, max_group: int) -> None:
        self.max_group = max_group
        self._lock = threading.Lock()
        self._waiting: dict[Hashable, deque[_Ticket[J]]] = {}

    def run(self, key: Hashable, job: J, work: Callable[[list[J]], None]) -> None:
        """Run `job` through `work`, alone or in a group with the jobs of `key` waiting beside it. `work` must give
        every job of a group its outcome itself and must not raise."""
        ticket = _Ticket(job)
        with self._lock:
            queue = self._waiting.get(key)
            leading = queue is None  # no group of this key is running: nobody to wait for
            if queue is None:
                queue = self._waiting[key] = deque()
            queue.append(ticket)
        if not leading:
            ticket.ready.wait()
            if ticket.done:
                return
        self._lead(key, work)

    def _lead(self, key: Hashable, work: Callable[[list[J]], None]) -> None:
        with self._lock:
            queue = self._waiting[key]
            group = [queue.popleft() for _ in range(min(len(queue), self.max_group))]
        try:
            work([ticket.job for ticket in group])
        finally:
            with self._lock:
                queue = self._waiting[key]
                successor = queue[0] if queue else None
                if successor is None:
                    del self._waiting[key]  # the next to arrive leads at once
            for ticket in group:
                ticket.done = True
                ticket.ready.set()
            if successor is not None:
                successor.ready.set()
