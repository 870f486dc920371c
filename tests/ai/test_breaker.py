"""The circuit breaker with the seed's numbers: 5 failures open it, 60 s later it half-opens, 3 successes close it."""

from __future__ import annotations

import threading

import pytest

from reviewlab.ai.base import CircuitOpen
from reviewlab.ai.breaker import BreakerState, CircuitBreaker
from tests.ai.fakes import FakeClock


def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("ollama", clock=clock)


def fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        b.allow()
        b.record_failure()


def test_defaults_are_the_seeds_numbers() -> None:
    b = CircuitBreaker("ollama")
    assert (b.failure_threshold, b.recovery_timeout_s, b.success_threshold) == (5, 60.0, 3)
    assert b.state is BreakerState.CLOSED


def test_four_failures_keep_it_closed_and_the_fifth_opens_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 4)
    assert b.state is BreakerState.CLOSED
    assert b.failures == 4
    fail(b, 1)
    assert b.state is BreakerState.OPEN
    assert b.opened_at == clock.now


def test_a_success_resets_the_consecutive_count() -> None:
    b = breaker(FakeClock())
    fail(b, 4)
    b.record_success()
    fail(b, 4)
    assert b.state is BreakerState.CLOSED
    assert b.failures == 4


def test_an_open_circuit_refuses_calls_until_the_recovery_timeout() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(59.9)
    with pytest.raises(CircuitOpen, match=r"ollama: circuit open after 5 consecutive failures; next trial in 0 s"):
        b.allow()
    assert b.is_open()
    snap = b.snapshot()
    assert snap.state is BreakerState.OPEN
    assert snap.retry_in_s == pytest.approx(0.1)


def test_after_60_s_it_half_opens_and_three_successes_close_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60)
    assert b.state is BreakerState.HALF_OPEN  # what the next call will meet
    assert not b.is_open()
    for _ in range(2):
        b.allow()
        b.record_success()
    assert b.state is BreakerState.HALF_OPEN
    b.allow()
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert (b.failures, b.opened_at) == (0, None)


def test_a_failure_while_half_open_reopens_it_for_another_60_s() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(61)
    b.allow()
    b.record_success()
    b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN
    assert b.opened_at == clock.now
    clock.advance(30)
    with pytest.raises(CircuitOpen):
        b.allow()
    clock.advance(30)
    b.allow()
    assert b.state is BreakerState.HALF_OPEN


def test_a_late_failure_does_not_extend_an_open_circuit() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    opened = b.opened_at
    clock.advance(10)
    b.record_failure()  # a call admitted before it opened, finishing now
    assert b.opened_at == opened


def test_reset_closes_it() -> None:
    b = breaker(FakeClock())
    fail(b, 5)
    b.reset()
    b.allow()
    assert b.state is BreakerState.CLOSED


def test_custom_numbers_and_their_validation() -> None:
    clock = FakeClock()
    b = CircuitBreaker("x", failure_threshold=1, recovery_timeout_s=5, success_threshold=1, clock=clock)
    fail(b, 1)
    assert b.state is BreakerState.OPEN
    clock.advance(5)
    b.allow()
    b.record_success()
    assert b.state is BreakerState.CLOSED
    with pytest.raises(ValueError, match="thresholds"):
        CircuitBreaker("x", failure_threshold=0)


def test_concurrent_failures_open_it_exactly_once() -> None:
    clock = FakeClock()
    b = CircuitBreaker("x", failure_threshold=400, clock=clock)
    threads = [threading.Thread(target=lambda: [b.record_failure() for _ in range(100)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b.state is BreakerState.OPEN
    assert b.failures == 400
