"""The answer to one check, and the HTTP headers that describe it.

A :class:`Decision` says whether the request may go on; if not, which window of which scope refused
it and ``retry_after_s``, the whole seconds after which the same request would be allowed (at least 1,
for ``Retry-After``). For each window of the rule it gives the limit, what remains after this request
and ``reset_after_s``, the seconds until the window's oldest counted request leaves it (one more unit
becomes free); with an IP and a user, each window reports the scope with less left.

:meth:`Decision.headers` renders them the way the API sends them: ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` (IETF draft ``ratelimit-headers``, delta seconds) for
the window closest to refusing, ``RateLimit-Policy`` listing every window (``5;w=60, 20;w=3600,
100;w=86400``), the same three values as ``X-RateLimit-*`` for older clients, and ``Retry-After`` on
a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WindowStatus:
    """One window of the rule after this check."""

    name: str  # "minute", "hour", "day"
    seconds: int
    limit: int
    remaining: int
    reset_after_s: int  # 0 when the window holds no request


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go on, and the numbers for the rate-limit headers."""

    allowed: bool
    rule: str | None  # None: no rule covers the path, it is not limited
    windows: tuple[WindowStatus, ...] = ()
    retry_after_s: int = 0  # at least 1 when refused
    refused_window: str | None = None
    refused_scope: str | None = None  # "ip" or "user"
    backend: str = "none"  # who counted: "redis", "memory" (also the fallback during a Redis outage)

    @property
    def remaining(self) -> dict[str, int]:
        """What is left in each window after this request, by window name."""
        return {w.name: w.remaining for w in self.windows}

    def window(self, name: str) -> WindowStatus:
        for status in self.windows:
            if status.name == name:
                return status
        raise KeyError(name)

    @property
    def binding(self) -> WindowStatus | None:
        """The window the headers describe: the one that refused, else the one with least left."""
        if not self.windows:
            return None
        if self.refused_window is not None:
            return self.window(self.refused_window)
        return min(self.windows, key=lambda w: (w.remaining, -w.reset_after_s))

    def headers(self) -> dict[str, str]:
        """``RateLimit-*``, ``X-RateLimit-*`` and, when refused, ``Retry-After``; empty for an unlimited path."""
        binding = self.binding
        if binding is None:
            return {}
        reset = self.retry_after_s if not self.allowed else binding.reset_after_s
        values = {"Limit": str(binding.limit), "Remaining": str(binding.remaining), "Reset": str(reset)}
        headers = {f"RateLimit-{name}": value for name, value in values.items()}
        headers["RateLimit-Policy"] = ", ".join(f"{w.limit};w={w.seconds}" for w in self.windows)
        headers |= {f"X-RateLimit-{name}": value for name, value in values.items()}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers
