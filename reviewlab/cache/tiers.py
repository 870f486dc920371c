"""The two caches of the seed's section 8.2, over one backend each, with hit and miss counters.

* L1, :class:`SessionCache`: data of one login session, 5 minutes, group ``session:{id}``;
  ``drop(session_id)`` on logout.
* L2, :class:`ProjectCache`: analysis results of one project, 1 hour, group ``project:{id}``;
  ``invalidate(project_id)`` when a new review of the project lands.

``stats()`` gives the hits and misses counted since start (a read during a Redis outage is a miss),
for the Prometheus endpoint to export as counters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from reviewlab.cache.base import TtlCache

SESSION_TTL_S = 300.0
PROJECT_TTL_S = 3600.0


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Reads of one tier since start."""

    hits: int
    misses: int

    @property
    def hit_ratio(self) -> float:
        """Hits over reads; 0.0 before the first read."""
        reads = self.hits + self.misses
        return self.hits / reads if reads else 0.0


class _Tier:
    kind: str

    def __init__(self, backend: TtlCache, ttl_s: float) -> None:
        self.backend = backend
        self.ttl_s = ttl_s
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def group(self, owner: int | str) -> str:
        return f"{self.kind}:{owner}"

    def get(self, owner: int | str, key: str) -> Any | None:
        value = self.backend.get(self.group(owner), key)
        with self._lock:
            if value is None:
                self._misses += 1
            else:
                self._hits += 1
        return value

    def peek(self, owner: int | str, key: str) -> Any | None:
        """The value if the backend has it without I/O (counted as a hit); else None, counted as nothing, since
        the caller reads it with ``get`` next."""
        value = self.backend.peek(self.group(owner), key)
        if value is not None:
            with self._lock:
                self._hits += 1
        return value

    def set(self, owner: int | str, key: str, value: Any) -> None:
        self.backend.set(self.group(owner), key, value, self.ttl_s)

    def delete(self, owner: int | str, key: str) -> None:
        self.backend.delete(self.group(owner), key)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses)


class SessionCache(_Tier):
    """L1: per-session data for 5 minutes (``session:{id}:{key}``)."""

    kind = "session"

    def __init__(self, backend: TtlCache, ttl_s: float = SESSION_TTL_S) -> None:
        super().__init__(backend, ttl_s)

    def drop(self, session_id: str) -> None:
        """Forget everything cached for the session (logout, revocation)."""
        self.backend.invalidate(self.group(session_id))


class ProjectCache(_Tier):
    """L2: per-project analysis results for 1 hour (``project:{id}:{key}``)."""

    kind = "project"

    def __init__(self, backend: TtlCache, ttl_s: float = PROJECT_TTL_S) -> None:
        super().__init__(backend, ttl_s)

    def invalidate(self, project_id: int | str) -> None:
        """Forget every result cached for the project (a new review of it landed)."""
        self.backend.invalidate(self.group(project_id))
