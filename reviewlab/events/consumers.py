"""Every consumer of the bus the platform runs, in one pass or in a background loop: ``EventConsumers``.

One pass runs, each on its own and in this order:

- **webhooks**: the fan-out (group ``webhooks``) turns new events into deliveries, then the deliverer sends the
  ones that are due (``reviewlab.events.webhooks``);
- **notifications**: the email notifications (group ``notifications``, ``reviewlab.events.notifications``);
- **audit** (group ``audit``, ``AuditConsumer``): appends the events nobody audits where they happen to the
  hash-chained audit log, once per event id;
- **metrics** (group ``metrics``, ``MetricsConsumer``): counts the events by type.

A message a group gives up on is kept in ``production.event_dead_letters`` (``reviewlab.events.deadletters``)
before it is acknowledged. A step that fails (the database restarting, Redis down) is logged and skipped; the
others still run and the next pass retries it — a pass never raises. ``start(interval)`` runs passes on a
daemon thread every ``interval`` seconds until ``stop()``, which sets an event and joins the thread. The API
runs the loop when analyses run in its process, ``reviewlab worker`` runs it beside the workers, ``reviewlab
events run`` in the foreground and ``reviewlab events deliver`` runs one pass. Several processes may run it at
once: each consumer group hands a message to one consumer, and the deliverer claims each delivery with a
conditional UPDATE.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import httpx
from sqlalchemy import Engine, select

from reviewlab.audit import AuditLog
from reviewlab.audit.log import append_once
from reviewlab.events.bus import MAX_DELIVERIES, EventBus, GroupConsumer, Message, bus_address, default_bus
from reviewlab.events.deadletters import DeadLetters
from reviewlab.events.model import KEY_CHANGED, MODEL_PROMOTED, MODEL_QUARANTINED, USER_CHANGED
from reviewlab.events.notifications import EmailNotifications
from reviewlab.events.webhooks import (
    Attempt,
    Clock,
    Deliverer,
    DrainReport,
    RetryPolicy,
    WebhookFanout,
    utc_now,
)
from reviewlab.jobs.db import prepared, reading, table_of
from reviewlab.mail import Mailer
from reviewlab.observability.metrics import Instruments, instruments
from reviewlab.security.crypto import SecretBox
from reviewlab.settings import Settings
from reviewlab.store.models import AnalysisSession

log = logging.getLogger(__name__)
T = TypeVar("T")

AUDIT_GROUP = "audit"
METRICS_GROUP = "metrics"
AUDITED_AT_SOURCE = frozenset({MODEL_PROMOTED, MODEL_QUARANTINED, USER_CHANGED, KEY_CHANGED})
"""Event types whose change is audited where it happens (the lifecycle's ``lifecycle.*`` rows, the API's
``auth.*`` and ``provider.*`` rows): the audit consumer does not record them twice."""
CLOCK_SKEW = timedelta(days=1)
"""How far the audit clock may be behind an event's publisher when looking for the event's audit row."""
MAX_BATCHES = 100
SESSIONS = table_of(AnalysisSession)


def process_consumer() -> str:
    """The consumer name of this process's loop: ``host-pid`` (two processes never share pending messages; a
    dead process's messages are taken over by another consumer once stale)."""
    return f"{socket.gethostname()}-{os.getpid()}"


class AuditConsumer(GroupConsumer):
    """Consumer group ``audit``: each event not audited at its source becomes an ``event.<type>`` row (actor, the
    subject as target, ``details``: ``event_id``, ``occurred_at``, ``data``); a re-delivered event adds nothing."""

    action = "audit"

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        *,
        consumer: str,
        max_deliveries: int | None = MAX_DELIVERIES,
        instruments: Instruments | None = None,
    ) -> None:
        super().__init__(
            bus,
            group=AUDIT_GROUP,
            consumer=consumer,
            max_deliveries=max_deliveries,
            logger=log,
            instruments=instruments,
            dead_letters=DeadLetters(engine),
        )
        self.engine = prepared(engine)
        self.audit = AuditLog(engine)

    def handle(self, message: Message) -> None:
        event = message.event
        if event is None or event.type in AUDITED_AT_SOURCE:
            return
        if event.subject_type == "analysis" and not self._holds_analysis(event.subject_id):
            # Another platform's event on a shared bus: this database has nothing it could be about.
            log.info("not auditing %s event %s: no analysis %s here", event.type, event.id, event.subject_id)
            return
        append_once(
            self.audit,
            f"event.{event.type}",
            key="event_id",
            since=event.occurred_at - CLOCK_SKEW,
            actor=event.actor,
            target_type=event.subject_type,
            target_id=event.subject_id,
            details={"event_id": event.id, "occurred_at": event.occurred_at.isoformat(), "data": dict(event.data)},
        )

    def _holds_analysis(self, session_id: str) -> bool:
        with reading(self.engine, "looking up an event's analysis") as connection:
            return connection.execute(select(SESSIONS.c.id).where(SESSIONS.c.id == session_id)).first() is not None


class MetricsConsumer(GroupConsumer):
    """Consumer group ``metrics``: counts each event in ``reviewlab_domain_events_total{type}``."""

    action = "count"

    def __init__(
        self,
        bus: EventBus,
        *,
        consumer: str,
        instruments: Instruments | None = None,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        super().__init__(
            bus,
            group=METRICS_GROUP,
            consumer=consumer,
            logger=log,
            instruments=instruments,
            dead_letters=dead_letters,
        )

    def handle(self, message: Message) -> None:
        if message.event is not None:
            (self.instruments or instruments()).domain_event(message.event.type)


@dataclass
class PassReport:
    """What one pass did; ``failed`` names the steps that raised (retried next pass)."""

    webhooks: DrainReport = field(default_factory=DrainReport)
    notifications: tuple[int, int] = (0, 0)
    audited: tuple[int, int] = (0, 0)
    counted: tuple[int, int] = (0, 0)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            self.webhooks.summary(),
            f"notifications: {self.notifications[0]} events handled, {self.notifications[1]} left for the next pass",
            f"audit: {self.audited[0]} events handled, {self.audited[1]} left for the next pass",
            f"metrics: {self.counted[0]} events counted",
        ]
        if self.failed:
            lines.append(f"failed (retried next pass): {', '.join(self.failed)}")
        return lines


class EventConsumers:
    """The platform's consumer groups on one bus and one database: ``run_pass`` once, or ``start`` a loop."""

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        *,
        box: SecretBox,
        mailer: Mailer,
        public_url: str,
        consumer: str | None = None,
        max_deliveries: int | None = MAX_DELIVERIES,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
        client: httpx.Client | None = None,
        instruments: Instruments | None = None,
    ) -> None:
        self.consumer = consumer or process_consumer()
        self.instruments = instruments
        self.fanout = WebhookFanout(engine, bus, consumer=self.consumer, clock=clock)
        self.deliverer = Deliverer(engine, box=box, policy=policy, clock=clock, client=client)
        self.notifications = EmailNotifications(
            engine,
            bus,
            mailer,
            public_url=public_url,
            consumer=self.consumer,
            max_deliveries=max_deliveries,
            instruments=instruments,
        )
        self.audit = AuditConsumer(
            engine, bus, consumer=self.consumer, max_deliveries=max_deliveries, instruments=instruments
        )
        self.metrics = MetricsConsumer(
            bus, consumer=self.consumer, instruments=instruments, dead_letters=DeadLetters(engine)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(
        cls,
        engine: Engine,
        settings: Settings,
        *,
        bus: EventBus | None = None,
        mailer: Mailer | None = None,
        consumer: str | None = None,
    ) -> EventConsumers:
        """The consumers of the settings' bus (Kafka or Redis, else this process's), mailing with ``mailer`` (by
        default the settings' SMTP server, or the log)."""
        from reviewlab.mail import mailer_from_settings

        return cls(
            engine,
            bus if bus is not None else default_bus(bus_address(settings)),
            box=SecretBox.from_settings(settings),
            mailer=mailer if mailer is not None else mailer_from_settings(settings),
            public_url=settings.reviewlab_public_url,
            consumer=consumer,
        )

    # -- one pass -------------------------------------------------------------------------------------------

    def run_pass(self) -> PassReport:
        """Every consumer once (each step isolated: one that fails is logged and the others run)."""
        report = PassReport()
        report.webhooks.queued_messages = self._step(report, "webhook fan-out", self._fan_out, 0)
        report.webhooks.attempts = self._step(report, "webhook deliveries", self._deliver, [])
        report.notifications = self._step(report, "notifications", self.notifications.drain, (0, 0))
        report.audited = self._step(report, "audit", self.audit.drain, (0, 0))
        report.counted = self._step(report, "metrics", self.metrics.drain, (0, 0))
        return report

    def _step(self, report: PassReport, name: str, step: Callable[[], T], fallback: T) -> T:
        if self._stop.is_set():
            return fallback  # stopping: what is left waits for the next process
        try:
            return step()
        except Exception:
            log.warning("event consumer step %r failed (retried next pass)", name, exc_info=True)
            report.failed.append(name)
            return fallback

    def _fan_out(self) -> int:
        total = 0
        for _ in range(MAX_BATCHES):
            handled = self.fanout.pump()
            total += handled
            if not handled:
                break
        return total

    def _deliver(self) -> list[Attempt]:
        attempts = self.deliverer.deliver_due()
        metrics = self.instruments or instruments()
        for attempt in attempts:
            metrics.webhook_delivery(attempt.status)
        metrics.webhook_pending(self.deliverer.pending())
        return attempts

    # -- the loop -------------------------------------------------------------------------------------------

    def start(self, interval: float) -> None:
        """Run a pass every ``interval`` seconds on a daemon thread (the first after one interval)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(interval,), name="event-consumers", daemon=True)
        self._thread.start()

    def run(self, interval: float, *, at_once: bool = False) -> None:
        """Run passes every ``interval`` seconds until ``stop`` (in the calling thread); ``at_once``: one first."""
        if at_once:
            self.run_pass()
        while not self._stop.wait(interval):
            self.run_pass()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the loop: no new step starts; waits for the running one and joins the thread."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
