"""The rate limiter the API's middleware calls: ``limiter.check(path, ip, user) -> Decision``.

A request is matched to the most specific rule of the table (:mod:`reviewlab.ratelimit.rules`) and
counted against every window of that rule for its client IP and, when a user is signed in, for that
user too; it is allowed only when both pass, and a refused request is not counted anywhere
(:mod:`reviewlab.ratelimit.base`). Paths no rule covers are allowed without touching the backend.

Subjects: the IP is normalised (an IPv4-mapped IPv6 address counts as its IPv4 address; an IPv6
address counts as its ``/64``, the block one client usually holds, so rotating addresses inside it
does not reset the limit; ``ipv6_prefix=128`` limits single addresses). A value that is not an IP
address (a test client's name, a missing client) is used as it is, an empty one as ``unknown``. Ids
longer than 64 characters or with spaces or control characters are replaced by a digest so keys stay
short.

The clock is a callable returning seconds (``time.time`` by default: Redis counts from every API
process must share it), read once per check and rounded to the millisecond; tests pass a fake one and
move it instead of sleeping.

``check`` is synchronous: about 10-15 µs in-process and 0.1 ms on a loopback Redis. An async face can
call it directly or through a worker thread.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import TracebackType
from typing import TYPE_CHECKING

from reviewlab.ratelimit.base import Backend, Counter, Outcome
from reviewlab.ratelimit.decision import Decision, WindowStatus
from reviewlab.ratelimit.memory import MemoryBackend
from reviewlab.ratelimit.rules import DEFAULT_RULES, Rule, RuleTable

if TYPE_CHECKING:
    from reviewlab.settings import Settings

Clock = Callable[[], float]

DEFAULT_KEY_PREFIX = "ratelimit:"


class RateLimiter:
    """Per-IP and per-user sliding-window limits over one backend (in-process or Redis)."""

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        rules: RuleTable = DEFAULT_RULES,
        clock: Clock = time.time,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ipv6_prefix: int = 64,
    ) -> None:
        if not 1 <= ipv6_prefix <= 128:
            raise ValueError("ipv6_prefix must be between 1 and 128")
        self.backend: Backend = backend if backend is not None else MemoryBackend()
        self.rules = rules
        self._clock = clock
        self._prefix = key_prefix
        self._ipv6_prefix = ipv6_prefix

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        rules: RuleTable = DEFAULT_RULES,
        clock: Clock = time.time,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        redis_timeout_s: float = 0.25,
        outage_cooldown_s: float = 30.0,
    ) -> RateLimiter:
        """Redis when ``REDIS_URL`` is set, else in-process.

        The Redis client gets short timeouts and one immediate retry (a stale pooled connection is
        replaced without falling back), so an outage costs at most a couple of timeouts per cool-down.
        """
        if not settings.redis_url:
            return cls(MemoryBackend(), rules=rules, clock=clock, key_prefix=key_prefix)
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from reviewlab.ratelimit.redis_backend import RedisBackend

        client = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=redis_timeout_s,
            socket_timeout=redis_timeout_s,
            retry=Retry(NoBackoff(), 1),
        )
        backend = RedisBackend(client, outage_cooldown_s=outage_cooldown_s)
        return cls(backend, rules=rules, clock=clock, key_prefix=key_prefix)

    def check(self, path: str, ip: str, user: str | None = None) -> Decision:
        """Count this request against its rule for ``ip`` (and ``user`` when signed in) and decide."""
        rule = self.rules.match(path)
        if rule is None:
            return Decision(allowed=True, rule=None)
        base = f"{self._prefix}ip:{client_id(ip, self._ipv6_prefix)}:{rule.id}"
        counters = [Counter("ip", base, rule.windows)]
        if user:
            counters.append(Counter("user", f"{self._prefix}user:{subject_id(user)}:{rule.id}", rule.windows))
        now_ms = round(self._clock() * 1000)
        return decide(rule, counters, self.backend.acquire(counters, now_ms), now_ms)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> RateLimiter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def decide(rule: Rule, counters: Sequence[Counter], outcome: Outcome, now_ms: int) -> Decision:
    """The decision from a backend's outcome: per window the subject with least left; the longest wait refuses."""
    statuses = []
    refusal: tuple[int, str, str] | None = None  # (wait_ms, scope, window)
    for j, window in enumerate(rule.windows):
        window_ms = window.seconds * 1000
        candidates = []  # (remaining, -reset_ms) per subject
        for counter, usage in zip(counters, outcome.usage, strict=True):
            count, release_ms = usage[j].count, usage[j].release_ms
            if outcome.allowed:
                remaining = window.limit - count - 1
                reset_ms = (release_ms if release_ms is not None else now_ms + window_ms) - now_ms
            else:
                remaining = max(0, window.limit - count)
                reset_ms = 0 if release_ms is None else release_ms - now_ms
                if count >= window.limit and release_ms is not None:
                    wait_ms = release_ms - now_ms
                    if refusal is None or wait_ms > refusal[0]:
                        refusal = (wait_ms, counter.scope, window.name)
            candidates.append((remaining, -reset_ms))
        remaining, negative_reset_ms = min(candidates)
        statuses.append(WindowStatus(window.name, window.seconds, window.limit, remaining, _ceil_s(-negative_reset_ms)))
    if outcome.allowed or refusal is None:
        return Decision(True, rule.id, tuple(statuses), backend=outcome.backend)
    wait_ms, scope, window_name = refusal
    return Decision(False, rule.id, tuple(statuses), max(1, _ceil_s(wait_ms)), window_name, scope, outcome.backend)


def _ceil_s(milliseconds: int) -> int:
    return max(0, -(-milliseconds // 1000))


@lru_cache(maxsize=4096)
def client_id(ip: str, ipv6_prefix: int = 64) -> str:
    """The IP as counted: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 as its ``/ipv6_prefix`` network."""
    text = ip.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return subject_id(text or "unknown")
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        drop = 128 - ipv6_prefix
        network = ipaddress.IPv6Network(((int(address) >> drop) << drop, ipv6_prefix))
        return str(network)
    return str(address)


def subject_id(text: str) -> str:
    """``text`` for a key, or a digest of it when it is long or holds spaces or control characters."""
    if len(text) <= 64 and text.isprintable() and " " not in text:
        return text
    return "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
