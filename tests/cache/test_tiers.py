"""The two tiers over the in-process cache: TTLs, key layout, drop and invalidate, hit and miss counters."""

from __future__ import annotations

from reviewlab.cache import PROJECT_TTL_S, SESSION_TTL_S, Caches, CacheStats, MemoryTtlCache, ProjectCache
from reviewlab.settings import Settings
from tests.ai.fakes import FakeClock


def test_the_tiers_have_the_seeds_ttls() -> None:
    assert (SESSION_TTL_S, PROJECT_TTL_S) == (300, 3600)
    clock = FakeClock()
    caches = Caches.in_memory(clock=clock)
    caches.sessions.set("s1", "csrf", "token")
    caches.projects.set(42, "summary", {"findings": 1})
    clock.advance(299.9)
    assert caches.sessions.get("s1", "csrf") == "token"
    clock.advance(0.1)
    assert caches.sessions.get("s1", "csrf") is None  # L1: 5 minutes
    assert caches.projects.get(42, "summary") == {"findings": 1}
    clock.advance(3300)
    assert caches.projects.get(42, "summary") is None  # L2: 1 hour


def test_keys_are_grouped_by_session_and_project() -> None:
    backend = MemoryTtlCache(clock=FakeClock())
    projects = ProjectCache(backend)
    projects.set(42, "summary", "x")
    assert backend.get("project:42", "summary") == "x"
    assert projects.group("abc") == "project:abc"


def test_drop_forgets_one_session_and_invalidate_one_project() -> None:
    caches = Caches.in_memory(clock=FakeClock())
    for session in ("s1", "s2"):
        caches.sessions.set(session, "profile", {"name": session})
        caches.sessions.set(session, "roles", ["admin"])
    for project in (1, 2):
        caches.projects.set(project, "summary", project)
    caches.sessions.drop("s1")
    caches.projects.invalidate(1)
    assert [caches.sessions.get("s1", "profile"), caches.sessions.get("s1", "roles")] == [None, None]
    assert caches.sessions.get("s2", "profile") == {"name": "s2"}
    assert (caches.projects.get(1, "summary"), caches.projects.get(2, "summary")) == (None, 2)
    caches.projects.delete(2, "summary")
    assert caches.projects.get(2, "summary") is None


def test_hits_and_misses_are_counted_per_tier() -> None:
    caches = Caches.in_memory(clock=FakeClock())
    assert caches.stats() == {"sessions": CacheStats(0, 0), "projects": CacheStats(0, 0)}
    assert caches.projects.get(1, "summary") is None
    caches.projects.set(1, "summary", "s")
    for _ in range(3):
        caches.projects.get(1, "summary")
    caches.sessions.get("s", "k")
    stats = caches.stats()
    assert stats == {"sessions": CacheStats(hits=0, misses=1), "projects": CacheStats(hits=3, misses=1)}
    assert (stats["projects"].hit_ratio, stats["sessions"].hit_ratio, CacheStats(0, 0).hit_ratio) == (0.75, 0.0, 0.0)


def test_the_tiers_do_not_evict_each_other() -> None:
    caches = Caches.in_memory(max_entries=2, clock=FakeClock())
    caches.projects.set(1, "summary", "kept")
    for n in range(10):
        caches.sessions.set(f"s{n}", "k", n)
    assert caches.projects.get(1, "summary") == "kept"


def test_without_redis_url_the_caches_are_in_process() -> None:
    caches = Caches.from_settings(Settings())
    assert isinstance(caches.sessions.backend, MemoryTtlCache)
    assert isinstance(caches.projects.backend, MemoryTtlCache)
    assert caches.sessions.backend is not caches.projects.backend
    caches.close()
