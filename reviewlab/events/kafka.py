"""The event bus on Kafka: ``KafkaBus``, with kafka-python (the ``kafka`` extra: ``pip install 'reviewlab[kafka]'``).

Events go to one topic (``REVIEWLAB_KAFKA_TOPIC``, by default ``reviewlab.events``) as the JSON of
``DomainEvent.to_json()``, keyed by their subject (``<subject_type>:<subject_id>``, so that a subject's events stay
in order on one partition); a replayed dead letter names the group it is for in the ``reviewlab-group`` header. A
message's id is ``<partition>-<offset>``. ``publish`` returns once the broker has the event (``acks=all``,
idempotent producer) and raises ``BusError`` when it did not confirm within ``timeout_s``.

Each consumer group is a Kafka consumer group, and each process one member of it: one ``KafkaConsumer`` per group,
subscribed to the topic, the group's partitions shared among its processes by Kafka. Offsets are committed by
hand, never automatically. What the process handed out and was not acknowledged yet is **pending**, in process,
under the name of the consumer that read it; ``ack`` commits, for each partition, the offset of its lowest
message still pending (or the one after the last handed out). So:

- ``read`` gives a consumer its own pending messages first (again: ``redelivered``, one more delivery), then new
  ones. A group without committed offsets starts at the oldest message the topic still holds.
- ``claim_stale`` hands other consumers' pending messages of this process, idle long enough, to the caller.
  Across processes, Kafka takes over: when a process dies its session times out, the group rebalances, and the
  new owner of its partitions reads them again from the committed offset. Every message that was not acknowledged
  comes back then, and so can messages acknowledged after an older one that was still pending.
- ``deliveries`` is counted in process: a restart, or a partition moving to another process, starts it at 1 again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from queue import SimpleQueue
from typing import Any

from reviewlab.errors import SettingsError
from reviewlab.events.bus import BusError, Message
from reviewlab.events.model import DomainEvent, EventError

log = logging.getLogger(__name__)

TOPIC = "reviewlab.events"
TIMEOUT_SECONDS = 10.0
"""How long a publish waits for the broker's acknowledgement, and a read for its group to settle."""
GROUP_HEADER = "reviewlab-group"
REJOIN_AFTER_SECONDS = 60.0
"""How long a group's member may stay unsettled before it is replaced by a new one (kafka-python 3.0 can leave a
rebalance unfinished when ``poll`` returns in the middle of it)."""
POLL_MS = 100
FETCH_MAX_WAIT_MS = 200
"""How long the broker holds a fetch with nothing new: what an empty ``read`` costs at most, besides one ListOffsets."""
MAX_FETCHED = 1000
"""Records fetched ahead of the consumers; beyond it, fetching pauses until they are handed out."""


def _kafka() -> Any:
    try:
        import kafka
    except ImportError as err:
        raise SettingsError("the Kafka event bus needs kafka-python: pip install 'reviewlab[kafka]'") from err
    return kafka


class KafkaBus:
    """Events in the Kafka topic ``topic`` of the cluster at ``bootstrap_servers`` (``host:port[,host:port]``).

    ``consumer_options`` go to each group's ``KafkaConsumer`` (tests shorten session timeouts with them). The
    clients negotiate protocol versions with the broker (ApiVersions); none is pinned.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic: str = TOPIC,
        timeout_s: float = TIMEOUT_SECONDS,
        rejoin_after_s: float = REJOIN_AFTER_SECONDS,
        consumer_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._kafka = _kafka()
        self.servers = [server.strip() for server in bootstrap_servers.split(",") if server.strip()]
        self.topic = topic
        self.timeout_s = timeout_s
        self.rejoin_after_s = rejoin_after_s
        self.consumer_options = dict(consumer_options or {})
        self._lock = threading.Lock()  # the members
        self._producer_lock = threading.Lock()
        self._producer: Any = None
        self._members: dict[str, _Member] = {}

    def __repr__(self) -> str:
        return f"KafkaBus({','.join(self.servers)!r}, topic={self.topic!r})"

    def client_config(self) -> dict[str, Any]:
        """What both clients are built with: bounded waits everywhere, reconnecting at least every second."""
        timeout_ms = int(self.timeout_s * 1000)
        return {
            "bootstrap_servers": self.servers,
            "bootstrap_timeout_ms": timeout_ms,
            "request_timeout_ms": timeout_ms,
            "reconnect_backoff_max_ms": 1000,
        }

    def close(self) -> None:
        """Leave every group (its partitions go to the other processes at once) and flush the producer."""
        with self._lock, self._producer_lock:
            members, self._members = list(self._members.values()), {}
            producer, self._producer = self._producer, None
        for member in members:
            member.close(self.timeout_s)
        if producer is not None:
            try:
                producer.close(timeout=self.timeout_s)
            except self._kafka.errors.KafkaError:
                log.warning("cannot close the Kafka producer of %r cleanly", self, exc_info=True)

    # -- publishing -----------------------------------------------------------------------------------------

    def publish(self, event: DomainEvent, *, only_for: str | None = None) -> str:
        headers = [] if only_for is None else [(GROUP_HEADER, only_for.encode())]
        key = f"{event.subject_type}:{event.subject_id}".encode()
        try:
            sent = self.producer().send(self.topic, value=event.to_json().encode(), key=key, headers=headers)
            # The producer drops the record after timeout_s (delivery_timeout_ms); waiting a moment longer lets its
            # verdict be the one reported, so that a record reported unpublished is never sent later.
            metadata = sent.get(timeout=self.timeout_s + 1.0)
        except self._kafka.errors.KafkaError as err:
            raise BusError(
                f"cannot publish {event.type} event {event.id} to Kafka topic {self.topic} at "
                f"{','.join(self.servers)} within {self.timeout_s:g} s: {err}"
            ) from err
        return f"{metadata.partition}-{metadata.offset}"

    def producer(self) -> Any:
        """The bus's ``KafkaProducer`` (made on first use)."""
        with self._producer_lock:
            if self._producer is None:
                timeout_ms = int(self.timeout_s * 1000)
                self._producer = self._kafka.KafkaProducer(
                    client_id="reviewlab-events",
                    acks="all",
                    linger_ms=0,
                    max_block_ms=timeout_ms,
                    delivery_timeout_ms=timeout_ms,  # an event reported unpublished is not sent later either
                    **self.client_config(),
                )
            return self._producer

    # -- consuming ------------------------------------------------------------------------------------------

    def ensure_group(self, group: str) -> None:
        """Join ``group`` as this process's member and wait until the group has settled."""
        member = self._member(group)
        with member.lock, self._translated(f"join consumer group {group}"), self._replaced_when_stuck(member):
            deadline = time.monotonic() + self.timeout_s
            while not member.stable():
                if time.monotonic() >= deadline:
                    raise BusError(f"Kafka consumer group {group} has not settled within {self.timeout_s:g} s")
                member.poll(POLL_MS)

    def read(self, group: str, consumer: str, *, count: int = 100, block_ms: int = 0) -> list[Message]:
        member = self._member(group)
        with member.lock, self._translated(f"read consumer group {group}"), self._replaced_when_stuck(member):
            member.poll(0)  # keeps the membership alive while a consumer retries its own messages
            mine = member.mine(consumer, count)
            if mine:
                return mine
            return member.fresh(consumer, count, block_ms, self.timeout_s)

    def ack(self, group: str, ids: Sequence[str]) -> None:
        member = self._members.get(group)
        if member is None or not ids:
            return
        with member.lock, self._translated(f"commit the offsets of consumer group {group}"):
            member.ack(ids, self.timeout_s)

    def claim_stale(self, group: str, consumer: str, *, min_idle_ms: int, count: int = 100) -> list[Message]:
        member = self._members.get(group)
        if member is None:
            return []
        with member.lock:
            return member.claim(consumer, min_idle_ms, count)

    def _member(self, group: str) -> _Member:
        with self._lock:
            member = self._members.get(group)
            if member is None:
                with self._translated(f"join consumer group {group}"):
                    member = _Member(self, group)
                self._members[group] = member
            return member

    @contextlib.contextmanager
    def _replaced_when_stuck(self, member: _Member) -> Iterator[None]:
        """A member that has not settled for ``rejoin_after_s`` leaves; the next call joins with a new one (its
        pending messages come back from the committed offsets)."""
        try:
            yield
        except BusError:
            if member.unsettled_s() >= self.rejoin_after_s:
                log.warning("replacing this process's member of Kafka consumer group %s (unsettled)", member.group)
                with self._lock:
                    if self._members.get(member.group) is member:
                        del self._members[member.group]
                member.close(self.timeout_s)
            raise

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """Turns kafka-python's errors into ``BusError``."""
        try:
            yield
        except self._kafka.errors.KafkaError as err:
            where = ",".join(self.servers)
            raise BusError(f"cannot {what} on Kafka topic {self.topic} at {where}: {err}") from err


@dataclass
class _Pending:
    consumer: str
    message: Message
    since: float
    partition: int
    offset: int


class _Revocations:
    """The rebalance listener: kafka-python calls it on its IO thread, so it only queues the partitions taken
    away; the member drops what it held of them on its own thread, after each poll."""

    def __init__(self) -> None:
        self.queue: SimpleQueue[frozenset[int]] = SimpleQueue()

    def on_partitions_revoked(self, revoked: Iterable[Any]) -> None:
        self.queue.put(frozenset(tp.partition for tp in revoked))

    def on_partitions_assigned(self, assigned: Iterable[Any]) -> None:
        return None

    def on_partitions_lost(self, lost: Iterable[Any]) -> None:
        self.on_partitions_revoked(lost)


class _Member:
    """This process's member of consumer group ``group``: its ``KafkaConsumer``, the records fetched and not handed
    out yet, the messages handed out and not acknowledged (pending). Callers hold ``lock``."""

    def __init__(self, bus: KafkaBus, group: str) -> None:
        kafka = bus._kafka
        self.group, self.topic = group, bus.topic
        self.lock = threading.RLock()  # close() takes it too, also from within a read
        self.fetched: deque[Any] = deque()
        self.pending: dict[str, _Pending] = {}
        self.handed: dict[int, int] = {}  # partition -> the offset after the last record handed out
        self.committed: dict[int, int] = {}
        self.orphans: dict[int, dict[int, int]] = {}  # partition -> offset -> deliveries, of pending messages revoked
        self.revocations = _Revocations()
        kafka.ConsumerRebalanceListener.register(_Revocations)
        self.kafka = kafka
        self.settled_at = time.monotonic()
        self.consumer = kafka.KafkaConsumer(
            group_id=group,
            client_id=f"reviewlab-events-{group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **{"fetch_max_wait_ms": FETCH_MAX_WAIT_MS, **bus.client_config(), **bus.consumer_options},
        )
        self.consumer.subscribe([bus.topic], listener=self.revocations)
        try:
            self._await_partitions(bus)
        except BaseException:
            self.close(bus.timeout_s)
            raise

    def _await_partitions(self, bus: KafkaBus) -> None:
        """Wait for the topic's partitions in the consumer's metadata before joining, so that the first assignment
        covers them: when they show up later, the leader starts a rebalance which kafka-python 3.0 can leave
        unfinished. A topic nobody published to yet is created (where the brokers create topics on demand) by
        asking the producer for it."""
        deadline = time.monotonic() + bus.timeout_s
        if not self.consumer.partitions_for_topic(self.topic):
            bus.producer().partitions_for(self.topic)
        while not self.consumer.partitions_for_topic(self.topic):
            if time.monotonic() >= deadline:
                raise BusError(
                    f"Kafka topic {self.topic} has no partitions after {bus.timeout_s:g} s: create it, or let the "
                    "brokers create topics (auto.create.topics.enable)"
                )
            time.sleep(0.05)

    def close(self, timeout_s: float) -> None:
        """Leave the group (waiting up to ``timeout_s`` for a read or acknowledgement under way)."""
        locked = self.lock.acquire(timeout=timeout_s)
        try:
            self.consumer.close(autocommit=False, timeout_ms=int(timeout_s * 1000))
        except self.kafka.errors.KafkaError:
            log.warning("cannot leave Kafka consumer group %s cleanly", self.group, exc_info=True)
        finally:
            if locked:
                self.lock.release()

    def stable(self) -> bool:
        stable = bool(self.consumer.group_metadata().state == self.kafka.structs.MemberState.STABLE)
        if stable:
            self.settled_at = time.monotonic()
        return stable

    def unsettled_s(self) -> float:
        return 0.0 if self.stable() else time.monotonic() - self.settled_at

    def poll(self, timeout_ms: int) -> None:
        """Let the consumer work (heartbeats, rebalances, fetching) and keep the records it returns."""
        records = self.consumer.poll(timeout_ms=timeout_ms)
        self._forget_revoked()
        for partition in sorted(records, key=lambda tp: tp.partition):
            self.fetched.extend(records[partition])
        assigned = self.consumer.assignment()
        if len(self.fetched) >= MAX_FETCHED:
            self.consumer.pause(*assigned)
        elif self.consumer.paused():
            self.consumer.resume(*self.consumer.paused())

    def _forget_revoked(self) -> None:
        """Drop what this member held of partitions taken away: their next owner reads them from the committed
        offset. The deliveries of pending messages are kept in case the partition comes back here."""
        while not self.revocations.queue.empty():
            revoked = self.revocations.queue.get_nowait()
            for message_id, pending in list(self.pending.items()):
                if pending.partition in revoked:
                    self.orphans.setdefault(pending.partition, {})[pending.offset] = pending.message.deliveries
                    del self.pending[message_id]
            self.fetched = deque(record for record in self.fetched if record.partition not in revoked)
            for partition in revoked:
                self.handed.pop(partition, None)
                self.committed.pop(partition, None)

    def mine(self, consumer: str, count: int) -> list[Message]:
        now = time.monotonic()
        mine = [p for p in self.pending.values() if p.consumer == consumer][:count]
        return [self._hand_out(p, consumer, now) for p in mine]

    def claim(self, consumer: str, min_idle_ms: int, count: int) -> list[Message]:
        now = time.monotonic()
        stale = [p for p in self.pending.values() if p.consumer != consumer and now - p.since >= min_idle_ms / 1000]
        return [self._hand_out(p, consumer, now) for p in stale[:count]]

    @staticmethod
    def _hand_out(pending: _Pending, consumer: str, now: float) -> Message:
        pending.consumer, pending.since = consumer, now
        pending.message = replace(pending.message, redelivered=True, deliveries=pending.message.deliveries + 1)
        return pending.message

    def fresh(self, consumer: str, count: int, block_ms: int, timeout_s: float) -> list[Message]:
        """Up to ``count`` new messages for ``consumer``: what the topic held when the group settled (up to
        ``count``), else what arrives within ``block_ms``. BusError when the group has not settled, or the fetching
        not caught up with the topic's end, within ``timeout_s`` (more when ``block_ms`` is longer)."""
        started = time.monotonic()
        timeout_ms = int(timeout_s * 1000)
        ends: dict[Any, int] | None = None
        while len(self.fetched) < count:
            waited = time.monotonic() - started
            if self.stable():
                assigned = self.consumer.assignment()
                if ends is None or set(ends) != assigned:
                    ends = self.consumer.end_offsets(list(assigned), timeout_ms=timeout_ms)
                if self._reached(ends, timeout_ms) and (self.fetched or waited >= block_ms / 1000):
                    break
            if waited >= max(timeout_s, block_ms / 1000):
                if self.fetched:
                    break
                state = "fetched up to the end of the topic" if self.stable() else "settled"
                raise BusError(
                    f"Kafka consumer group {self.group} has not {state} within {timeout_s:g} s (the broker is "
                    "unreachable, or a rebalance waits for another member)"
                )
            self.poll(POLL_MS)
        return self._new_messages(consumer, count)

    def _reached(self, ends: Mapping[Any, int], timeout_ms: int) -> bool:
        positions = {tp: self.consumer.position(tp, timeout_ms=timeout_ms) for tp in ends}
        return all(positions[tp] is not None and positions[tp] >= end for tp, end in ends.items())

    def _new_messages(self, consumer: str, count: int) -> list[Message]:
        messages: list[Message] = []
        now = time.monotonic()
        while self.fetched and len(messages) < count:
            record = self.fetched.popleft()
            message_id = f"{record.partition}-{record.offset}"
            if message_id in self.pending:  # fetched again after its partition came back: pending already
                continue
            orphans = self.orphans.get(record.partition, {})
            deliveries = orphans.pop(record.offset, 0) + 1
            for older in [offset for offset in orphans if offset < record.offset]:
                del orphans[older]  # passed: acknowledged by another process meanwhile
            message = _message(message_id, record, deliveries)
            self.pending[message_id] = _Pending(consumer, message, now, record.partition, record.offset)
            self.handed[record.partition] = record.offset + 1
            messages.append(message)
        return messages

    def ack(self, ids: Sequence[str], timeout_s: float) -> None:
        """Commit past ``ids``: each partition's offset moves to its lowest message still pending, or past the
        last one handed out. The messages stay pending when the commit fails."""
        done = {message_id for message_id in ids if message_id in self.pending}
        for message_id in set(ids) - done:  # handed out before its partition was revoked
            where, _, offset = message_id.partition("-")
            if where.isdigit() and offset.isdigit():
                self.orphans.get(int(where), {}).pop(int(offset), None)
        partitions = {self.pending[message_id].partition for message_id in done}
        offsets = {}
        for partition in partitions:
            left = [p.offset for i, p in self.pending.items() if p.partition == partition and i not in done]
            low = min(left, default=self.handed[partition])
            if low > self.committed.get(partition, -1):
                tp = self.kafka.TopicPartition(self.topic, partition)
                offsets[tp] = self.kafka.OffsetAndMetadata(low, "", -1)
        if offsets:
            self.consumer.commit(offsets, timeout_ms=int(timeout_s * 1000))
            self.committed.update({tp.partition: position.offset for tp, position in offsets.items()})
        for message_id in done:
            del self.pending[message_id]


def _message(message_id: str, record: Any, deliveries: int) -> Message:
    event = None
    if record.value is not None:
        try:
            event = DomainEvent.from_json(record.value)
        except EventError as err:
            log.warning("dropping unreadable event message %s: %s", message_id, err)
    only_for = next((value.decode() for key, value in record.headers or [] if key == GROUP_HEADER), None)
    return Message(message_id, event, redelivered=deliveries > 1, deliveries=deliveries, only_for=only_for)
