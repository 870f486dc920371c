"""The in-process cache: TTL on an injected clock, group invalidation, LRU bound, JSON values, threads."""

from __future__ import annotations

import threading

import pytest

from reviewlab.cache import MemoryTtlCache
from tests.ai.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(clock: FakeClock) -> MemoryTtlCache:
    return MemoryTtlCache(max_entries=100, clock=clock)


def test_a_value_lives_until_its_ttl(cache: MemoryTtlCache, clock: FakeClock) -> None:
    cache.set("project:1", "summary", {"findings": 3}, ttl_s=60)
    clock.advance(59.999)
    assert cache.get("project:1", "summary") == {"findings": 3}
    clock.advance(0.001)
    assert cache.get("project:1", "summary") is None
    assert len(cache) == 0  # dropped when read expired


def test_setting_again_replaces_the_value_and_its_ttl(cache: MemoryTtlCache, clock: FakeClock) -> None:
    cache.set("session:a", "k", 1, ttl_s=10)
    clock.advance(9)
    cache.set("session:a", "k", 2, ttl_s=10)
    clock.advance(9)
    assert cache.get("session:a", "k") == 2


def test_values_are_json_copies(cache: MemoryTtlCache) -> None:
    value = {"rules": ["PY001"], "pair": (1, 2), "ratio": 0.5, "ok": True, "name": "café"}
    cache.set("project:1", "v", value, ttl_s=60)
    value["rules"].append("mutated after set")
    read = cache.get("project:1", "v")
    assert read == {"rules": ["PY001"], "pair": [1, 2], "ratio": 0.5, "ok": True, "name": "café"}
    read["rules"].append("mutated after get")
    assert cache.get("project:1", "v")["rules"] == ["PY001"]


@pytest.mark.parametrize("value", [None, {1, 2}, object(), float("nan"), {"when": b"bytes"}])
def test_what_json_cannot_hold_is_a_type_error(cache: MemoryTtlCache, value: object) -> None:
    with pytest.raises(TypeError):
        cache.set("project:1", "v", value, ttl_s=60)
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("group", "key"),
    [
        ("project", "k"),
        ("project:", "k"),
        ("project:1:2", "k"),
        ("project:a b", "k"),
        ("project:1", ""),
        ("x:1", "a b"),
    ],
)
def test_malformed_groups_and_keys_are_refused(cache: MemoryTtlCache, group: str, key: str) -> None:
    with pytest.raises(ValueError, match="cache"):
        cache.set(group, key, 1, ttl_s=60)


def test_a_non_positive_ttl_is_refused(cache: MemoryTtlCache) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        cache.set("project:1", "k", 1, ttl_s=0)


def test_invalidate_drops_the_group_and_only_it(cache: MemoryTtlCache) -> None:
    for key in ("a", "b", "c"):
        cache.set("project:1", key, key, ttl_s=60)
    cache.set("project:2", "a", "other project", ttl_s=60)
    cache.set("session:1", "a", "a session with the same id", ttl_s=60)
    cache.invalidate("project:1")
    assert [cache.get("project:1", key) for key in ("a", "b", "c")] == [None, None, None]
    assert cache.get("project:2", "a") == "other project"
    assert cache.get("session:1", "a") == "a session with the same id"
    assert len(cache) == 2
    cache.invalidate("project:404")  # nothing to drop is fine
    cache.set("project:1", "a", "new", ttl_s=60)
    assert cache.get("project:1", "a") == "new"


def test_delete_drops_one_key(cache: MemoryTtlCache) -> None:
    cache.set("session:s", "a", 1, ttl_s=60)
    cache.set("session:s", "b", 2, ttl_s=60)
    cache.delete("session:s", "a")
    cache.delete("session:s", "missing")
    assert (cache.get("session:s", "a"), cache.get("session:s", "b")) == (None, 2)


def test_the_least_recently_used_value_goes_first_past_the_bound(clock: FakeClock) -> None:
    cache = MemoryTtlCache(max_entries=3, clock=clock)
    for key in ("a", "b", "c"):
        cache.set("project:1", key, key, ttl_s=60)
    assert cache.get("project:1", "a") == "a"  # a is now the most recently used
    cache.set("project:2", "d", "d", ttl_s=60)
    assert len(cache) == 3
    assert cache.get("project:1", "b") is None  # b was the least recently used
    assert [cache.get("project:1", "a"), cache.get("project:1", "c"), cache.get("project:2", "d")] == ["a", "c", "d"]
    cache.invalidate("project:1")  # the group index followed the eviction
    assert len(cache) == 1


def test_the_json_held_stays_under_its_character_bound(clock: FakeClock) -> None:
    cache = MemoryTtlCache(max_entries=100, max_chars=100, clock=clock)
    for key in ("a", "b", "c"):
        cache.set("project:1", key, "x" * 38, ttl_s=60)  # 40 characters of JSON each
    assert cache.chars == 80  # "a" went to make room for "c"
    assert [cache.get("project:1", k) is None for k in ("a", "b", "c")] == [True, False, False]
    cache.set("project:1", "b", "y", ttl_s=60)  # replacing a value counts its new size only
    assert cache.chars == 43
    cache.set("project:2", "huge", "z" * 200, ttl_s=60)  # over the whole budget: not kept, nothing evicted
    assert cache.get("project:2", "huge") is None
    assert cache.chars == 43
    cache.invalidate("project:1")
    assert (cache.chars, len(cache)) == (0, 0)
    cache.set("project:1", "a", "x", ttl_s=60)
    cache.clear()
    assert cache.chars == 0


def test_threads_never_push_the_cache_past_its_bound(clock: FakeClock) -> None:
    cache = MemoryTtlCache(max_entries=50, clock=clock)
    start = threading.Barrier(8, timeout=10)

    def work(worker: int) -> None:
        start.wait()
        for i in range(500):
            cache.set(f"project:{i % 7}", f"w{worker}-{i}", i, ttl_s=60)
            cache.get(f"project:{i % 7}", f"w{worker}-{i - 1}")
            if i % 50 == 0:
                cache.invalidate(f"project:{worker % 7}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0 < len(cache) <= 50
    for group in range(7):
        cache.invalidate(f"project:{group}")
    assert len(cache) == 0  # the group index matched the entries exactly


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MemoryTtlCache(max_entries=0)
    with pytest.raises(ValueError, match="max_chars"):
        MemoryTtlCache(max_chars=0)
