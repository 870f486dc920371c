"""Retries: exponential backoff with full jitter, Retry-After honoured, only transient failures, a time budget."""

from __future__ import annotations

from typing import Any

import pytest

from reviewlab.ai.base import (
    CircuitOpen,
    InvalidAnswer,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)
from reviewlab.ai.retry import Retrier, RetryPolicy
from tests.ai.fakes import FakeClock


class Flaky:
    """Raises the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def retrier(clock: FakeClock, rand: float = 0.999, **policy: Any) -> Retrier:
    return Retrier(RetryPolicy(**policy), sleep=clock.sleep, random=lambda: rand, clock=clock)


@pytest.mark.parametrize(
    "error",
    [ProviderTimeout("p", "slow"), ProviderUnavailable("p", "HTTP 503"), RateLimited("p", "HTTP 429")],
    ids=lambda e: type(e).__name__,
)
def test_transient_failures_are_retried(error: ProviderError) -> None:
    clock = FakeClock()
    fn = Flaky(error, error)
    assert retrier(clock).call(fn) == "ok"
    assert fn.calls == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [InvalidAnswer("p", "bad json"), QuotaExceeded("p", "over"), CircuitOpen("p", "open")],
    ids=lambda e: type(e).__name__,
)
def test_other_declared_failures_are_not_retried(error: ProviderError) -> None:
    clock = FakeClock()
    fn = Flaky(error)
    with pytest.raises(type(error)):
        retrier(clock).call(fn)
    assert fn.calls == 1
    assert clock.sleeps == []


def test_a_programming_error_propagates_at_once() -> None:
    clock = FakeClock()
    fn = Flaky(TypeError("chat() got an unexpected keyword argument"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        retrier(clock).call(fn)
    assert fn.calls == 1


def test_the_last_failure_is_raised_after_max_attempts() -> None:
    clock = FakeClock()
    errors = [ProviderTimeout("p", f"slow {i}") for i in range(5)]
    fn = Flaky(*errors)
    with pytest.raises(ProviderTimeout, match="slow 2"):
        retrier(clock, max_attempts=3).call(fn)
    assert fn.calls == 3


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=3.0)
    assert [policy.backoff_s(n, 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff_s(3, 0.0) == 0.0
    assert policy.backoff_s(3, 0.25) == 0.5


def test_waits_stay_within_the_jitter_bounds() -> None:
    draws = iter([0.999, 0.0, 0.5, 0.31, 0.999])
    clock = FakeClock()
    r = Retrier(
        RetryPolicy(max_attempts=6, base_delay_s=0.5, max_delay_s=4.0, budget_s=1e9),
        sleep=clock.sleep,
        random=draws.__next__,
        clock=clock,
    )
    fn = Flaky(*(ProviderUnavailable("p", "down") for _ in range(5)))
    assert r.call(fn) == "ok"
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0]
    assert len(clock.sleeps) == 5
    for wait, ceiling in zip(clock.sleeps, ceilings, strict=True):
        assert 0.0 <= wait < ceiling
    assert clock.sleeps == pytest.approx([0.4995, 0.0, 1.0, 1.24, 3.996])  # each a random share of its ceiling


def test_retry_after_is_the_minimum_wait() -> None:
    clock = FakeClock()
    fn = Flaky(RateLimited("p", "HTTP 429", retry_after_s=7.0))
    assert retrier(clock, rand=0.1).call(fn) == "ok"
    assert clock.sleeps == [7.0]


def test_a_retry_after_past_the_cap_gives_the_provider_up_at_once() -> None:
    clock = FakeClock()
    fn = Flaky(RateLimited("p", "HTTP 429", retry_after_s=120.0))
    with pytest.raises(RateLimited):
        retrier(clock, max_retry_after_s=30.0).call(fn)
    assert fn.calls == 1
    assert clock.sleeps == []


def test_no_retry_starts_past_the_deadline() -> None:
    clock = FakeClock()
    r = retrier(clock, rand=0.999, base_delay_s=1.0, max_delay_s=8.0, max_attempts=10, budget_s=4.0)
    deadline = r.deadline()
    fn = Flaky(*(ProviderUnavailable("p", "down") for _ in range(9)))
    with pytest.raises(ProviderUnavailable):
        r.call(fn, deadline=deadline)
    assert sum(clock.sleeps) <= 4.0
    assert clock.now <= deadline
    assert fn.calls == 3  # waits of ~1 and ~2 s fit in 4 s, the next (~4 s) would not


def test_on_retry_sees_each_retry() -> None:
    clock = FakeClock()
    seen: list[tuple[str, int, float]] = []
    fn = Flaky(ProviderTimeout("p", "a"), ProviderTimeout("p", "b"))
    retrier(clock, rand=0.5).call(fn, on_retry=lambda e, tries, wait: seen.append((e.message, tries, wait)))
    assert seen == [("a", 1, 0.25), ("b", 2, 0.5)]


def test_policy_validation() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="0 or more"):
        RetryPolicy(base_delay_s=-1)


def test_a_misconfigured_provider_is_not_retried() -> None:
    from reviewlab.ai.base import ProviderMisconfigured
    from reviewlab.ai.retry import Retrier, RetryPolicy

    calls: list[int] = []
    waits: list[float] = []

    def fail() -> None:
        calls.append(1)
        raise ProviderMisconfigured("openai", "key rejected")

    retrier = Retrier(RetryPolicy(max_attempts=3), sleep=waits.append, random=lambda: 0.5)
    with pytest.raises(ProviderMisconfigured):
        retrier.call(fail)
    assert (len(calls), waits) == (1, [])
    assert RetryPolicy().delay_s(ProviderMisconfigured("x", "y"), 1, 0.5) is None
