"""Progress events of analysis sessions: persisted in ``production.analysis_events``, numbered 1..n per session,
and the notifiers that wake whoever follows them.

The number comes from the session row's ``last_seq`` counter, bumped by the same transaction that inserts
the event (``UPDATE ... RETURNING`` takes the row lock on PostgreSQL, the write lock on SQLite), so two writers
never get the same number and a reader never sees a gap fill in later. A notifier is only a wake-up call:
``follow`` always reads the events from the database and polls it about once a second, so a lost
notification delays an event by at most that long and never loses it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine, Select, and_, bindparam, select, update

from reviewlab.jobs.db import table_of
from reviewlab.jobs.models import AnalysisEventRow
from reviewlab.pubsub import Listener
from reviewlab.store.connect import read_connection
from reviewlab.store.models import AnalysisSession, SessionStatus

if TYPE_CHECKING:
    import redis

TERMINAL_KINDS = frozenset({"done", "failed", "cancelled"})
"""The kinds of the last event of a session."""
CHANNEL_PREFIX = "reviewlab:analysis:"
DEFAULT_POLL_SECONDS = 1.0
FIRST_SUBSCRIBE_WAIT_S = 1.0  # how long a follower waits for the process's shared subscription to be in place
MAX_EVENTS_PER_READ = 1000


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a session: ``seq`` (1..n, the SSE id), ``kind`` (the SSE event name) and JSON ``data``."""

    session_id: str
    seq: int
    kind: str
    data: dict[str, Any]
    created_at: datetime

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "seq": self.seq,
            "kind": self.kind,
            "data": self.data,
            "created_at": self.created_at.isoformat(),
        }


def insert_events(
    connection: Connection, session_id: str, items: list[tuple[str, dict[str, Any]]], now: datetime
) -> list[Event]:
    """Append ``(kind, data)`` events to a session inside the caller's transaction; returns them numbered."""
    if not items:
        return []
    sessions = table_of(AnalysisSession)
    bump = (
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(last_seq=sessions.c.last_seq + len(items))
        .returning(sessions.c.last_seq)
    )
    last = connection.execute(bump).scalar_one()
    first = last - len(items) + 1
    events = [Event(session_id, first + i, kind, data, now) for i, (kind, data) in enumerate(items)]
    connection.execute(
        table_of(AnalysisEventRow).insert(),
        [{"session_id": e.session_id, "seq": e.seq, "kind": e.kind, "data": e.data, "created_at": now} for e in events],
    )
    return events


def read_events(
    connection: Connection, session_id: str, after_seq: int = 0, limit: int = MAX_EVENTS_PER_READ
) -> list[Event]:
    """The session's events numbered above ``after_seq``, oldest first, at most ``limit``."""
    table = table_of(AnalysisEventRow)
    query = (
        select(table.c.seq, table.c.kind, table.c.data, table.c.created_at)
        .where(table.c.session_id == session_id, table.c.seq > after_seq)
        .order_by(table.c.seq)
        .limit(max(1, min(limit, MAX_EVENTS_PER_READ)))
    )
    return [Event(session_id, seq, kind, dict(data), created) for seq, kind, data, created in connection.execute(query)]


def queued_data(connection: Connection, session_id: str) -> dict[str, Any]:
    """The data of the session's ``queued`` event: the ``kind``, and the ``request_id`` and ``traceparent`` of
    the API request that queued it when it had them (empty when there is no such event)."""
    table = table_of(AnalysisEventRow)
    data = connection.execute(
        select(table.c.data)
        .where(table.c.session_id == session_id, table.c.kind == "queued")
        .order_by(table.c.seq)
        .limit(1)
    ).scalar_one_or_none()
    return dict(data) if isinstance(data, dict) else {}


class Subscription(Protocol):
    """Wake-ups for one session, buffered from the moment of subscribing."""

    async def wait(self, timeout: float) -> bool:
        """Wait until a notification arrives (True) or ``timeout`` seconds pass (False)."""
        ...


class Notifier(Protocol):
    """Tells followers of a session that it has new events (a hint: the events themselves are in the database)."""

    def notify(self, session_id: str, seq: int) -> None:
        """Say that the session's events now go up to ``seq``; never raises for a delivery failure."""
        ...

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        """Listen for the session's notifications until the block ends."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(eq=False)
class _MemorySubscription:
    loop: asyncio.AbstractEventLoop
    flag: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self.loop.call_soon_threadsafe(self.flag.set)

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.flag.wait(), timeout)
        except TimeoutError:
            return False
        self.flag.clear()
        return True


class MemoryNotifier:
    """Notifications within one process: a condition per session for threads, an asyncio event per subscriber."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}
        self._conditions: dict[str, tuple[threading.Condition, int]] = {}
        self._subscribers: dict[str, set[_MemorySubscription]] = {}

    def notify(self, session_id: str, seq: int) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(session_id, ()))
            entry = self._conditions.get(session_id)
            if entry is not None:
                self._latest[session_id] = max(seq, self._latest.get(session_id, 0))
        for subscriber in subscribers:
            try:
                subscriber.wake()
            except RuntimeError:  # the subscriber's loop closed under it
                continue
        if entry is not None:
            with entry[0]:
                entry[0].notify_all()

    def wait(self, session_id: str, after_seq: int, timeout: float) -> int:
        """Block until a notification says the session has an event above ``after_seq``, or ``timeout`` passes;
        returns the newest notified seq (``after_seq`` on timeout). For threads; async code subscribes."""
        with self._lock:
            condition, waiters = self._conditions.get(session_id, (threading.Condition(), 0))
            self._conditions[session_id] = (condition, waiters + 1)
        try:
            with condition:
                condition.wait_for(lambda: self._latest.get(session_id, 0) > after_seq, timeout)
            return max(after_seq, self._latest.get(session_id, 0))
        finally:
            with self._lock:
                condition, waiters = self._conditions[session_id]
                if waiters <= 1:
                    del self._conditions[session_id]
                    self._latest.pop(session_id, None)
                else:
                    self._conditions[session_id] = (condition, waiters - 1)

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        subscription = _MemorySubscription(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.setdefault(session_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                subscribers = self._subscribers.get(session_id, set())
                subscribers.discard(subscription)
                if not subscribers:
                    self._subscribers.pop(session_id, None)

    def close(self) -> None:
        return None


class RedisNotifier:
    """Notifications across processes: ``PUBLISH reviewlab:analysis:{id} <seq>``.

    A process's followers share one subscription: the first ``subscribe`` starts a listener thread on the pattern
    of every analysis channel (``reviewlab.pubsub.Listener``), which wakes the followers of the session named by
    each message, as :class:`MemoryNotifier` does within a process. A stream costs no connection of its own, and
    no ``SUBSCRIBE`` and ``UNSUBSCRIBE`` round trips. While the subscription is down, followers find new events
    by polling the database, as they always may.
    """

    def __init__(self, url: str) -> None:
        import redis

        self._url = url
        self._client: redis.Redis = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        self._local = MemoryNotifier()
        self._listener: Listener | None = None
        self._lock = threading.Lock()

    @staticmethod
    def channel(session_id: str) -> str:
        return f"{CHANNEL_PREFIX}{session_id}"

    def notify(self, session_id: str, seq: int) -> None:
        import redis

        try:
            self._client.publish(self.channel(session_id), str(seq))
        except redis.RedisError:
            return  # a hint only: followers poll the database

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[Subscription]:
        async with self._local.subscribe(session_id) as subscription:
            listener = self._listening()
            if not listener.live:  # the first follower, or Redis is away: a moment for the subscription
                await asyncio.to_thread(listener.wait_live, FIRST_SUBSCRIBE_WAIT_S)
            yield subscription

    def listening(self, timeout_s: float) -> bool:
        """Start the shared subscription if need be and wait until it is in place; whether it is."""
        return self._listening().wait_live(timeout_s)

    def close(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._client.close()

    def _listening(self) -> Listener:
        with self._lock:
            if self._listener is None:
                self._listener = Listener(
                    self._client,
                    patterns=[f"{CHANNEL_PREFIX}*"],
                    on_message=self._heard,
                    name="analysis-events",
                )
            return self._listener

    def _heard(self, channel: str, data: str) -> None:
        try:
            seq = int(data)
        except ValueError:
            return  # not ours
        self._local.notify(channel.removeprefix(CHANNEL_PREFIX), seq)


async def follow(
    engine: Engine,
    notifier: Notifier,
    session_id: str,
    after_seq: int = 0,
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> AsyncIterator[Event]:
    """The session's events numbered above ``after_seq`` (replayed from the database), then new ones as they come,
    ending after the terminal event (done, failed or cancelled). ``engine`` must be schema-translated."""
    async with notifier.subscribe(session_id) as subscription:
        last = after_seq
        while True:
            events, finished = await asyncio.to_thread(_read_with_status, engine, session_id, last)
            for event in events:
                yield event
                last = event.seq
                if event.terminal:
                    return
            if not events and finished:
                return  # a resume after the terminal event, or a session finished without events
            if not events:
                await subscription.wait(poll_seconds)


def _status_and_events() -> Select[Any]:
    sessions, events = table_of(AnalysisSession), table_of(AnalysisEventRow)
    newer = and_(events.c.session_id == sessions.c.id, events.c.seq > bindparam("after_seq"))
    return (
        select(sessions.c.status, events.c.seq, events.c.kind, events.c.data, events.c.created_at)
        .select_from(sessions.outerjoin(events, newer))
        .where(sessions.c.id == bindparam("session_id"))
        .order_by(events.c.seq)
        .limit(MAX_EVENTS_PER_READ)
    )


# The session's status with its events above a number, in one statement, so in one snapshot: a finished
# session's terminal event was committed with its status, so the two are seen together. No row: no session.
_STATUS_AND_EVENTS = _status_and_events()


def _read_with_status(engine: Engine, session_id: str, after_seq: int) -> tuple[list[Event], bool]:
    with read_connection(engine) as connection:
        rows = connection.execute(_STATUS_AND_EVENTS, {"session_id": session_id, "after_seq": after_seq}).all()
    finished = not rows or SessionStatus(rows[0].status).finished
    events = [Event(session_id, r.seq, r.kind, dict(r.data), r.created_at) for r in rows if r.seq is not None]
    return events, finished
