"""The Redis cache with a near copy in each process, kept in step by Redis pub/sub.

Every API process reads the session user (L1) on every request and a project's findings (L2) on every
result page. With Redis alone each read is a network round trip, and one an API process has to make on a
worker thread. :class:`NearCache` keeps what this process read from or wrote to Redis in a small local
store as well, so a repeated read is a dictionary lookup, which ``peek`` answers on the event loop.

Staying correct is the point of the design:

* Every ``invalidate`` and ``delete`` of the Redis cache, from any process (API or worker, near copies or
  not), is published on a channel of the cache's prefix in the same script that makes it. Each process's
  listener thread drops its local copies of that group (or key) when the message arrives.
* The local copies are used only while the listener is subscribed. When the subscription breaks (Redis
  restarted, the connection cut), every local copy is dropped at once and reads go to Redis, until the
  listener has subscribed again. A message can be lost only with its connection, and a lost
  connection empties the store.
* A value read from Redis is kept locally only if no invalidation arrived while it was read (an epoch
  counted by the listener), so an invalidation racing the read cannot leave an older value behind.
* A local copy lives at most ``near_ttl_s`` (default 10 s) however long its Redis value lives, which
  bounds what a silently dead connection (no error, no message) could keep. The listener pings Redis
  on its connection every few seconds, so such a connection is found and replaced.
* Values over ``max_value_bytes`` (256 KiB) are not copied locally, and the store is bounded at
  ``max_entries`` values and 32 MiB of JSON (least recently used dropped first).

Values stay JSON copies as in every backend: a read decodes a fresh value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reviewlab.cache.base import encode
from reviewlab.cache.memory import MemoryTtlCache
from reviewlab.cache.redis_cache import SEPARATOR, RedisTtlCache
from reviewlab.pubsub import HEALTH_CHECK_S, Listener

if TYPE_CHECKING:
    import redis

NEAR_TTL_S = 10.0
MAX_NEAR_ENTRIES = 10_000
MAX_NEAR_CHARS = 32 * 1024 * 1024  # JSON text of all near copies together
MAX_VALUE_BYTES = 256 * 1024


class NearCache:
    """A :class:`RedisTtlCache` with local copies in this process, invalidated over Redis pub/sub."""

    name = "redis+near"

    def __init__(
        self,
        remote: RedisTtlCache,
        client: redis.Redis,
        *,
        near_ttl_s: float = NEAR_TTL_S,
        max_entries: int = MAX_NEAR_ENTRIES,
        max_value_bytes: int = MAX_VALUE_BYTES,
        clock: Callable[[], float] = time.monotonic,
        health_check_s: float = HEALTH_CHECK_S,
        start: bool = True,
    ) -> None:
        self.remote = remote
        self.near_ttl_s = near_ttl_s
        self.max_value_bytes = max_value_bytes
        self.health_check_s = health_check_s
        self._client = client
        self._local = MemoryTtlCache(max_entries, max_chars=MAX_NEAR_CHARS, clock=clock)
        self._lock = threading.Lock()
        self._epoch = 0  # counts the invalidations and reconnections this process has seen
        self._live = False  # subscribed: local copies may be used
        self._listener: Listener | None = None
        if start:
            self.start()

    @property
    def live(self) -> bool:
        """Whether the listener is subscribed, so local copies are used."""
        return self._live

    def start(self) -> None:
        """Start listening for invalidations (done by the constructor unless ``start=False``)."""
        if self._listener is None:
            self._listener = Listener(
                self._client,
                channels=[self.remote.channel],
                on_message=lambda channel, message: self._drop(message),
                on_live=self._set_live,
                name="cache-invalidations",
                health_check_s=self.health_check_s,
            )

    def wait_live(self, timeout_s: float) -> bool:
        """Wait until the listener is subscribed; whether it is."""
        return self._listener is not None and self._listener.wait_live(timeout_s) and self._live

    def peek(self, group: str, key: str) -> Any | None:
        """The local copy, without any I/O (None when there is none, or local copies are off)."""
        return self._local.get(group, key) if self._live else None

    def get(self, group: str, key: str) -> Any | None:
        if self._live:
            value = self._local.get(group, key)
            if value is not None:
                return value
        epoch = self._epoch
        payload = self.remote.get_payload(group, key)
        if payload is None:
            return None
        value = self.remote.decode(group, key, payload)
        if value is not None:
            self._keep(group, key, payload, epoch)
        return value

    def set(self, group: str, key: str, value: Any, ttl_s: float) -> None:
        epoch, payload = self._epoch, encode(value)
        self.remote.set_payload(group, key, payload, ttl_s)
        self._keep(group, key, payload, epoch, ttl_s)

    def delete(self, group: str, key: str) -> None:
        self.remote.delete(group, key)  # and published, for the other processes
        self._drop(f"{group}{SEPARATOR}{key}")  # now, not when the message comes back: read your own writes

    def invalidate(self, group: str) -> None:
        self.remote.invalidate(group)  # and published, for the other processes
        self._drop(group)

    def close(self) -> None:
        """Stop the listener and close the Redis client."""
        if self._listener is not None:
            self._listener.close()
        self._set_live(False)
        self.remote.close()

    # --- local copies ------------------------------------------------------------------------------

    def _keep(self, group: str, key: str, payload: str, epoch: int, ttl_s: float | None = None) -> None:
        if len(payload) > self.max_value_bytes:
            return
        ttl = self.near_ttl_s if ttl_s is None else min(ttl_s, self.near_ttl_s)
        with self._lock:  # no invalidation may slip between the epoch check and the store
            if self._live and self._epoch == epoch:
                self._local.set_payload(group, key, payload, ttl)

    def _drop(self, message: str) -> None:
        group, _, key = message.partition(SEPARATOR)
        with self._lock:
            self._epoch += 1
            if key:
                self._local.delete(group, key)
            else:
                self._local.invalidate(group)

    def _set_live(self, live: bool) -> None:
        """The listener subscribed (copies from now on are kept in step) or lost its subscription (they may not
        be): either way every copy made before goes."""
        with self._lock:
            self._epoch += 1
            self._live = live
            self._local.clear()
