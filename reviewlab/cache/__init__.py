"""The caches of the seed's section 8.2: L1 session data (5 min) and L2 project analysis results (1 h).

The API builds them once and uses the two tiers::

    caches = Caches.from_settings(get_settings())    # Redis when REDIS_URL is set, else in-process
    caches.sessions.set(session_id, "profile", {...}); caches.sessions.drop(session_id)
    summary = caches.projects.get(project_id, "summary")
    caches.projects.invalidate(project_id)           # a new review of the project landed
    caches.stats()                                   # {"sessions": CacheStats(hits, misses), "projects": ...}

With Redis, each process also keeps near copies of what it read, dropped on every invalidation by Redis
pub/sub (:mod:`~reviewlab.cache.near`), so a repeated read needs no round trip.

Values are JSON. A cache never raises into the request for an unreachable Redis: it answers misses
(:mod:`~reviewlab.cache.redis_cache`). Modules: :mod:`~reviewlab.cache.base` (the protocol, values,
names), :mod:`~reviewlab.cache.memory` (in-process, LRU-bounded), :mod:`~reviewlab.cache.redis_cache`
(key layout, O(1) invalidation by generation, outage), :mod:`~reviewlab.cache.near` (near copies),
:mod:`~reviewlab.cache.tiers` (the two tiers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewlab.cache.base import TtlCache
from reviewlab.cache.memory import MemoryTtlCache
from reviewlab.cache.near import NearCache
from reviewlab.cache.redis_cache import RedisTtlCache
from reviewlab.cache.tiers import PROJECT_TTL_S, SESSION_TTL_S, CacheStats, ProjectCache, SessionCache

if TYPE_CHECKING:
    from reviewlab.settings import Settings

__all__ = [
    "PROJECT_TTL_S",
    "SESSION_TTL_S",
    "CacheStats",
    "Caches",
    "MemoryTtlCache",
    "NearCache",
    "ProjectCache",
    "RedisTtlCache",
    "SessionCache",
    "TtlCache",
]


MAX_TIER_CHARS = 64 * 1024 * 1024  # JSON text an in-process tier holds at most (a project's findings can be large)


@dataclass(frozen=True, slots=True)
class Caches:
    """The two tiers the API uses."""

    sessions: SessionCache
    projects: ProjectCache

    @classmethod
    def in_memory(
        cls, max_entries: int = 10_000, *, max_chars: int = MAX_TIER_CHARS, clock: Callable[[], float] = time.monotonic
    ) -> Caches:
        """Two in-process caches of ``max_entries`` and ``max_chars`` of JSON each (one tier cannot evict the other's
        values)."""
        return cls(
            SessionCache(MemoryTtlCache(max_entries, max_chars=max_chars, clock=clock)),
            ProjectCache(MemoryTtlCache(max_entries, max_chars=max_chars, clock=clock)),
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        prefix: str = "reviewlab",
        *,
        max_entries: int = 10_000,
        redis_timeout_s: float = 0.25,
        outage_cooldown_s: float = 30.0,
        near_ttl_s: float | None = None,
    ) -> Caches:
        """Redis under ``{prefix}:`` when ``REDIS_URL`` is set (short timeouts, one retry), else in-process.

        With Redis, near copies live ``near_ttl_s`` (default: the setting ``REVIEWLAB_CACHE_NEAR_TTL_S``,
        10 s); 0 turns them off.
        """
        if not settings.redis_url:
            return cls.in_memory(max_entries)
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=redis_timeout_s,
            socket_timeout=redis_timeout_s,
            retry=Retry(NoBackoff(), 1),
        )
        backend = RedisTtlCache(
            client,
            prefix=f"{prefix}:",
            max_ttl_s=max(SESSION_TTL_S, PROJECT_TTL_S),
            outage_cooldown_s=outage_cooldown_s,
        )
        near_ttl_s = settings.reviewlab_cache_near_ttl_s if near_ttl_s is None else near_ttl_s
        if near_ttl_s <= 0:
            return cls(SessionCache(backend), ProjectCache(backend))
        near = NearCache(backend, client, near_ttl_s=near_ttl_s, max_entries=max_entries)
        return cls(SessionCache(near), ProjectCache(near))

    def stats(self) -> dict[str, CacheStats]:
        return {"sessions": self.sessions.stats(), "projects": self.projects.stats()}

    def close(self) -> None:
        self.sessions.backend.close()
        if self.projects.backend is not self.sessions.backend:
            self.projects.backend.close()
