"""Near copies of the Redis cache on the real Redis: a repeated read stays in the process, every invalidation
from any process drops the copies, an invalidation racing a read leaves nothing older behind, and a lost or
silent connection turns the copies off until the listener hears Redis again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from reviewlab.cache import Caches, NearCache, RedisTtlCache
from reviewlab.cache.tiers import CacheStats, SessionCache
from reviewlab.settings import Settings
from tests._services import redis_namespace
from tests.ai.fakes import FakeClock
from tests.cache.test_redis import server_url
from tests.ratelimit.test_redis import TcpProxy

pytestmark = pytest.mark.integration

LIVE_WITHIN_S = 5.0


@pytest.fixture
def namespace() -> Iterator[tuple[redis.Redis, str]]:
    with redis_namespace() as found:
        yield found


@contextmanager
def near_cache(
    url: str, prefix: str, *, clock: Callable[[], float] = time.monotonic, **options: Any
) -> Iterator[NearCache]:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    remote = RedisTtlCache(client, prefix=prefix, clock=clock, outage_cooldown_s=0)
    near = NearCache(remote, client, clock=clock, **options)
    try:
        assert near.wait_live(LIVE_WITHIN_S), "the listener did not subscribe"
        yield near
    finally:
        near.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def near(namespace: tuple[redis.Redis, str], clock: FakeClock) -> Iterator[NearCache]:
    with near_cache(server_url(), namespace[1], clock=clock) as near:
        yield near


@pytest.fixture
def other(namespace: tuple[redis.Redis, str]) -> Iterator[RedisTtlCache]:
    """Another process's cache on the same Redis, without near copies (as a worker's)."""
    client = redis.Redis.from_url(server_url())
    yield RedisTtlCache(client, prefix=namespace[1])
    client.close()


def value_key(prefix: str, group: str, key: str, generation: int = 0) -> str:
    return f"{prefix}{group}:g{generation}:{key}"


def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_caches_with_redis_keep_near_copies_by_default_and_not_when_turned_off() -> None:
    settings = Settings(redis_url=server_url())
    caches = Caches.from_settings(settings, prefix="reviewlab-test-near")
    try:
        assert isinstance(caches.sessions.backend, NearCache)
        assert caches.sessions.backend is caches.projects.backend
        assert caches.sessions.backend.near_ttl_s == 10.0
    finally:
        caches.close()
    off = Caches.from_settings(settings.model_copy(update={"reviewlab_cache_near_ttl_s": 0}))
    try:
        assert isinstance(off.sessions.backend, RedisTtlCache)
    finally:
        off.close()


def test_a_repeated_read_is_answered_from_the_process(namespace: tuple[redis.Redis, str], near: NearCache) -> None:
    client, prefix = namespace
    near.set("session:s1", "user", {"id": "u1", "role": "viewer"}, ttl_s=300)
    assert near.peek("session:s1", "user") == {"id": "u1", "role": "viewer"}
    client.delete(value_key(prefix, "session:s1", "user"))  # behind the cache's back: nothing is published
    assert near.get("session:s1", "user") == {"id": "u1", "role": "viewer"}  # no round trip
    first = near.peek("session:s1", "user")
    assert first is not None
    first["role"] = "admin"  # a caller changing its value changes no one else's
    assert near.peek("session:s1", "user") == {"id": "u1", "role": "viewer"}


def test_a_value_read_from_redis_is_kept_and_a_near_copy_lives_near_ttl_at_most(
    namespace: tuple[redis.Redis, str], near: NearCache, clock: FakeClock, other: RedisTtlCache
) -> None:
    client, prefix = namespace
    other.set("project:7", "summary", {"findings": 3}, ttl_s=3600)
    assert near.peek("project:7", "summary") is None  # never read here
    assert near.get("project:7", "summary") == {"findings": 3}
    client.delete(value_key(prefix, "project:7", "summary"))
    assert near.peek("project:7", "summary") == {"findings": 3}
    clock.advance(near.near_ttl_s + 0.1)  # the Redis value would live an hour; the copy does not
    assert near.peek("project:7", "summary") is None
    assert near.get("project:7", "summary") is None


def test_an_invalidation_by_another_process_drops_the_copies(near: NearCache, other: RedisTtlCache) -> None:
    near.set("project:7", "summary", {"findings": 3}, ttl_s=3600)
    near.set("project:7", "findings", [1, 2], ttl_s=3600)
    near.set("project:8", "summary", {"findings": 1}, ttl_s=3600)
    other.invalidate("project:7")
    assert until(lambda: near.peek("project:7", "summary") is None)
    assert near.peek("project:7", "findings") is None
    assert near.get("project:7", "summary") is None  # and Redis holds it under an older generation only
    assert near.peek("project:8", "summary") == {"findings": 1}  # another group is untouched


def test_a_delete_by_another_process_drops_that_key_only(near: NearCache, other: RedisTtlCache) -> None:
    near.set("session:s1", "user", {"id": "u1"}, ttl_s=300)
    near.set("session:s1", "csrf", "token", ttl_s=300)
    other.delete("session:s1", "user")
    assert until(lambda: near.peek("session:s1", "user") is None)
    assert near.peek("session:s1", "csrf") == "token"


def test_this_process_reads_its_own_invalidation_at_once(namespace: tuple[redis.Redis, str], near: NearCache) -> None:
    near.set("session:s1", "user", {"id": "u1"}, ttl_s=300)
    near.invalidate("session:s1")
    assert near.peek("session:s1", "user") is None  # not only when the message comes back
    near.set("session:s1", "user", {"id": "u1"}, ttl_s=300)
    near.delete("session:s1", "user")
    assert near.peek("session:s1", "user") is None


def test_an_invalidation_racing_a_read_leaves_no_older_copy(near: NearCache, other: RedisTtlCache) -> None:
    other.set("project:7", "summary", {"findings": 3}, ttl_s=3600)
    near.set("project:8", "marker", 1, ttl_s=60)
    read = near.remote.get_payload

    def read_then_invalidated(group: str, key: str) -> str | None:
        payload = read(group, key)  # the value of the generation before ...
        other.invalidate(group)  # ... the invalidation that lands while it is on its way
        other.delete("project:8", "marker")  # published after it, on the same channel: once this arrived, both did
        assert until(lambda: near.peek("project:8", "marker") is None)
        return payload

    near.remote.get_payload = read_then_invalidated  # type: ignore[method-assign]
    assert near.get("project:7", "summary") == {"findings": 3}  # the caller may use what it read ...
    near.remote.get_payload = read  # type: ignore[method-assign]
    assert near.peek("project:7", "summary") is None  # ... but it is not kept
    assert near.get("project:7", "summary") is None


def test_large_values_are_not_copied(near: NearCache) -> None:
    near.max_value_bytes = 100
    near.set("project:7", "findings", ["x" * 200], ttl_s=3600)
    assert near.peek("project:7", "findings") is None
    assert near.get("project:7", "findings") == ["x" * 200]  # from Redis
    assert near.peek("project:7", "findings") is None


def test_a_lost_connection_turns_the_copies_off_until_redis_answers_again(
    namespace: tuple[redis.Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    parts = urlsplit(server_url())
    caplog.set_level(logging.INFO, logger="reviewlab.pubsub")
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379) as proxy:
        url = f"redis://127.0.0.1:{proxy.port}{parts.path}"
        with near_cache(url, namespace[1]) as near:
            near.set("session:s1", "user", {"id": "u1"}, ttl_s=300)
            assert near.peek("session:s1", "user") == {"id": "u1"}
            proxy.cut()  # invalidations could be missed now: no copy may be used
            assert until(lambda: not near.live)
            assert near.peek("session:s1", "user") is None
            assert near.get("session:s1", "user") is None  # Redis is unreachable: a miss, not a stale copy
            proxy.restore()
            assert near.wait_live(LIVE_WITHIN_S + 5)
            assert near.peek("session:s1", "user") is None  # the copies made before were dropped
            assert near.get("session:s1", "user") == {"id": "u1"}  # Redis kept it
            assert near.peek("session:s1", "user") == {"id": "u1"}
    assert "cache-invalidations: Redis subscription lost" in caplog.text
    assert "cache-invalidations: Redis subscription back" in caplog.text


def test_a_silent_connection_is_found_by_its_pings(namespace: tuple[redis.Redis, str]) -> None:
    parts = urlsplit(server_url())
    with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379) as proxy:
        url = f"redis://127.0.0.1:{proxy.port}{parts.path}"
        with near_cache(url, namespace[1], health_check_s=0.2) as near:
            near.set("session:s1", "user", {"id": "u1"}, ttl_s=300)
            proxy.freeze()  # no error and no answer: only the missing pongs tell
            assert until(lambda: not near.live, timeout_s=5)
            assert near.peek("session:s1", "user") is None
            proxy.restore()
            assert near.wait_live(LIVE_WITHIN_S + 5)


def test_peek_counts_a_hit_and_a_miss_is_counted_once_by_get(near: NearCache) -> None:
    sessions = SessionCache(near)
    assert sessions.peek("s1", "user") is None
    assert sessions.get("s1", "user") is None
    sessions.set("s1", "user", {"id": "u1"})
    assert sessions.peek("s1", "user") == {"id": "u1"}
    assert sessions.stats() == CacheStats(hits=1, misses=1)
