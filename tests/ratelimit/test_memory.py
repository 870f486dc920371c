"""The in-process backend: bounded memory, idle logs evicted, thread-safe, a clock that steps back."""

from __future__ import annotations

import logging
import threading
import tracemalloc

import pytest

from reviewlab.ratelimit import MemoryBackend, RateLimiter
from reviewlab.ratelimit.limiter import client_id
from tests.ai.fakes import FakeClock

START = 1_700_000_000.0


def limiter(backend: MemoryBackend, clock: FakeClock) -> RateLimiter:
    return RateLimiter(backend, clock=clock)


def test_the_number_of_logs_and_requests_held_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    backend = MemoryBackend(max_counters=100, max_entries=250)
    clock = FakeClock(START)
    rate = limiter(backend, clock)
    with caplog.at_level(logging.WARNING, logger="reviewlab.ratelimit.memory"):
        for i in range(5_000):
            clock.advance(0.001)
            assert rate.check("/api/projects", f"10.0.{i // 256}.{i % 256}", user=f"user-{i}").allowed
            assert backend.counters <= 100
            assert backend.entries <= 250
    assert len(caplog.records) == 1  # at most once a minute, and the fake clock moved 5 s
    assert "in-process rate limiter is full" in caplog.text


def test_the_least_recently_used_log_goes_first() -> None:
    backend = MemoryBackend(max_counters=2)
    clock = FakeClock(START)
    rate = limiter(backend, clock)
    for _ in range(5):
        rate.check("/api/auth/login", "192.0.2.1")
    rate.check("/api/auth/login", "192.0.2.2")
    assert not rate.check("/api/auth/login", "192.0.2.1").allowed  # touched last: kept
    rate.check("/api/auth/login", "192.0.2.3")  # evicts 192.0.2.2
    assert backend.counters == 2
    assert not rate.check("/api/auth/login", "192.0.2.1").allowed


def test_idle_logs_are_dropped_once_their_longest_window_has_passed() -> None:
    backend = MemoryBackend()
    clock = FakeClock(START)
    rate = limiter(backend, clock)
    for i in range(50):
        rate.check("/api/auth/login", f"192.0.2.{i}", user=f"user-{i}")
    assert (backend.counters, backend.entries) == (100, 100)
    clock.advance(86_399.999)
    rate.check("/api/auth/login", "198.51.100.1")
    assert backend.counters == 101  # a day has not quite passed
    clock.advance(0.001)
    for _ in range(50):
        rate.check("/api/auth/login", "198.51.100.1")
    assert (backend.counters, backend.entries) == (1, 5)


def test_a_busy_client_holds_at_most_its_window_and_memory_stays_flat() -> None:
    backend = MemoryBackend()
    clock = FakeClock(START)
    rate = limiter(backend, clock)
    tracemalloc.start()
    try:
        sizes = []
        for day in range(4):
            for _ in range(1_440):  # one request a minute, all allowed
                clock.advance(60)
                assert rate.check("/api/projects", "192.0.2.1").allowed
            assert backend.entries == 1_440, day
            if day:
                sizes.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert max(sizes) - min(sizes) < 16 * 1024  # old requests are compacted away, not kept


def test_memory_per_client_log() -> None:
    warm_up = limiter(MemoryBackend(max_counters=1_000), FakeClock(START))
    for i in range(3_000):  # fill the interpreter's free lists first, so they are not counted below
        warm_up.check("/api/projects", f"10.1.{i // 256}.{i % 256}")
    client_id.cache_clear()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        backend = MemoryBackend(max_counters=1_000)
        clock = FakeClock(START)
        rate = limiter(backend, clock)
        for i in range(3_000):
            rate.check("/api/projects", f"10.0.{i // 256}.{i % 256}")
        client_id.cache_clear()  # the limiter's bounded cache of parsed addresses is not the backend's
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert backend.counters == 1_000
    per_log = held / backend.counters
    assert per_log < 450, f"{per_log:.0f} bytes per log"  # the module's estimate: about 400


def test_threads_never_exceed_the_limit() -> None:
    backend = MemoryBackend()
    clock = FakeClock(START)
    rate = limiter(backend, clock)
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def hammer() -> None:
        start.wait()
        for _ in range(50):
            decision = rate.check("/api/projects", "192.0.2.1", user="alice")
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=hammer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(allowed), allowed.count(True)) == (1_000, 60)
    assert backend.entries == 120  # 60 for the IP, 60 for the user


def test_a_clock_stepping_back_never_allows_more() -> None:
    clock = FakeClock(START)
    rate = limiter(MemoryBackend(), clock)
    assert all(rate.check("/api/auth/login", "192.0.2.1").allowed for _ in range(3))
    clock.advance(-30)  # NTP stepped the wall clock back
    assert all(rate.check("/api/auth/login", "192.0.2.1").allowed for _ in range(2))
    refused = rate.check("/api/auth/login", "192.0.2.1")
    assert (refused.allowed, refused.retry_after_s) == (False, 90)  # counted from the latest time seen
    clock.advance(90)
    assert rate.check("/api/auth/login", "192.0.2.1").allowed


def test_invalid_bounds() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MemoryBackend(max_counters=0)
