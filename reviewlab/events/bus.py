"""One bus for domain events: ``RedisStreamsBus`` (XADD to ``reviewlab:events``, consumer groups with
XREADGROUP/XACK) when ``REDIS_URL`` is set, ``InProcessBus`` otherwise.

Both give each consumer group every event published after the group's stream position, at least once: a
message read but not acknowledged stays pending for the consumer that read it, and that consumer gets it again
on its next ``read`` (a restarted worker with the same consumer name picks up where it crashed);
``claim_stale`` hands another consumer's messages idle for long enough to the caller.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from reviewlab.events.model import DomainEvent, EventError

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

STREAM = "reviewlab:events"
STREAM_MAXLEN = 100_000
"""Approximate cap of the Redis stream (XADD MAXLEN ~) and of the in-process log."""
SOCKET_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Message:
    """An event as a consumer group sees it: the bus's message ``id`` (to ``ack``) and the ``event``; ``event`` is
    None when the message could not be read (it should be acknowledged and dropped)."""

    id: str
    event: DomainEvent | None
    redelivered: bool = False


class EventBus(Protocol):
    """Publish events; read them per consumer group, acknowledge what was handled."""

    def publish(self, event: DomainEvent) -> str:
        """Append ``event``; returns its message id."""
        ...

    def ensure_group(self, group: str) -> None:
        """Create consumer ``group`` if it does not exist (it sees the events the bus still holds)."""
        ...

    def read(self, group: str, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        """``consumer``'s unacknowledged messages first; when it has none, up to ``count`` new ones."""
        ...

    def ack(self, group: str, ids: Sequence[str]) -> None:
        """Mark ``ids`` handled by ``group``."""
        ...

    def claim_stale(self, group: str, consumer: str, *, min_idle_ms: int, count: int = 100) -> list[Message]:
        """Take over other consumers' messages pending for at least ``min_idle_ms``."""
        ...


# -- in process ---------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    consumer: str
    message: Message
    since: float


@dataclass
class _Group:
    next_seq: int
    pending: dict[str, _Pending] = field(default_factory=dict)


class InProcessBus:
    """The bus of one process (no ``REDIS_URL``): a bounded log, consumer groups with pending messages."""

    def __init__(self, maxlen: int = STREAM_MAXLEN) -> None:
        self._lock = threading.Lock()
        self._log: deque[tuple[int, DomainEvent]] = deque(maxlen=maxlen)
        self._seq = 0
        self._groups: dict[str, _Group] = {}

    def publish(self, event: DomainEvent) -> str:
        with self._lock:
            self._seq += 1
            self._log.append((self._seq, event))
            return str(self._seq)

    def ensure_group(self, group: str) -> None:
        with self._lock:
            self._group(group)

    def _group(self, group: str) -> _Group:
        if group not in self._groups:
            self._groups[group] = _Group(next_seq=self._log[0][0] if self._log else self._seq + 1)
        return self._groups[group]

    def read(self, group: str, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        with self._lock:
            state = self._group(group)
            mine = [p for p in state.pending.values() if p.consumer == consumer][:count]
            if mine:
                for p in mine:
                    p.message = Message(p.message.id, p.message.event, redelivered=True)
                    p.since = time.monotonic()
                return [p.message for p in mine]
            fresh = [(seq, event) for seq, event in self._log if seq >= state.next_seq][:count]
            messages = []
            for seq, event in fresh:
                message = Message(str(seq), event)
                state.pending[message.id] = _Pending(consumer, message, time.monotonic())
                state.next_seq = seq + 1
                messages.append(message)
            return messages

    def ack(self, group: str, ids: Sequence[str]) -> None:
        with self._lock:
            state = self._group(group)
            for message_id in ids:
                state.pending.pop(message_id, None)

    def claim_stale(self, group: str, consumer: str, *, min_idle_ms: int, count: int = 100) -> list[Message]:
        now = time.monotonic()
        with self._lock:
            state = self._group(group)
            stale = [
                p for p in state.pending.values() if p.consumer != consumer and now - p.since >= min_idle_ms / 1000
            ]
            for p in stale[:count]:
                p.consumer, p.since = consumer, now
                p.message = Message(p.message.id, p.message.event, redelivered=True)
            return [p.message for p in stale[:count]]


# -- Redis Streams ------------------------------------------------------------------------------------------


class RedisStreamsBus:
    """Events in the Redis stream ``stream`` (``reviewlab:events``), one field ``event`` holding the JSON."""

    def __init__(self, client: redis.Redis, *, stream: str = STREAM, maxlen: int = STREAM_MAXLEN) -> None:
        self.client = client
        self.stream = stream
        self.maxlen = maxlen

    @classmethod
    def from_url(cls, url: str, *, stream: str = STREAM) -> RedisStreamsBus:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS, socket_timeout=SOCKET_TIMEOUT_SECONDS
        )
        return cls(client, stream=stream)

    def close(self) -> None:
        self.client.close()

    def publish(self, event: DomainEvent) -> str:
        message_id = self.client.xadd(self.stream, {"event": event.to_json()}, maxlen=self.maxlen, approximate=True)
        return _text(message_id)

    def ensure_group(self, group: str) -> None:
        import redis

        try:
            self.client.xgroup_create(self.stream, group, id="0", mkstream=True)
        except redis.ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    def read(self, group: str, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        self.ensure_group(group)
        pending = self._read(group, consumer, "0", count, None)
        if pending:
            return pending
        return self._read(group, consumer, ">", count, block_ms or None)

    def _read(self, group: str, consumer: str, start: str, count: int, block: int | None) -> list[Message]:
        answer: Any = self.client.xreadgroup(group, consumer, {self.stream: start}, count=count, block=block)
        messages = []
        for _stream, entries in answer or []:
            for message_id, fields in entries:
                if not fields:  # pending, but trimmed from the stream since
                    messages.append(Message(_text(message_id), None, redelivered=True))
                    continue
                messages.append(_message(message_id, fields, redelivered=start == "0"))
        return messages

    def ack(self, group: str, ids: Sequence[str]) -> None:
        if ids:
            self.client.xack(self.stream, group, *ids)

    def claim_stale(self, group: str, consumer: str, *, min_idle_ms: int, count: int = 100) -> list[Message]:
        self.ensure_group(group)
        answer: Any = self.client.xautoclaim(self.stream, group, consumer, min_idle_ms, "0-0", count=count)
        return [_message(message_id, fields, redelivered=True) for message_id, fields in answer[1] if fields]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _message(message_id: bytes | str, fields: dict[Any, Any], *, redelivered: bool) -> Message:
    raw = fields.get(b"event", fields.get("event"))
    try:
        event = None if raw is None else DomainEvent.from_json(raw)
    except EventError as err:
        log.warning("dropping unreadable event message %s: %s", _text(message_id), err)
        event = None
    return Message(_text(message_id), event, redelivered)


# -- the process's bus --------------------------------------------------------------------------------------

_buses: dict[str | None, EventBus] = {}
_buses_lock = threading.Lock()


def default_bus(redis_url: str | None = None) -> EventBus:
    """The process's bus for ``redis_url`` (by default the settings' ``REDIS_URL``): Redis Streams when there
    is one, the in-process bus otherwise."""
    if redis_url is None:
        from reviewlab.settings import get_settings

        redis_url = get_settings().redis_url
    with _buses_lock:
        bus = _buses.get(redis_url)
        if bus is None:
            bus = RedisStreamsBus.from_url(redis_url) if redis_url else InProcessBus()
            _buses[redis_url] = bus
        return bus


def set_default_bus(bus: EventBus | None, redis_url: str | None = None) -> None:
    """Make ``bus`` the process's bus for ``redis_url`` (None forgets it: the next ``default_bus`` builds one)."""
    with _buses_lock:
        if bus is None:
            _buses.pop(redis_url, None)
        else:
            _buses[redis_url] = bus


def publish_safely(event: DomainEvent, bus: EventBus | None = None) -> str | None:
    """Publish ``event``; a failure is logged and swallowed (publishing never fails what it reports)."""
    try:
        return (bus or default_bus()).publish(event)
    except Exception:
        log.warning(
            "could not publish %s event %s for %s %s",
            event.type,
            event.id,
            event.subject_type,
            event.subject_id,
            exc_info=True,
        )
        return None
