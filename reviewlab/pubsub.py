"""One Redis pub/sub subscription per process, kept alive by a thread: what near caches and event streams listen on.

:class:`Listener` subscribes to channels or patterns on its own connection and hands every message to a
callback. It tells its owner when the subscription is live and when it is lost (``on_live(True/False)``), so the
owner can stop trusting what the messages would have told it: a message can only be lost with its connection.
It pings Redis on the subscription every ``health_check_s`` and treats three intervals without an answer as a
lost connection (a peer gone silent raises no error), then reconnects with growing delays.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

HEALTH_CHECK_S = 5.0
TICK_S = 0.25  # how long a wait for a message lasts before the thread checks for close and pings
PING_MESSAGE = "reviewlab-listener"
RECONNECT_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)


class Listener:
    """A daemon thread subscribed to ``channels`` and ``patterns``; ``on_message(channel, data)`` for each message."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        channels: Sequence[str] = (),
        patterns: Sequence[str] = (),
        on_message: Callable[[str, str], None],
        on_live: Callable[[bool], None] = lambda live: None,
        name: str = "redis-listener",
        health_check_s: float = HEALTH_CHECK_S,
    ) -> None:
        if not channels and not patterns:
            raise ValueError("a listener needs a channel or a pattern")
        self._client = client
        self._channels = tuple(channels)
        self._patterns = tuple(patterns)
        self._on_message = on_message
        self._on_live = on_live
        self.health_check_s = health_check_s
        self._closed = threading.Event()
        self._live = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def live(self) -> bool:
        """Whether the subscription is in place (messages published now will arrive)."""
        return self._live.is_set()

    def wait_live(self, timeout_s: float) -> bool:
        """Wait until the subscription is in place; whether it is."""
        return self._live.wait(timeout_s)

    def close(self) -> None:
        """Stop the thread (within a tick) and drop the subscription."""
        self._closed.set()
        self._thread.join(timeout=TICK_S + 5)

    def _run(self) -> None:
        import redis

        failures = 0
        while not self._closed.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=False)  # type: ignore[no-untyped-call]
            try:
                if self._channels:
                    pubsub.subscribe(*self._channels)
                if self._patterns:
                    pubsub.psubscribe(*self._patterns)
                failures = self._listen(pubsub, failures)
            except (redis.RedisError, OSError, ValueError) as err:
                self._set_live(False)
                if failures == 0:
                    log.warning("%s: Redis subscription lost (%s); retrying", self._thread.name, err)
                self._closed.wait(RECONNECT_DELAYS_S[min(failures, len(RECONNECT_DELAYS_S) - 1)])
                failures += 1
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    pubsub.close()
        self._set_live(False)

    def _listen(self, pubsub: Any, failures: int) -> int:
        import redis

        expected = len(self._channels) + len(self._patterns)
        confirmed = 0
        heard = pinged = time.monotonic()
        while not self._closed.is_set():
            message = pubsub.get_message(timeout=TICK_S)
            now = time.monotonic()
            if message is not None:
                heard = now
                kind = message["type"]
                if kind in ("subscribe", "psubscribe"):
                    confirmed += 1
                    if confirmed == expected:
                        self._set_live(True)
                        if failures:
                            log.info("%s: Redis subscription back", self._thread.name)
                        failures = 0
                elif kind in ("message", "pmessage"):
                    self._on_message(_text(message["channel"]), _text(message["data"]))
            if now - heard > 3 * self.health_check_s:
                raise redis.ConnectionError(f"no answer on the subscription for {now - heard:.0f} s")
            if now - pinged >= self.health_check_s:
                pubsub.ping(PING_MESSAGE)  # the answer arrives as a "pong" message
                pinged = now
        return failures

    def _set_live(self, live: bool) -> None:
        """Tell the owner: of every subscription made, and of a loss if it had been told of a subscription."""
        if live:
            self._on_live(True)
            self._live.set()  # after the owner knows: a wait_live that returns finds it ready
        elif self._live.is_set():
            self._live.clear()
            self._on_live(False)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
