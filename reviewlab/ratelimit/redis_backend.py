"""The Redis backend: sliding-window logs in Redis, shared by every API process.

Keys (the seed's ``ratelimit:`` namespace of section 8.2, one sorted set per window)::

    ratelimit:{scope}:{id}:{rule}:{window}     e.g. ratelimit:ip:203.0.113.7:login:minute
                                                    ratelimit:user:42:analyze:day

Each member is one allowed request, scored by its time in milliseconds on the limiter's clock (not
Redis ``TIME``, so every process and the tests agree on the clock that is passed in; the API hosts'
clocks must be NTP-synchronised). A set holds at most ``limit`` members (refused requests are not
added) and expires ``window`` after its newest request (``PEXPIRE`` on every add), so Redis holds
nothing for a client that went quiet and never more than the limits for one that did not: about
130 bytes a request per window, 1.4 MB for a client that uses the whole daily ``/api/*`` allowance.

One Lua script per check does it all atomically for every key of the request (IP and user, all
windows): drop the members that left their window, count, and add the request to every set only when
every count is below its limit. Concurrent processes therefore share one limit exactly, and a refused
request consumes nothing. All keys go to one script call, so this needs a single Redis (or Sentinel),
not Redis Cluster.

Outage: any Redis error (connection refused, timeout, a read-only replica, out of memory) makes the
backend answer from its in-process fallback (:class:`~reviewlab.ratelimit.memory.MemoryBackend`) for
``outage_cooldown_s`` and log a warning; then it tries Redis again. The API stays up with per-process
limits meanwhile (N processes allow up to N times the limit); counts made during the outage are not
copied to Redis. Errors that are not Redis errors (bugs) propagate.
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reviewlab.ratelimit.base import Backend, Counter, Outcome, Usage
from reviewlab.ratelimit.memory import MemoryBackend

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

# KEYS: one sorted set per (counter, window). ARGV: now_ms, member, then window_ms and limit per key.
# Returns {allowed, count_1, release_1, count_2, release_2, ...}; release is -1 for an empty window.
SLIDING_LOG_LUA = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local allowed = 1
local out = {0}
for i = 1, #KEYS do
  local window = tonumber(ARGV[1 + 2 * i])
  local limit = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  local release = -1
  if count > 0 then
    local index = math.max(0, count - limit)
    local oldest = redis.call('ZRANGE', KEYS[i], index, index, 'WITHSCORES')
    release = tonumber(oldest[2]) + window
  end
  if count >= limit then allowed = 0 end
  out[2 * i] = count
  out[2 * i + 1] = release
end
if allowed == 1 then
  for i = 1, #KEYS do
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], ARGV[1 + 2 * i])
  end
end
out[1] = allowed
return out
"""


class RedisBackend:
    """Sliding-window logs in Redis (one Lua script per check); a Redis outage falls back to ``fallback``."""

    name = "redis"

    def __init__(
        self,
        client: redis.Redis,
        *,
        fallback: Backend | None = None,
        outage_cooldown_s: float = 30.0,
    ) -> None:
        if outage_cooldown_s < 0:
            raise ValueError("outage_cooldown_s must be 0 or more")
        self._client = client
        self._script = client.register_script(SLIDING_LOG_LUA)
        self.fallback: Backend = fallback if fallback is not None else MemoryBackend()
        self._cooldown_ms = round(outage_cooldown_s * 1000)
        self._down_until_ms: int | None = None
        self._members = itertools.count()
        self._process = secrets.token_hex(4)  # members are unique across processes without a round trip

    @property
    def degraded(self) -> bool:
        """Whether Redis failed and has not answered since (during the cool-down checks go to the fallback)."""
        return self._down_until_ms is not None

    def acquire(self, counters: Sequence[Counter], now_ms: int) -> Outcome:
        import redis

        if self._down_until_ms is not None and now_ms < self._down_until_ms:
            return self.fallback.acquire(counters, now_ms)
        keys: list[str] = []
        args: list[Any] = [now_ms, f"{now_ms}:{self._process}:{next(self._members)}"]
        for counter in counters:
            for window in counter.windows:
                keys.append(f"{counter.key}:{window.name}")
                args += (window.seconds * 1000, window.limit)
        try:
            raw = self._script(keys=keys, args=args, client=self._client)
        except redis.RedisError as err:
            self._outage(err, now_ms)
            return self.fallback.acquire(counters, now_ms)
        if self._down_until_ms is not None:
            self._down_until_ms = None
            log.info("rate limiter reaches Redis again; back to shared limits")
        return _outcome(counters, raw, self.name)

    def close(self) -> None:
        """Forget the fallback's counts and close the Redis client (this backend owns it)."""
        self.fallback.close()
        self._client.close()

    def _outage(self, err: Exception, now_ms: int) -> None:
        self._down_until_ms = now_ms + self._cooldown_ms
        log.warning(
            "rate limiter cannot reach Redis (%s: %s); using in-process limits for %.0f s",
            type(err).__name__,
            err,
            self._cooldown_ms / 1000,
        )


def _outcome(counters: Sequence[Counter], raw: Sequence[int], backend: str) -> Outcome:
    usage: list[tuple[Usage, ...]] = []
    at = 1
    for counter in counters:
        windows = []
        for _ in counter.windows:
            count, release = int(raw[at]), int(raw[at + 1])
            windows.append(Usage(count, release if release >= 0 else None))
            at += 2
        usage.append(tuple(windows))
    return Outcome(bool(raw[0]), tuple(usage), backend)
