"""Retries of one provider call: exponential backoff with full jitter, within a per-request time budget.

Only transient declared failures are retried: :class:`ProviderTimeout`, :class:`ProviderUnavailable`
and :class:`RateLimited` (waiting at least its Retry-After). :class:`InvalidAnswer`,
:class:`QuotaExceeded` and :class:`CircuitOpen` are not — another try at the same provider would
fail the same way, the orchestrator moves on instead — and exceptions that are not a
``ProviderError`` (programming errors) are never caught here.

The wait before retry ``n`` (1-based) is ``uniform(0, min(max_delay_s, base_delay_s * 2 ** (n - 1)))``
("full jitter"), so clients that failed together do not retry together. A Retry-After longer than
``max_retry_after_s`` is not waited for: the provider is given up on at once. No retry is started
when its wait would end past the request's deadline, which keeps a request's total time bounded.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from reviewlab.ai.base import ProviderError, ProviderMisconfigured, ProviderTimeout, ProviderUnavailable, RateLimited

T = TypeVar("T")

RETRYABLE: tuple[type[ProviderError], ...] = (ProviderTimeout, ProviderUnavailable, RateLimited)

OnRetry = Callable[[ProviderError, int, float], None]  # (error, tries so far, wait before the next try)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one provider call is retried (seconds throughout)."""

    max_attempts: int = 3  # tries per provider, the first included; 1 turns retries off
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0  # cap of one backoff wait
    max_retry_after_s: float = 30.0  # longest Retry-After honoured; a longer one gives the provider up
    budget_s: float = 60.0  # per request, across providers: no retry starts that would end past it

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay_s, self.max_delay_s, self.max_retry_after_s, self.budget_s) < 0:
            raise ValueError("delays and the budget must be 0 or more")

    def backoff_s(self, retry: int, rand: float) -> float:
        """The full-jitter wait before retry number ``retry`` (1-based) for ``rand`` in [0, 1)."""
        return rand * min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))

    def delay_s(self, error: ProviderError, retry: int, rand: float) -> float | None:
        """The wait before retry ``retry`` after ``error``, or None when ``error`` is not worth retrying."""
        if not isinstance(error, RETRYABLE) or isinstance(error, ProviderMisconfigured):
            return None
        delay = self.backoff_s(retry, rand)
        if isinstance(error, RateLimited) and error.retry_after_s is not None:
            if error.retry_after_s > self.max_retry_after_s:
                return None
            delay = max(delay, error.retry_after_s)
        return delay


class Retrier:
    """Runs a call under a :class:`RetryPolicy`; sleep, randomness and the clock are injectable for tests."""

    __slots__ = ("_clock", "_random", "_sleep", "policy")

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._random = random
        self._clock = clock

    def deadline(self) -> float:
        """The end of a request's retry budget if it starts now (on the retrier's clock)."""
        return self._clock() + self.policy.budget_s

    def call(self, fn: Callable[[], T], *, deadline: float | None = None, on_retry: OnRetry | None = None) -> T:
        """``fn()``, retried on transient failures; the last failure is raised when retrying stops."""
        policy = self.policy
        tries = 1
        while True:
            try:
                return fn()
            except RETRYABLE as err:
                if tries >= policy.max_attempts or isinstance(err, ProviderMisconfigured):
                    raise
                delay = policy.delay_s(err, tries, self._random())
                if delay is None or (deadline is not None and self._clock() + delay > deadline):
                    raise
                if on_retry is not None:
                    on_retry(err, tries, delay)
                self._sleep(delay)
                tries += 1
