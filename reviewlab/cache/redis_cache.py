"""The Redis cache: values shared by every API process, dropped a whole group at a time in O(1).

Keys, under a prefix (``reviewlab:`` by default, so the caches share a Redis with other users)::

    {prefix}{group}:gen              the group's generation: absent means 0, INCR to invalidate
    {prefix}{group}:g{gen}:{key}     a value, SET with PX (its TTL)
    e.g. reviewlab:project:42:gen    reviewlab:project:42:g3:summary    reviewlab:session:f0e1:g0:csrf

Reads and writes fold the current generation into the key, in one Lua script per call (so this needs a
single Redis or Sentinel, not Redis Cluster). ``invalidate`` is one ``INCR``: every older value becomes
unreachable at once, without ``SCAN`` or ``DEL``, and expires on its own. ``invalidate`` and ``delete``
also publish what they dropped on ``{prefix}cache:invalidations``, in the same script, for the processes'
near copies (:mod:`~reviewlab.cache.near`). The generation key lives
``max_ttl_s`` past the last write or invalidation of its group (no value may live longer), so it cannot
vanish, and restart counting at 0, while an older value could still be reached again: Redis never
keeps a generation key for a group that went quiet.

Outage: any Redis error (refused, timeout, read-only replica, out of memory) makes the cache answer
misses and drop writes for ``outage_cooldown_s``, with one warning per outage and an info line when
Redis answers again; it never raises into the request. An ``invalidate`` that fails is remembered (up
to ``MAX_PENDING`` groups) and replayed first when Redis answers again, so a project's results from
before a new review are not served after the outage. Errors that are not Redis errors (bugs) propagate.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reviewlab.cache.base import check_group, check_key, check_ttl, encode

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

MAX_PENDING = 10_000

# KEYS[1]: the generation key. ARGV: value key up to the generation, the key, and for SET the payload,
# the generation key's TTL and the value's TTL (ms).
GET_LUA = """
local generation = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])
"""
SET_LUA = """
local generation = redis.call('GET', KEYS[1])
if generation then redis.call('PEXPIRE', KEYS[1], ARGV[4]) else generation = '0' end
redis.call('SET', ARGV[1] .. generation .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[5])
return generation
"""
# DELETE and INVALIDATE also publish what they dropped on the invalidation channel (ARGV[3] / ARGV[2]), in the
# same call, for the processes' near copies (``reviewlab.cache.near``): the group, then for DELETE \x1f and the key.
DELETE_LUA = """
local generation = redis.call('GET', KEYS[1]) or '0'
local deleted = redis.call('DEL', ARGV[1] .. generation .. ':' .. ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return deleted
"""
INVALIDATE_LUA = """
local generation = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return generation
"""
SEPARATOR = "\x1f"  # between group and key in an invalidation message (neither may hold a control character)

_T = TypeVar("_T")


class RedisTtlCache:
    """A TTL cache in Redis with O(1) group invalidation; an outage behaves as misses (see the module)."""

    name = "redis"

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "reviewlab:",
        max_ttl_s: float = 86_400.0,
        outage_cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if outage_cooldown_s < 0:
            raise ValueError("outage_cooldown_s must be 0 or more")
        self._client = client
        self.prefix = prefix
        self.max_ttl_s = check_ttl(max_ttl_s)
        self._cooldown_s = outage_cooldown_s
        self._clock = clock
        self._get = client.register_script(GET_LUA)
        self._set = client.register_script(SET_LUA)
        self._delete = client.register_script(DELETE_LUA)
        self._invalidate = client.register_script(INVALIDATE_LUA)
        self._lock = threading.Lock()
        self._down_until: float | None = None
        self._pending: set[str] = set()  # groups whose invalidation failed during an outage

    @property
    def degraded(self) -> bool:
        """Whether Redis failed and has not answered since."""
        return self._down_until is not None

    @property
    def channel(self) -> str:
        """The pub/sub channel every ``delete`` and ``invalidate`` is published on."""
        return f"{self.prefix}cache:invalidations"

    def generation_key(self, group: str) -> str:
        return f"{self.prefix}{check_group(group)}:gen"

    def get(self, group: str, key: str) -> Any | None:
        payload = self.get_payload(group, key)
        return None if payload is None else self.decode(group, key, payload)

    def peek(self, group: str, key: str) -> Any | None:
        """None: every value is in Redis, a round trip away (``NearCache`` keeps local copies)."""
        return None

    def get_payload(self, group: str, key: str) -> str | None:
        """The value as stored (JSON text), or None; what ``get`` decodes."""
        raw = self._attempt(lambda: self._get(keys=[self.generation_key(group)], args=self._args(group, key)))
        if raw is None:
            return None
        try:
            return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        except UnicodeDecodeError:
            log.warning("cache value %s/%s in Redis is not JSON (not UTF-8 text); treated as a miss", group, key)
            return None

    @staticmethod
    def decode(group: str, key: str, payload: str) -> Any | None:
        """``payload`` decoded, or None (a miss, with a warning) when it is not JSON."""
        try:
            return json.loads(payload)
        except json.JSONDecodeError:
            log.warning("cache value %s/%s in Redis is not JSON; treated as a miss", group, key)
            return None

    def set(self, group: str, key: str, value: Any, ttl_s: float) -> None:
        self.set_payload(group, key, encode(value), ttl_s)

    def set_payload(self, group: str, key: str, payload: str, ttl_s: float) -> None:
        """Store a value already encoded as JSON text (what ``set`` stores for ``value``)."""
        if check_ttl(ttl_s) > self.max_ttl_s:
            raise ValueError(f"ttl_s {ttl_s} is over this cache's max_ttl_s {self.max_ttl_s}")
        args: list[str | int] = [*self._args(group, key), payload, _ms(self.max_ttl_s), _ms(ttl_s)]
        self._attempt(lambda: self._set(keys=[self.generation_key(group)], args=args))

    def delete(self, group: str, key: str) -> None:
        args = [*self._args(group, key), self.channel, f"{group}{SEPARATOR}{key}"]
        self._attempt(lambda: self._delete(keys=[self.generation_key(group)], args=args))

    def invalidate(self, group: str) -> None:
        done = self._attempt(lambda: self._invalidate_now(group))
        if done is None:
            with self._lock:
                if len(self._pending) < MAX_PENDING:
                    self._pending.add(group)
                else:
                    log.error("cache invalidation of %s lost: %d are already waiting for Redis", group, MAX_PENDING)

    def _invalidate_now(self, group: str) -> Any:
        args: list[str | int] = [_ms(self.max_ttl_s), self.channel, check_group(group)]
        return self._invalidate(keys=[self.generation_key(group)], args=args)

    def close(self) -> None:
        """Close the Redis client (this cache owns it)."""
        self._client.close()

    def _args(self, group: str, key: str) -> list[str]:
        return [f"{self.prefix}{check_group(group)}:g", check_key(key)]

    def _attempt(self, call: Callable[[], _T]) -> _T | None:
        """``call()`` on Redis, or None during an outage (replaying missed invalidations first)."""
        import redis

        now = self._clock()
        if self._down_until is not None and now < self._down_until:
            return None
        try:
            self._replay()
            result = call()
        except redis.RedisError as err:
            self._outage(err, now)
            return None
        if self._down_until is not None:
            self._down_until = None
            log.info("cache reaches Redis again")
        return result

    def _replay(self) -> None:
        while self._pending:
            with self._lock:
                if not self._pending:
                    return
                group = next(iter(self._pending))
            self._invalidate_now(group)
            with self._lock:
                self._pending.discard(group)

    def _outage(self, err: Exception, now: float) -> None:
        first = self._down_until is None
        self._down_until = now + self._cooldown_s
        if first:
            log.warning(
                "cache cannot reach Redis (%s: %s); answering misses, retrying every %.0f s",
                type(err).__name__,
                err,
                self._cooldown_s,
            )


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
