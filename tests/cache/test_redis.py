"""The Redis cache on the real Redis: key layout and TTLs, real expiry, O(1) invalidation shared by
processes, and an outage (a dead port; a proxy cut and restored) that answers misses and never raises.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reviewlab.cache import Caches, CacheStats, RedisTtlCache
from reviewlab.settings import Settings
from tests._services import DEFAULT_REDIS_URL, redis_namespace
from tests.ai.fakes import FakeClock
from tests.ratelimit.test_redis import TcpProxy

CACHE_LOG = "reviewlab.cache.redis_cache"


def server_url() -> str:
    return os.environ.get("REVIEWLAB_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def refused_redis_url() -> str:
    """A Redis URL on loopback where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def namespace() -> Iterator[tuple[redis.Redis, str]]:
    with redis_namespace() as found:
        yield found


@pytest.fixture
def caches(namespace: tuple[redis.Redis, str]) -> Iterator[Caches]:
    _, prefix = namespace
    caches = Caches.from_settings(Settings(redis_url=server_url()), prefix=f"{prefix}reviewlab", near_ttl_s=0)
    yield caches
    caches.close()


def keys(client: redis.Redis, prefix: str) -> set[str]:
    return {key.decode().removeprefix(prefix) for key in client.scan_iter(match=f"{prefix}*")}


@pytest.mark.integration
def test_keys_carry_prefix_group_generation_and_the_tiers_ttl(
    namespace: tuple[redis.Redis, str], caches: Caches
) -> None:
    client, prefix = namespace
    assert isinstance(caches.sessions.backend, RedisTtlCache)
    assert caches.sessions.backend is caches.projects.backend  # one client for both tiers
    caches.sessions.set("f0e1", "csrf", "token")
    caches.projects.set(42, "summary", {"findings": 3, "rules": ["PY001"]})
    assert keys(client, prefix) == {"reviewlab:session:f0e1:g0:csrf", "reviewlab:project:42:g0:summary"}
    assert 299_000 < client.pttl(f"{prefix}reviewlab:session:f0e1:g0:csrf") <= 300_000
    assert 3_599_000 < client.pttl(f"{prefix}reviewlab:project:42:g0:summary") <= 3_600_000
    assert client.get(f"{prefix}reviewlab:project:42:g0:summary") == b'{"findings":3,"rules":["PY001"]}'
    assert caches.projects.get(42, "summary") == {"findings": 3, "rules": ["PY001"]}
    assert caches.sessions.get("f0e1", "csrf") == "token"
    assert caches.stats()["projects"] == CacheStats(hits=1, misses=0)


@pytest.mark.integration
def test_invalidate_is_one_incr_and_older_values_become_unreachable(
    namespace: tuple[redis.Redis, str], caches: Caches
) -> None:
    client, prefix = namespace
    for key in ("summary", "findings", "metrics"):
        caches.projects.set(42, key, key)
    caches.projects.set(7, "summary", "another project")
    caches.projects.invalidate(42)
    assert client.get(f"{prefix}reviewlab:project:42:gen") == b"1"
    assert 3_599_000 < client.pttl(f"{prefix}reviewlab:project:42:gen") <= 3_600_000  # gone after the last value
    assert [caches.projects.get(42, key) for key in ("summary", "findings", "metrics")] == [None, None, None]
    assert caches.projects.get(7, "summary") == "another project"
    caches.projects.set(42, "summary", "after the new review")
    assert caches.projects.get(42, "summary") == "after the new review"
    assert "reviewlab:project:42:g1:summary" in keys(client, prefix)
    caches.sessions.drop("f0e1")
    assert client.get(f"{prefix}reviewlab:session:f0e1:gen") == b"1"


@pytest.mark.integration
def test_values_expire_with_real_short_ttls(namespace: tuple[redis.Redis, str]) -> None:
    client, prefix = namespace
    cache = RedisTtlCache(client, prefix=prefix)
    cache.set("project:1", "short", "soon gone", ttl_s=0.2)
    cache.set("project:1", "long", "stays", ttl_s=60)
    assert cache.get("project:1", "short") == "soon gone"
    time.sleep(0.35)
    assert cache.get("project:1", "short") is None
    assert cache.get("project:1", "long") == "stays"
    assert keys(client, prefix) == {"project:1:g0:long"}


@pytest.mark.integration
def test_processes_share_values_and_invalidations(namespace: tuple[redis.Redis, str]) -> None:
    _, prefix = namespace
    first, second = (redis.Redis.from_url(server_url()) for _ in range(2))
    try:
        one, other = RedisTtlCache(first, prefix=prefix), RedisTtlCache(second, prefix=prefix)
        one.set("project:9", "summary", [1, 2, 3], ttl_s=60)
        assert other.get("project:9", "summary") == [1, 2, 3]
        other.invalidate("project:9")
        assert one.get("project:9", "summary") is None
        other.delete("project:9", "missing")
        one.set("project:9", "summary", "new", ttl_s=60)
        other.delete("project:9", "summary")
        assert one.get("project:9", "summary") is None
    finally:
        first.close()
        second.close()


@pytest.mark.integration
def test_a_value_that_is_not_json_is_a_miss(
    namespace: tuple[redis.Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, prefix = namespace
    client.set(f"{prefix}project:1:g0:summary", b"\xff not json")
    with caplog.at_level(logging.WARNING, logger=CACHE_LOG):
        assert RedisTtlCache(client, prefix=prefix).get("project:1", "summary") is None
    assert "is not JSON" in caplog.text


@pytest.mark.integration
def test_a_ttl_over_the_generation_keys_lifetime_is_refused(namespace: tuple[redis.Redis, str]) -> None:
    client, prefix = namespace
    with pytest.raises(ValueError, match="max_ttl_s"):
        RedisTtlCache(client, prefix=prefix, max_ttl_s=60).set("project:1", "k", 1, ttl_s=61)


def test_an_outage_answers_misses_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    caches = Caches.from_settings(Settings(redis_url=refused_redis_url()), outage_cooldown_s=0, near_ttl_s=0)
    try:
        with caplog.at_level(logging.INFO, logger=CACHE_LOG):
            caches.sessions.set("s1", "profile", {"name": "alice"})
            assert caches.sessions.get("s1", "profile") is None
            caches.sessions.drop("s1")
            caches.projects.set(1, "summary", "x")
            assert caches.projects.get(1, "summary") is None
            caches.projects.delete(1, "summary")
            caches.projects.invalidate(1)
        assert caches.stats() == {"sessions": CacheStats(0, 1), "projects": CacheStats(0, 1)}
        assert len(caplog.records) == 1  # one warning for the outage, not one per call
        assert caplog.records[0].levelno == logging.WARNING
        assert "cache cannot reach Redis (ConnectionError" in caplog.text
        backend = caches.sessions.backend
        assert isinstance(backend, RedisTtlCache)
        assert backend.degraded
    finally:
        caches.close()


class CountingRedis(redis.Redis):
    """A Redis client that counts the scripts it runs."""

    calls = 0

    def evalsha(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return super().evalsha(*args, **kwargs)  # type: ignore[arg-type]


def test_during_the_cooldown_redis_is_not_tried() -> None:
    clock = FakeClock()
    client = CountingRedis.from_url(refused_redis_url(), socket_connect_timeout=0.2, retry=None)
    cache = RedisTtlCache(client, outage_cooldown_s=30, clock=clock)
    try:
        assert cache.get("project:1", "k") is None  # tried, failed
        assert client.calls == 1
        clock.advance(29.9)
        cache.set("project:1", "k", 1, ttl_s=60)
        assert (cache.get("project:1", "k"), client.calls) == (None, 1)
        clock.advance(0.1)
        assert (cache.get("project:1", "k"), client.calls) == (None, 2)  # tried again after the cooldown
    finally:
        cache.close()


def test_errors_that_are_not_redis_errors_propagate() -> None:
    class Broken:
        def register_script(self, script: str) -> object:
            def call(**_: object) -> None:
                raise TypeError("a bug, not an outage")

            return call

    cache = RedisTtlCache(Broken())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a bug"):
        cache.get("project:1", "k")


@pytest.mark.integration
def test_an_invalidation_missed_during_an_outage_is_replayed_when_redis_returns(
    namespace: tuple[redis.Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, prefix = namespace
    where = client.connection_pool.connection_kwargs
    clock = FakeClock()
    with TcpProxy(where.get("host", "127.0.0.1"), where.get("port", 6379)) as proxy:
        through = redis.Redis(
            host="127.0.0.1",
            port=proxy.port,
            db=where.get("db", 0),
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 1),
        )
        cache = RedisTtlCache(through, prefix=prefix, outage_cooldown_s=30, clock=clock)
        try:
            cache.set("project:42", "summary", "before the new review", ttl_s=60)
            proxy.cut()
            with caplog.at_level(logging.INFO, logger=CACHE_LOG):
                cache.invalidate("project:42")  # lost for now: Redis cannot be reached
                assert cache.get("project:42", "summary") is None
                proxy.restore()
                assert cache.get("project:42", "summary") is None  # still cooling down: not tried
                clock.advance(30)
                assert cache.get("project:42", "summary") is None  # the invalidation was replayed first
            assert client.get(f"{prefix}project:42:gen") == b"1"
            assert not cache.degraded
            assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO]
            assert "cache reaches Redis again" in caplog.text
            cache.set("project:42", "summary", "after", ttl_s=60)
            assert cache.get("project:42", "summary") == "after"
        finally:
            cache.close()
