"""The in-process cache: an LRU dictionary with expiry times, for when no Redis is configured.

Bounded at ``max_entries`` values and, when ``max_chars`` is given, at that much JSON text: storing one more
drops the least recently used (read or written) until both bounds hold; a value larger than ``max_chars`` on its
own is not stored.
An expired value is dropped when it is next read or reaches the LRU end. Each group keeps the set of its
keys, so ``invalidate`` drops exactly that group's values. Thread-safe (one lock). The clock is a
callable returning seconds (``time.monotonic`` by default); tests pass a fake one and move it.
Processes do not share it: that is what the Redis backend is for.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from reviewlab.cache.base import check_group, check_key, check_ttl, encode

Clock = Callable[[], float]


class MemoryTtlCache:
    """An LRU-bounded, thread-safe TTL cache in this process."""

    name = "memory"

    def __init__(
        self, max_entries: int = 10_000, *, max_chars: int | None = None, clock: Clock = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if max_chars is not None and max_chars < 1:
            raise ValueError("max_chars must be at least 1")
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._chars = 0  # the JSON text held, in characters
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()  # -> (expires_at, json)
        self._groups: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, group: str, key: str) -> Any | None:
        entry_key = (check_group(group), check_key(key))
        with self._lock:
            entry = self._entries.get(entry_key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                self._forget(entry_key)
                return None
            self._entries.move_to_end(entry_key)
            payload = entry[1]
        return json.loads(payload)

    peek = get  # everything is in this process

    def set(self, group: str, key: str, value: Any, ttl_s: float) -> None:
        self.set_payload(group, key, encode(value), ttl_s)

    def set_payload(self, group: str, key: str, payload: str, ttl_s: float) -> None:
        """Store a value already encoded as JSON text (what ``set`` stores for ``value``)."""
        entry_key = (check_group(group), check_key(key))
        ttl_s = check_ttl(ttl_s)
        with self._lock:
            if entry_key in self._entries:
                self._forget(entry_key)
            if self.max_chars is not None and len(payload) > self.max_chars:
                return  # larger than the whole budget: kept nowhere rather than emptying the cache for it
            self._entries[entry_key] = (self._clock() + ttl_s, payload)
            self._chars += len(payload)
            self._groups.setdefault(group, set()).add(key)
            while len(self._entries) > self.max_entries or (
                self.max_chars is not None and self._chars > self.max_chars
            ):
                self._forget(next(iter(self._entries)))

    @property
    def chars(self) -> int:
        """The JSON text held, in characters (what ``max_chars`` bounds)."""
        with self._lock:
            return self._chars

    def delete(self, group: str, key: str) -> None:
        entry_key = (check_group(group), check_key(key))
        with self._lock:
            if entry_key in self._entries:
                self._forget(entry_key)

    def invalidate(self, group: str) -> None:
        check_group(group)
        with self._lock:
            for key in self._groups.pop(group, set()):
                self._chars -= len(self._entries.pop((group, key))[1])

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._entries.clear()
            self._groups.clear()
            self._chars = 0

    def close(self) -> None:
        self.clear()

    def _forget(self, entry_key: tuple[str, str]) -> None:
        self._chars -= len(self._entries.pop(entry_key)[1])
        group, key = entry_key
        keys = self._groups[group]
        keys.discard(key)
        if not keys:
            del self._groups[group]
