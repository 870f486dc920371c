"""The response cache: keys, hits with the original tokens, TTL expiry, LRU bound, Redis and a Redis outage."""

from __future__ import annotations

import logging
import threading

import pytest

from reviewlab.ai.base import ChatRequest, Completion, Message
from reviewlab.ai.cache import MemoryCache, NullCache, RedisCache, cache_key, request_digest
from tests._services import redis_namespace
from tests.ai.fakes import FakeClock, chat

ANSWER = Completion('{"findings": []}', "ollama", "codellama:34b", 1200, 80, 2.5, finish_reason="stop")


def key(request: ChatRequest | None = None, **parts: str) -> str:
    where = {"provider": "ollama", "model": "codellama:34b", "prompt_version": "review-v1"} | parts
    return cache_key(where["provider"], where["model"], where["prompt_version"], request_digest(request or chat()))


# -- keys ---------------------------------------------------------------------------------------------


def test_the_key_is_a_sha256_of_everything_that_shapes_the_answer() -> None:
    base = key()
    assert len(base) == 64
    assert key() == base
    assert key(chat(timeout_s=5)) == base  # the timeout does not shape the answer
    different = [
        key(provider="openai"),
        key(model="deepseek-coder:33b"),
        key(prompt_version="review-v2"),
        key(chat("review this other function")),
        key(chat(max_tokens=2048)),
        key(chat(temperature=0.2)),
        key(chat(json_schema={"type": "object"})),
        key(chat(stop=("```",))),
        key(ChatRequest(messages=(Message("system", "review this function"),))),
    ]
    assert len({base, *different}) == len(different) + 1


def test_the_schema_key_order_does_not_matter() -> None:
    a = chat(json_schema={"type": "object", "required": ["x"]})
    b = chat(json_schema={"required": ["x"], "type": "object"})
    assert request_digest(a) == request_digest(b)


# -- in-process ---------------------------------------------------------------------------------------


def test_miss_then_hit_with_the_original_tokens() -> None:
    cache = MemoryCache(clock=FakeClock())
    assert cache.get_many(["k"]) == [None]
    cache.put("k", ANSWER)
    (hit,) = cache.get_many(["k"])
    assert hit is not None
    assert hit.cached is True
    assert (hit.text, hit.input_tokens, hit.output_tokens, hit.model) == (ANSWER.text, 1200, 80, "codellama:34b")


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(ttl_s=24 * 3600, clock=clock)
    cache.put("k", ANSWER)
    clock.advance(24 * 3600 - 1)
    assert cache.get_many(["k"])[0] is not None
    clock.advance(1)
    assert cache.get_many(["k"]) == [None]
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = MemoryCache(max_entries=2, clock=FakeClock())
    cache.put("a", ANSWER)
    cache.put("b", ANSWER)
    cache.get_many(["a"])
    cache.put("c", ANSWER)
    assert [hit is not None for hit in cache.get_many(["a", "b", "c"])] == [True, False, True]


def test_the_memory_cache_is_thread_safe() -> None:
    cache = MemoryCache(max_entries=50, clock=FakeClock())

    def work(n: int) -> None:
        for i in range(300):
            cache.put(f"{n}-{i}", ANSWER)
            cache.get_many([f"{n}-{i}", f"{n}-{i - 1}"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50


def test_the_null_cache_never_hits() -> None:
    cache = NullCache()
    cache.put("k", ANSWER)
    assert cache.get_many(["k", "l"]) == [None, None]


# -- Redis --------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_redis_miss_hit_and_the_seeds_key_and_ttl() -> None:
    with redis_namespace() as (client, prefix):
        cache = RedisCache(client, key_prefix=f"{prefix}model:", ttl_s=24 * 3600)
        assert cache.get_many(["abc"]) == [None]
        cache.put("abc", ANSWER)
        assert client.exists(f"{prefix}model:abc") == 1
        assert 24 * 3600 - 5 <= client.ttl(f"{prefix}model:abc") <= 24 * 3600
        miss, hit = cache.get_many(["nope", "abc"])
        assert miss is None
        assert hit == Completion(
            ANSWER.text, "ollama", "codellama:34b", 1200, 80, 2.5, cached=True, finish_reason="stop"
        )


@pytest.mark.integration
def test_redis_entries_expire() -> None:
    import time

    with redis_namespace() as (client, prefix):
        cache = RedisCache(client, key_prefix=prefix, ttl_s=1)
        cache.put("k", ANSWER)
        assert cache.get_many(["k"])[0] is not None
        client.pexpire(f"{prefix}k", 50)  # Redis keeps time itself: shorten the TTL rather than wait a second
        time.sleep(0.1)
        assert cache.get_many(["k"]) == [None]


@pytest.mark.integration
def test_an_unreadable_redis_entry_is_a_miss(caplog: pytest.LogCaptureFixture) -> None:
    with redis_namespace() as (client, prefix):
        client.set(f"{prefix}k", "not json")
        cache = RedisCache(client, key_prefix=prefix)
        with caplog.at_level(logging.WARNING, logger="reviewlab.ai.cache"):
            assert cache.get_many(["k"]) == [None]
        assert "ignoring an unreadable cached answer" in caplog.text


def test_redis_down_means_no_caching_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    import redis

    clock = FakeClock()
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    cache = RedisCache(client, outage_backoff_s=30, clock=clock)
    with caplog.at_level(logging.WARNING, logger="reviewlab.ai.cache"):
        cache.put("k", ANSWER)
        assert cache.get_many(["k"]) == [None]
        clock.advance(31)
        assert cache.get_many(["k"]) == [None]  # tried again after the back-off, still down
    assert len(caplog.records) == 1
    assert "AI response cache unavailable (Redis:" in caplog.text
    client.close()


def test_no_redis_call_while_backing_off() -> None:
    class Counting:
        calls = 0

        def mget(self, keys: list[str]) -> list[None]:
            self.calls += 1
            import redis

            raise redis.ConnectionError("refused")

    clock = FakeClock()
    fake = Counting()
    cache = RedisCache(fake, clock=clock)  # type: ignore[arg-type]
    for _ in range(5):
        cache.get_many(["k"])
    assert fake.calls == 1
    clock.advance(30)
    cache.get_many(["k"])
    assert fake.calls == 2
