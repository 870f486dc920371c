"""What a rate-limit backend does: count sliding-window logs and record a request, all or nothing.

A check of one request touches one :class:`Counter` per subject (the client IP, and the user when one
is signed in), each with the windows of the matched rule. :meth:`Backend.acquire` is atomic: it counts
every window of every counter at ``now_ms`` and, only when each count is below its limit, records the
request in all of them. A refused request records nothing, so hammering a closed limit does not push
the reopening further away, and a request refused for the user does not use up the IP's allowance.

Times are integer milliseconds (on the limiter's clock) so both backends agree to the millisecond.
A request recorded at ``t`` counts in a window of ``w`` ms while ``now - w < t``, that is until ``t + w``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from reviewlab.ratelimit.rules import Window


@dataclass(frozen=True, slots=True)
class Counter:
    """One subject under one rule: ``key`` is ``ratelimit:{scope}:{id}:{rule}`` (plus ``:{window}`` per window)."""

    scope: str  # "ip" or "user"
    key: str
    windows: tuple[Window, ...]


@dataclass(frozen=True, slots=True)
class Usage:
    """A window's state before this request: how many requests it holds, and when it next frees a unit.

    ``release_ms`` is when the count drops below the limit again (the oldest request that must leave
    for that, plus the window): the earliest time a refused request would be allowed. When the window
    is not full it is when its oldest request leaves. None when the window is empty.
    """

    count: int
    release_ms: int | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What :meth:`Backend.acquire` found: allowed or not, the usage per counter and window, who answered."""

    allowed: bool
    usage: tuple[tuple[Usage, ...], ...]  # usage[i][j]: counters[i], counters[i].windows[j]
    backend: str  # "memory" or "redis"


class Backend(Protocol):
    """Where the sliding-window logs live."""

    name: str

    def acquire(self, counters: Sequence[Counter], now_ms: int) -> Outcome:
        """Count every window at ``now_ms``; if each is below its limit, record the request in all of them."""
        ...

    def close(self) -> None: ...
