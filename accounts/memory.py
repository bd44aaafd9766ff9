"""What one process remembers of verified credentials and looked-up rows: bounded, expiring, safe across threads.

Nothing remembered here is trusted on its own: every user checks a recalled entry against the row its request reads
anyway (or under the zone's lock), so an entry only saves the slow hash or a lookup, never decides. Keys of secrets are
HMACs (`credential_digest`), never the secrets themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, KeysView
from typing import Generic, TypeVar

from django.conf import settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def credential_digest(*parts: str) -> bytes:
    """HMAC(SECRET_KEY) of the parts of a credential: a key to remember it by that reveals nothing of it."""
    message = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()


class Remembered(Generic[K, V]):
    """At most `size` entries, each for `ttl` seconds; the least recently stored goes first when full."""

    def __init__(self, *, ttl: float = 300.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value stored under `key`, None when there is none or it has expired (and is then forgotten)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[1] > time.monotonic():
                return found[0]
            del self._entries[key]
            return None

    def put(self, key: K, value: V, *, ttl: float | None = None) -> None:
        with self._lock:
            self._entries[key] = (value, time.monotonic() + (self.ttl if ttl is None else ttl))
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    # What is held, for a test to look at: (value, until) by key.
    def keys(self) -> KeysView[K]:
        return self._entries.keys()

    def __getitem__(self, key: K) -> tuple[V, float]:
        return self._entries[key]
