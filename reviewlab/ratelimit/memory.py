"""The in-process backend: sliding-window logs in this process's memory, for when no Redis is configured.

One log per counter (subject and rule) holds the times of its allowed requests, oldest first, as
64-bit integers in an ``array`` (8 bytes a request). The log keeps the rule's longest window; a shorter
window's count is a binary search for its start. Times recorded are never earlier than the previous one
(a wall clock stepping back records at the last time), so the log stays sorted.

Memory is bounded twice: at most ``max_counters`` logs and ``max_entries`` recorded requests in all.
Past either bound the least recently used logs are dropped first (a warning, at most once a minute, says
that live ones were dropped: those clients start again with their full allowance). Idle logs also go on
their own: each check drops up to two logs from the least recently used end whose every request has left
its longest window. A log costs about 400 bytes (key, entry, array) plus 8 bytes a request: the
defaults (50,000 logs, 1,000,000 requests) hold at most about 30 MB.

Thread-safe: one lock around each check (a few microseconds). A limiter per process: processes do not
share these counts (that is what the Redis backend is for).
"""

from __future__ import annotations

import logging
import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence

from reviewlab.ratelimit.base import Counter, Outcome, Usage

log = logging.getLogger(__name__)

_WARN_EVERY_MS = 60_000


class _Log:
    __slots__ = ("head", "horizon_ms", "stamps")

    def __init__(self, horizon_ms: int) -> None:
        self.stamps = array("q")
        self.head = 0  # stamps[:head] have left every window; compacted away now and then
        self.horizon_ms = horizon_ms

    def __len__(self) -> int:
        return len(self.stamps) - self.head

    def drop_before(self, cutoff_ms: int) -> int:
        """Forget the requests at or before ``cutoff_ms``; return how many were forgotten."""
        start = bisect_right(self.stamps, cutoff_ms, self.head)
        dropped = start - self.head
        self.head = start
        if self.head > 32 and self.head * 2 > len(self.stamps):
            del self.stamps[: self.head]
            self.head = 0
        return dropped

    def expired(self, now_ms: int) -> bool:
        return len(self) == 0 or self.stamps[-1] + self.horizon_ms <= now_ms


class MemoryBackend:
    """Sliding-window logs in this process (thread-safe, bounded, idle logs evicted)."""

    name = "memory"

    def __init__(self, *, max_counters: int = 50_000, max_entries: int = 1_000_000) -> None:
        if max_counters < 1 or max_entries < 1:
            raise ValueError("max_counters and max_entries must be at least 1")
        self.max_counters = max_counters
        self.max_entries = max_entries
        self._logs: OrderedDict[str, _Log] = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()
        self._warned_at_ms: int | None = None
        self._horizons: dict[int, int] = {}  # one int object per horizon, shared by the logs

    @property
    def counters(self) -> int:
        """How many logs are held."""
        return len(self._logs)

    @property
    def entries(self) -> int:
        """How many recorded requests are held, over all logs."""
        return self._entries

    def acquire(self, counters: Sequence[Counter], now_ms: int) -> Outcome:
        usage: list[tuple[Usage, ...]] = []
        allowed = True
        with self._lock:
            for counter in counters:
                entry = self._logs.get(counter.key)
                if entry is not None:
                    self._logs.move_to_end(counter.key)
                    self._entries -= entry.drop_before(now_ms - entry.horizon_ms)
                windows = []
                for window in counter.windows:
                    found = _usage(entry, window.seconds * 1000, window.limit, now_ms)
                    allowed = allowed and found.count < window.limit
                    windows.append(found)
                usage.append(tuple(windows))
            if allowed:
                for counter in counters:
                    self._record(counter, now_ms)
                self._enforce_bounds(now_ms)
            self._sweep(now_ms)
        return Outcome(allowed, tuple(usage), self.name)

    def clear(self) -> None:
        with self._lock:
            self._logs.clear()
            self._entries = 0

    def close(self) -> None:
        self.clear()

    def _record(self, counter: Counter, now_ms: int) -> None:
        entry = self._logs.get(counter.key)
        if entry is None:
            horizon_ms = max(w.seconds for w in counter.windows) * 1000
            entry = self._logs[counter.key] = _Log(self._horizons.setdefault(horizon_ms, horizon_ms))
        last = entry.stamps[-1] if len(entry) else now_ms
        entry.stamps.append(max(now_ms, last))
        self._entries += 1

    def _enforce_bounds(self, now_ms: int) -> None:
        dropped_live = 0
        while len(self._logs) > self.max_counters or self._entries > self.max_entries:
            _, entry = self._logs.popitem(last=False)
            self._entries -= len(entry)
            dropped_live += not entry.expired(now_ms)
        if dropped_live and (self._warned_at_ms is None or now_ms - self._warned_at_ms >= _WARN_EVERY_MS):
            self._warned_at_ms = now_ms
            log.warning(
                "in-process rate limiter is full (%d logs, %d requests); forgot %d live client log(s)",
                self.max_counters,
                self.max_entries,
                dropped_live,
            )

    def _sweep(self, now_ms: int) -> None:
        for _ in range(2):
            if not self._logs:
                return
            key = next(iter(self._logs))
            entry = self._logs[key]
            if not entry.expired(now_ms):
                return
            del self._logs[key]
            self._entries -= len(entry)


def _usage(entry: _Log | None, window_ms: int, limit: int, now_ms: int) -> Usage:
    if entry is None or not len(entry):
        return Usage(0, None)
    stamps = entry.stamps
    start = bisect_right(stamps, now_ms - window_ms, entry.head)
    count = len(stamps) - start
    if count == 0:
        return Usage(0, None)
    return Usage(count, stamps[start + max(0, count - limit)] + window_ms)
