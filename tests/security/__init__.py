"""Tests of the security primitives, and the helpers they share."""

from __future__ import annotations

from reviewlab.security.keys import derive_key
from reviewlab.security.tokens import JWT_KEY_LABEL

START = 1_800_000_000.0  # a fixed epoch second for tests that move time


class FakeClock:
    """Seconds since the epoch that move only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def jwt_key(secret: bytes = b"test-jwt-secret") -> bytes:
    """A signing key derived the way the service derives it from JWT_SECRET_KEY."""
    return derive_key(secret, JWT_KEY_LABEL, length=64)
