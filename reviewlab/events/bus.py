"""One bus for domain events: ``RedisStreamsBus`` (XADD to ``reviewlab:events``, consumer groups with
XREADGROUP/XACK) when ``REDIS_URL`` is set, ``KafkaBus`` (``reviewlab.events.kafka``) when Kafka is configured,
``InProcessBus`` otherwise (``Settings.event_bus`` chooses).

All give each consumer group every event published after the group's stream position, at least once: a
message read but not acknowledged stays pending for the consumer that read it, and that consumer gets it again
on its next ``read`` (a restarted worker with the same consumer name picks up where it crashed; on Kafka, from
its group's committed offsets); ``claim_stale`` hands another consumer's messages idle for long enough to the
caller. Each message carries how many times its group has handed it out (``deliveries``: Redis's XPENDING
delivery count; counted in process elsewhere), which ``GroupConsumer`` uses to give up on a message that keeps
failing instead of retrying it forever.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from reviewlab.errors import ReviewlabError
from reviewlab.events.model import DomainEvent, EventError
from reviewlab.observability.metrics import Instruments, instruments

if TYPE_CHECKING:
    import redis

    from reviewlab.events.deadletters import DeadLetters
    from reviewlab.settings import Settings

log = logging.getLogger(__name__)

_Field = bytes | bytearray | memoryview | str | int | float  # what redis-py takes as a stream entry's key or value

STREAM = "reviewlab:events"
STREAM_MAXLEN = 100_000
"""Approximate cap of the Redis stream (XADD MAXLEN ~) and of the in-process log."""
SOCKET_TIMEOUT_SECONDS = 2.0


class BusError(ReviewlabError):
    """The bus cannot be reached, or did not confirm an operation in time (a broker down or hanging)."""


@dataclass(frozen=True, slots=True)
class Message:
    """An event as a consumer group sees it: the bus's message ``id`` (to ``ack``) and the ``event``; ``event`` is
    None when the message could not be read (it should be acknowledged and dropped). ``deliveries`` counts the
    times the group handed it out, this one included (1 on a first read). ``only_for`` names the one group the
    message is meant for (a dead letter replayed); the others acknowledge it without handling it."""

    id: str
    event: DomainEvent | None
    redelivered: bool = False
    deliveries: int = 1
    only_for: str | None = None


class EventBus(Protocol):
    """Publish events; read them per consumer group, acknowledge what was handled."""

    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        """Append ``event`` (for consumer group ``only_for`` alone, when given); returns its message id."""
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

    def hand_out(self, consumer: str, now: float) -> Message:
        """Give the message (again) to ``consumer``: one more delivery."""
        self.consumer, self.since = consumer, now
        self.message = replace(self.message, redelivered=True, deliveries=self.message.deliveries + 1)
        return self.message


@dataclass
class _Group:
    next_seq: int
    pending: dict[str, _Pending] = field(default_factory=dict)


class InProcessBus:
    """The bus of one process (neither Redis nor Kafka configured): a bounded log, consumer groups with pending
    messages."""

    def __init__(self, maxlen: int = STREAM_MAXLEN) -> None:
        self._lock = threading.Lock()
        self._log: deque[tuple[int, DomainEvent, str | None]] = deque(maxlen=maxlen)
        self._seq = 0
        self._groups: dict[str, _Group] = {}

    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        with self._lock:
            self._seq += 1
            self._log.append((self._seq, event, only_for))
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
                now = time.monotonic()
                return [p.hand_out(consumer, now) for p in mine]
            fresh = [entry for entry in self._log if entry[0] >= state.next_seq][:count]
            messages = []
            for seq, event, only_for in fresh:
                message = Message(str(seq), event, only_for=only_for)
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
            return [p.hand_out(consumer, now) for p in stale[:count]]


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

    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        fields: dict[_Field, _Field] = {"event": event.to_json()}
        if only_for is not None:
            fields["group"] = only_for
        message_id = self.client.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
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
        return self._counted(group, consumer, messages) if start == "0" else messages

    def _counted(self, group: str, consumer: str, messages: list[Message]) -> list[Message]:
        """``messages`` (pending for ``consumer``, in id order) with their XPENDING delivery counts — which
        re-reading pending entries (XREADGROUP from 0) and XAUTOCLAIM both increment."""
        if not messages:
            return messages
        rows: Any = self.client.xpending_range(
            self.stream,
            group,
            min=messages[0].id,
            max=messages[-1].id,
            count=len(messages) + 100,
            consumername=consumer,
        )
        counts = {_text(row["message_id"]): int(row["times_delivered"]) for row in rows}
        return [Message(m.id, m.event, m.redelivered, counts.get(m.id, m.deliveries)) for m in messages]

    def ack(self, group: str, ids: Sequence[str]) -> None:
        if ids:
            self.client.xack(self.stream, group, *ids)

    def claim_stale(self, group: str, consumer: str, *, min_idle_ms: int, count: int = 100) -> list[Message]:
        self.ensure_group(group)
        answer: Any = self.client.xautoclaim(self.stream, group, consumer, min_idle_ms, "0-0", count=count)
        claimed = [_message(message_id, fields, redelivered=True) for message_id, fields in answer[1] if fields]
        return self._counted(group, consumer, sorted(claimed, key=lambda m: _stream_id(m.id)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _stream_id(message_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = message_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def _message(message_id: bytes | str, fields: dict[Any, Any], *, redelivered: bool) -> Message:
    raw = fields.get(b"event", fields.get("event"))
    try:
        event = None if raw is None else DomainEvent.from_json(raw)
    except EventError as err:
        log.warning("dropping unreadable event message %s: %s", _text(message_id), err)
        event = None
    group = fields.get(b"group", fields.get("group"))
    return Message(_text(message_id), event, redelivered, only_for=None if group is None else _text(group))


# -- consuming ---------------------------------------------------------------------------------------------

MAX_DELIVERIES = 5
"""How many times a consumer group's message is tried before ``GroupConsumer`` gives up on it."""
STALE_MS = 300_000
"""How long another consumer's message must stay unacknowledged before it is taken over."""


class GroupConsumer:
    """One consumer of a consumer group: each pass reads its own pending messages first, then other consumers'
    stale ones, then new ones; ``handle`` each and acknowledge what went through.

    A message whose ``handle`` raises stays pending and comes back on the next read; once it has been handed out
    ``max_deliveries`` times it is given up: kept in ``dead_letters`` (when given; a message without an event has
    nothing to keep), acknowledged, logged as an error and counted (``reviewlab_event_messages_given_up_total
    {group}``), so it neither blocks the messages behind it nor is retried forever. A dead letter that cannot be
    written leaves the message unacknowledged: it comes back next pass rather than being lost.
    ``max_deliveries=None`` retries forever.
    """

    action = "handle"
    """What ``handle`` does, for the logs: ``cannot <action> message <id>``."""

    def __init__(
        self,
        bus: EventBus,
        *,
        group: str,
        consumer: str,
        stale_ms: int = STALE_MS,
        max_deliveries: int | None = MAX_DELIVERIES,
        logger: logging.Logger | None = None,
        instruments: Instruments | None = None,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self.bus = bus
        self.group = group
        self.consumer = consumer
        self.stale_ms = stale_ms
        self.max_deliveries = max_deliveries
        self.log = logger or log
        self.instruments = instruments
        self.dead_letters = dead_letters
        self.given_up = 0

    def handle(self, message: Message) -> None:
        raise NotImplementedError

    def pump(self, count: int = 100) -> tuple[int, int]:
        """Read and handle one batch; returns (messages acknowledged — given up included —, messages left for a
        later pass). A bus that cannot be read or acknowledged is logged, not raised."""
        try:
            messages = self.bus.read(self.group, self.consumer, count=count)
            if not messages:
                messages = self.bus.claim_stale(self.group, self.consumer, min_idle_ms=self.stale_ms, count=count)
        except Exception:
            self.log.warning("cannot read the bus for %s (retried next pass)", self.group, exc_info=True)
            return 0, 0
        done = [message.id for message in messages if self._try(message)]
        try:
            self.bus.ack(self.group, done)
        except Exception:
            self.log.warning("cannot acknowledge %s messages (re-read next pass)", self.group, exc_info=True)
            return 0, len(messages)
        return len(done), len(messages) - len(done)

    def _try(self, message: Message) -> bool:
        """Handle ``message``; whether to acknowledge it (handled, or given up)."""
        if message.only_for is not None and message.only_for != self.group:
            return True  # another group's replayed dead letter: not this group's to handle again
        try:
            self.handle(message)
            return True
        except Exception as err:
            detail = f"{err}" if isinstance(err, ReviewlabError) else f"{type(err).__name__}: {err}"
            if self.max_deliveries is None or message.deliveries < self.max_deliveries:
                self.log.warning(
                    "cannot %s message %s (attempt %d, retried next pass): %s",
                    self.action,
                    message.id,
                    message.deliveries,
                    detail,
                    exc_info=not isinstance(err, ReviewlabError),
                )
                return False
            return self._give_up(message, detail)

    def _give_up(self, message: Message, detail: str) -> bool:
        """Keep ``message`` as a dead letter, log and count it given up; whether to acknowledge it (not when
        the dead letter could not be written)."""
        kept = ""
        if self.dead_letters is not None and message.event is not None:
            try:
                kept = f" (dead letter {self.dead_letters.keep(self.group, message, detail)})"
            except Exception:
                self.log.warning(
                    "cannot keep message %s as a dead letter of %s (left pending, retried next pass)",
                    message.id,
                    self.group,
                    exc_info=True,
                )
                return False
        self.log.error(
            "giving up: cannot %s message %s (%s event %s) after %d attempts: %s%s",
            self.action,
            message.id,
            None if message.event is None else message.event.type,
            None if message.event is None else message.event.id,
            message.deliveries,
            detail,
            kept,
        )
        self.given_up += 1
        (self.instruments or instruments()).message_given_up(self.group)
        return True

    def drain(self, max_batches: int = 100) -> tuple[int, int]:
        """One pass: batches until one acknowledges nothing; returns (messages acknowledged, messages left for
        the next pass). Never raises."""
        total = left = 0
        for _ in range(max_batches):
            acknowledged, left = self.pump()
            total += acknowledged
            if not acknowledged:
                break
        return total, left


# -- the process's bus --------------------------------------------------------------------------------------

_buses: dict[str | None, EventBus] = {}
_buses_lock = threading.Lock()
KAFKA_SCHEME = "kafka://"


def bus_address(settings: Settings) -> str | None:
    """Where ``settings`` send events (``Settings.event_bus``): ``kafka://<bootstrap servers>/<topic>``, the Redis
    URL, or None for the bus of this process."""
    choice = settings.event_bus
    if choice == "kafka":
        return f"{KAFKA_SCHEME}{settings.kafka_bootstrap_servers}/{settings.reviewlab_kafka_topic}"
    return settings.redis_url if choice == "redis" else None


def default_bus(address: str | None = None) -> EventBus:
    """The process's bus at ``address`` (a ``bus_address``; by default the settings'): Kafka for ``kafka://``,
    Redis Streams for a Redis URL, the in-process bus for none."""
    if address is None:
        from reviewlab.settings import get_settings

        address = bus_address(get_settings())
    with _buses_lock:
        bus = _buses.get(address)
        if bus is None:
            bus = _open(address)
            _buses[address] = bus
        return bus


def _open(address: str | None) -> EventBus:
    if address is None:
        return InProcessBus()
    if address.startswith(KAFKA_SCHEME):
        from reviewlab.events.kafka import TOPIC, KafkaBus

        servers, _, topic = address.removeprefix(KAFKA_SCHEME).partition("/")
        bus = KafkaBus(servers, topic=topic or TOPIC)
        atexit.register(bus.close)  # leaving the groups hands this process's partitions over at once
        return bus
    return RedisStreamsBus.from_url(address)


def set_default_bus(bus: EventBus | None, address: str | None = None) -> None:
    """Make ``bus`` the process's bus at ``address`` (None forgets it: the next ``default_bus`` builds one)."""
    with _buses_lock:
        if bus is None:
            _buses.pop(address, None)
        else:
            _buses[address] = bus


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
