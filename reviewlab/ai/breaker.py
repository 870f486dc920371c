"""A circuit breaker per provider, with the seed's numbers (section 4.4).

CLOSED: calls go through; ``failure_threshold`` (5) consecutive failures open the circuit.
OPEN: calls are refused with :class:`CircuitOpen` until ``recovery_timeout_s`` (60 s) have passed.
HALF_OPEN: trial calls go through; ``success_threshold`` (3) successes close the circuit, one failure
re-opens it for another ``recovery_timeout_s``.

The clock is injectable (monotonic seconds) so tests move time instead of sleeping. The state is
shared by every thread calling the provider; the lock is held for a few attribute updates only, and
the CLOSED path of :meth:`CircuitBreaker.allow` reads one attribute without taking it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from reviewlab.ai.base import CircuitOpen

Clock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """A breaker's state for health checks and metrics; ``opened_at`` is on the breaker's clock."""

    state: BreakerState
    failures: int  # consecutive failures while closed (the count that opens it)
    opened_at: float | None
    half_open_successes: int
    retry_in_s: float  # seconds until an open circuit lets a trial call through (0 otherwise)


class CircuitBreaker:
    """The circuit of one provider. Call :meth:`allow` before a call, then record its outcome."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        recovery_timeout_s: float = 60.0,
        success_threshold: int = 3,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or success_threshold < 1 or recovery_timeout_s < 0:
            raise ValueError("thresholds must be at least 1 and the recovery timeout 0 or more")
        self.name = name
        self.failure_threshold = failure_threshold
        self.recovery_timeout_s = recovery_timeout_s
        self.success_threshold = success_threshold
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._successes = 0
        self._opened_at: float | None = None

    def allow(self) -> None:
        """Let a call through or raise :class:`CircuitOpen`; an OPEN circuit past its timeout turns HALF_OPEN."""
        if self._state is BreakerState.CLOSED:
            return
        with self._lock:
            if self._state is BreakerState.OPEN:
                waited = self._clock() - (self._opened_at or 0.0)
                if waited < self.recovery_timeout_s:
                    raise CircuitOpen(
                        self.name,
                        f"circuit open after {self.failure_threshold} consecutive failures; "
                        f"next trial in {self.recovery_timeout_s - waited:.0f} s",
                    )
                self._state = BreakerState.HALF_OPEN
                self._successes = 0

    def is_open(self) -> bool:
        """Whether :meth:`allow` would refuse a call now (without changing the state)."""
        state = self._state
        if state is not BreakerState.OPEN:
            return False
        with self._lock:
            opened_at = self._opened_at
            return opened_at is not None and self._clock() - opened_at < self.recovery_timeout_s

    def record_success(self) -> None:
        state = self._state
        if state is BreakerState.CLOSED and self._failures == 0:
            return
        with self._lock:
            if self._state is BreakerState.HALF_OPEN:
                self._successes += 1
                if self._successes >= self.success_threshold:
                    self._close()
            elif self._state is BreakerState.CLOSED:
                self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            if self._state is BreakerState.HALF_OPEN:
                self._open()
            elif self._state is BreakerState.CLOSED:
                self._failures += 1
                if self._failures >= self.failure_threshold:
                    self._open()
            # OPEN: a call admitted before the circuit opened finished late; the circuit stays open as it is.

    def reset(self) -> None:
        """Close the circuit and forget the failures (an operator's override)."""
        with self._lock:
            self._close()

    @property
    def state(self) -> BreakerState:
        """The state a call would meet now: an OPEN circuit past its recovery timeout reads HALF_OPEN."""
        return self.snapshot().state

    @property
    def failures(self) -> int:
        return self._failures

    @property
    def opened_at(self) -> float | None:
        return self._opened_at

    def snapshot(self) -> BreakerSnapshot:
        with self._lock:
            state, retry_in = self._state, 0.0
            if state is BreakerState.OPEN and self._opened_at is not None:
                retry_in = self.recovery_timeout_s - (self._clock() - self._opened_at)
                if retry_in <= 0:
                    state, retry_in = BreakerState.HALF_OPEN, 0.0
            return BreakerSnapshot(state, self._failures, self._opened_at, self._successes, retry_in)

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._successes = 0

    def _close(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._successes = 0
        self._opened_at = None
