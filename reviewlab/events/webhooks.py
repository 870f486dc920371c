"""Signed outgoing webhooks: subscriptions, the consumer that turns bus events into deliveries, the deliverer.

A delivery is a POST of the event's JSON with the headers

- ``X-Reviewlab-Event``: the event type; ``X-Reviewlab-Delivery``: the delivery id (the same on every retry);
- ``X-Reviewlab-Timestamp``: Unix seconds when this attempt was sent;
- ``X-Reviewlab-Signature``: ``sha256=<hex>``, HMAC-SHA256 with the subscription's secret over
  ``<timestamp>.<body>`` — the timestamp is signed with the body, so a receiver that rejects timestamps
  older than a few minutes (``verify`` does, 300 s by default) cannot be fed a replayed request.

A 2xx answer delivers it; anything else (another status, a timeout, a refused connection) is retried with
exponential backoff (``RetryPolicy``) until the attempts run out, when the delivery is ``failed``. Every
attempt is logged on the row (status code, error, duration).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, func, insert, select, update

from reviewlab.errors import InputError, StoreError
from reviewlab.events.bus import EventBus, Message
from reviewlab.events.model import EVENT_TYPES, DomainEvent
from reviewlab.events.models import DELIVERY_STATUSES, WebhookDeliveryRow, WebhookRow
from reviewlab.jobs.db import prepared, reading, table_of, writing
from reviewlab.security.crypto import SecretBox

log = logging.getLogger(__name__)
WEBHOOKS = table_of(WebhookRow)
DELIVERIES = table_of(WebhookDeliveryRow)
GROUP = "webhooks"
SIGNATURE_HEADER = "X-Reviewlab-Signature"
TIMESTAMP_HEADER = "X-Reviewlab-Timestamp"
EVENT_HEADER = "X-Reviewlab-Event"
DELIVERY_HEADER = "X-Reviewlab-Delivery"
REPLAY_TOLERANCE_SECONDS = 300
MAX_LOG_ENTRIES = 50
MAX_ERROR_LENGTH = 500

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- signing ------------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Reviewlab-Signature`` value: ``sha256=`` and the HMAC-SHA256 of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float | None = None,
    tolerance: float = REPLAY_TOLERANCE_SECONDS,
) -> bool:
    """Whether a received request is authentic and fresh (what a receiver should check)."""
    if not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


# -- subscriptions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    event_types: tuple[str, ...]
    active: bool
    description: str | None

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.event_types or event_type in self.event_types)


def subscribe(
    engine: Engine,
    url: str,
    secret: str,
    event_types: Iterable[str] = (),
    *,
    box: SecretBox,
    description: str | None = None,
    clock: Clock = utc_now,
) -> Webhook:
    """Add a subscription (``event_types`` empty: every type); its secret is stored encrypted with ``box``."""
    check_url(url)
    if not 16 <= len(secret) <= MAX_SECRET_LENGTH:
        raise InputError(f"a webhook secret has 16 to {MAX_SECRET_LENGTH} characters")
    types = check_event_types(event_types)
    webhook = Webhook(str(uuid.uuid4()), url, types, True, description)
    with writing(prepared(engine), "adding a webhook") as connection:
        connection.execute(
            insert(WEBHOOKS).values(
                id=webhook.id,
                url=url,
                secret=box.encrypt(secret, context=_context(webhook.id)),
                event_types=list(types),
                active=True,
                description=description,
                created_at=clock(),
            )
        )
    return webhook


def _context(webhook_id: str) -> str:
    """What a webhook's encrypted secret is bound to (a ciphertext copied to another row does not decrypt)."""
    return f"webhook:{webhook_id}"


def set_active(engine: Engine, webhook_id: str, active: bool) -> None:
    """Pause or resume a subscription (a paused one gets no new deliveries; its pending ones are still sent)."""
    with writing(prepared(engine), "changing a webhook") as connection:
        changed = connection.execute(update(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id).values(active=active))
        if changed.rowcount != 1:
            raise InputError(f"no webhook {webhook_id}")


def webhooks(engine: Engine) -> list[Webhook]:
    with reading(prepared(engine), "reading webhooks") as connection:
        rows = connection.execute(select(WEBHOOKS).order_by(WEBHOOKS.c.created_at)).all()
    return [Webhook(r.id, r.url, tuple(r.event_types or ()), bool(r.active), r.description) for r in rows]


MAX_SECRET_LENGTH = 128


def new_secret() -> str:
    return secrets.token_hex(32)


# -- from the bus to deliveries -----------------------------------------------------------------------------


def default_consumer() -> str:
    """A consumer name that survives a restart of this host's deliverer (so it gets its own pending back)."""
    return f"{socket.gethostname()}-deliverer"


class WebhookFanout:
    """Consumer group ``webhooks``: each event becomes one pending delivery per matching subscription, then is
    acknowledged. A store failure leaves the message unacknowledged, so it comes back on the next read."""

    def __init__(
        self,
        engine: Engine,
        bus: EventBus,
        *,
        consumer: str | None = None,
        group: str = GROUP,
        clock: Clock = utc_now,
        stale_ms: int = 300_000,
    ) -> None:
        self.engine = prepared(engine)
        self.bus = bus
        self.consumer = consumer or default_consumer()
        self.group = group
        self.clock = clock
        self.stale_ms = stale_ms

    def pump(self, count: int = 100) -> int:
        """Read and handle one batch (own pending messages first, then others' stale ones, then new ones);
        returns how many messages were handled."""
        messages = self.bus.read(self.group, self.consumer, count=count)
        if not messages:
            messages = self.bus.claim_stale(self.group, self.consumer, min_idle_ms=self.stale_ms, count=count)
        handled = []
        for message in messages:
            try:
                self._queue(message)
            except StoreError as err:
                log.warning("cannot queue webhook deliveries of message %s (retried later): %s", message.id, err)
                continue
            handled.append(message.id)
        self.bus.ack(self.group, handled)
        return len(handled)

    def _queue(self, message: Message) -> None:
        event = message.event
        if event is None:
            return  # unreadable: acknowledged and dropped (logged by the bus)
        body = event.to_json()
        now = self.clock()
        with writing(self.engine, "queueing webhook deliveries") as connection:
            rows = connection.execute(select(WEBHOOKS).where(WEBHOOKS.c.active.is_(True))).all()
            wanted = [r.id for r in rows if not r.event_types or event.type in r.event_types]
            if not wanted:
                return
            done = set(
                connection.execute(
                    select(DELIVERIES.c.webhook_id).where(
                        DELIVERIES.c.event_id == event.id, DELIVERIES.c.webhook_id.in_(wanted)
                    )
                ).scalars()
            )
            for webhook_id in wanted:
                if webhook_id in done:
                    continue  # a re-delivered message: queued already
                connection.execute(insert(DELIVERIES).values(_new_delivery(webhook_id, event, body, now)))


def _new_delivery(webhook_id: str, event: DomainEvent, body: str, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "webhook_id": webhook_id,
        "event_id": event.id,
        "event_type": event.type,
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_status_code": None,
        "last_error": None,
        "last_duration_ms": None,
        "log": [],
        "created_at": now,
        "delivered_at": None,
    }


# -- delivering ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt ``max_attempts`` times; after failed attempt n wait ``base_seconds * 2**(n-1)`` (at most
    ``max_seconds``)."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    claim_seconds: float = 120.0
    """How long a deliverer holds a delivery it is sending (another deliverer takes it over after that)."""

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: str
    webhook_id: str
    attempt: int
    status: str
    status_code: int | None
    error: str | None
    duration_ms: float
    next_attempt_at: datetime | None


@dataclass
class DrainReport:
    queued_messages: int = 0
    attempts: list[Attempt] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for a in self.attempts if a.status == status)

    def summary(self) -> str:
        return (
            f"{self.queued_messages} events read, {len(self.attempts)} deliveries attempted: "
            f"{self.count('delivered')} delivered, {self.count('pending')} to retry, {self.count('failed')} failed"
        )


class Deliverer:
    """Sends the deliveries that are due, one claim (a conditional UPDATE) at a time."""

    def __init__(
        self,
        engine: Engine,
        *,
        box: SecretBox,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
        client: httpx.Client | None = None,
    ) -> None:
        self.engine = prepared(engine)
        self.box = box
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.client = client

    def deliver_due(self, limit: int = 100) -> list[Attempt]:
        now = self.clock()
        with reading(self.engine, "reading due webhook deliveries") as connection:
            due = (
                connection.execute(
                    select(DELIVERIES.c.id)
                    .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
                    .order_by(DELIVERIES.c.next_attempt_at)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        if not due:
            return []  # no client built: a pass with nothing due costs one query
        own = self.client is None
        client = self.client or httpx.Client(follow_redirects=False)
        try:
            attempts = [a for a in (self._deliver(delivery_id, client) for delivery_id in due) if a is not None]
        finally:
            if own:
                client.close()
        return attempts

    def pending(self) -> int:
        """Deliveries waiting to be sent or retried (status ``pending``, due or not)."""
        with reading(self.engine, "counting pending webhook deliveries") as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(DELIVERIES).where(DELIVERIES.c.status == "pending")
                ).scalar_one()
            )

    def _claim(self, delivery_id: str) -> Any:
        now = self.clock()
        with writing(self.engine, "claiming a webhook delivery") as connection:
            claimed = connection.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id == delivery_id,
                    DELIVERIES.c.status == "pending",
                    DELIVERIES.c.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + timedelta(seconds=self.policy.claim_seconds))
            ).rowcount
            if claimed != 1:
                return None
            return connection.execute(
                select(DELIVERIES, WEBHOOKS.c.url, WEBHOOKS.c.secret)
                .join(WEBHOOKS, WEBHOOKS.c.id == DELIVERIES.c.webhook_id)
                .where(DELIVERIES.c.id == delivery_id)
            ).one()

    def _deliver(self, delivery_id: str, client: httpx.Client) -> Attempt | None:
        row = self._claim(delivery_id)
        if row is None:
            return None  # another deliverer took it
        body = row.body.encode()
        sent = self.clock()
        timestamp = int(sent.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "reviewlab-webhooks",
            EVENT_HEADER: row.event_type,
            DELIVERY_HEADER: row.id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.box.decrypt(row.secret, context=_context(row.webhook_id)), timestamp, body),
        }
        status_code: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            response = client.post(row.url, content=body, headers=headers, timeout=self.policy.timeout_seconds)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {response.text[:200]}"
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}"
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        return self._record(row, sent, status_code, None if error is None else error[:MAX_ERROR_LENGTH], duration_ms)

    def _record(
        self, row: Any, sent: datetime, status_code: int | None, error: str | None, duration_ms: float
    ) -> Attempt:
        attempt = row.attempts + 1
        now = self.clock()
        if error is None:
            status, next_at = "delivered", None
        elif attempt >= self.policy.max_attempts:
            status, next_at = "failed", None
        else:
            status, next_at = "pending", now + self.policy.delay(attempt)
        entry = {
            "attempt": attempt,
            "at": sent.isoformat(),
            "status_code": status_code,
            "error": error,
            "duration_ms": duration_ms,
        }
        entries = [*(row.log or []), entry][-MAX_LOG_ENTRIES:]
        with writing(self.engine, "recording a webhook delivery") as connection:
            connection.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id == row.id)
                .values(
                    status=status,
                    attempts=attempt,
                    next_attempt_at=next_at,
                    last_status_code=status_code,
                    last_error=error,
                    last_duration_ms=duration_ms,
                    log=entries,
                    delivered_at=now if status == "delivered" else None,
                )
            )
        if error is not None:
            log.info("webhook delivery %s attempt %d: %s (%s)", row.id, attempt, error, status)
        return Attempt(row.id, row.webhook_id, attempt, status, status_code, error, duration_ms, next_at)


def drain(
    engine: Engine,
    bus: EventBus,
    *,
    box: SecretBox,
    consumer: str | None = None,
    policy: RetryPolicy | None = None,
    clock: Clock = utc_now,
    client: httpx.Client | None = None,
    max_batches: int = 100,
) -> DrainReport:
    """What a worker (or ``reviewlab events deliver``) runs: turn the bus's new events into deliveries, then
    send the deliveries that are due."""
    report = DrainReport()
    fanout = WebhookFanout(engine, bus, consumer=consumer, clock=clock)
    for _ in range(max_batches):
        handled = fanout.pump()
        report.queued_messages += handled
        if not handled:
            break
    report.attempts = Deliverer(engine, box=box, policy=policy, clock=clock, client=client).deliver_due()
    return report


def deliveries(engine: Engine, *, webhook_id: str | None = None) -> list[dict[str, Any]]:
    """The delivery log (newest first), as dicts."""
    query = select(DELIVERIES).order_by(DELIVERIES.c.created_at.desc())
    if webhook_id is not None:
        query = query.where(DELIVERIES.c.webhook_id == webhook_id)
    with reading(prepared(engine), "reading webhook deliveries") as connection:
        return [dict(r._mapping) for r in connection.execute(query).all()]


# -- managing subscriptions (the admin API) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookSummary(Webhook):
    """A subscription as it may be shown (never its secret), with its deliveries counted by status."""

    created_at: datetime
    deliveries: dict[str, int]


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP
"""``update_webhook(description=KEEP)``: leave the description as it is (None clears it)."""


def check_url(url: str) -> str:
    """``url`` if webhooks may be sent to it: http(s), a host, no whitespace or control characters, a URL httpx
    accepts; else :class:`InputError`."""
    try:
        parts = urlsplit(url)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as err:
        raise InputError(f"not a URL: {err}") from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"a webhook URL is http(s)://host/...: {url!r}")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise InputError("a webhook URL has no whitespace or control characters")
    return url


def check_event_types(event_types: Iterable[str]) -> tuple[str, ...]:
    """``event_types`` without repeats if each is known (empty: every type); else :class:`InputError`."""
    types = tuple(dict.fromkeys(event_types))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise InputError(f"unknown event types {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}")
    return types


def webhook_summaries(engine: Engine, *, webhook_id: str | None = None) -> list[WebhookSummary]:
    """Every subscription (or the one ``webhook_id``), oldest first, with its delivery counts."""
    query = select(WEBHOOKS).order_by(WEBHOOKS.c.created_at, WEBHOOKS.c.id)
    counting = select(DELIVERIES.c.webhook_id, DELIVERIES.c.status, func.count()).group_by(
        DELIVERIES.c.webhook_id, DELIVERIES.c.status
    )
    if webhook_id is not None:
        query = query.where(WEBHOOKS.c.id == webhook_id)
        counting = counting.where(DELIVERIES.c.webhook_id == webhook_id)
    with reading(prepared(engine), "reading webhooks") as connection:
        rows = connection.execute(query).all()
        counted = connection.execute(counting).all()
    counts: dict[str, dict[str, int]] = {}
    for owner, status, number in counted:
        counts.setdefault(owner, dict.fromkeys(DELIVERY_STATUSES, 0))[status] = int(number)
    return [
        WebhookSummary(
            r.id,
            r.url,
            tuple(r.event_types or ()),
            bool(r.active),
            r.description,
            r.created_at,
            counts.get(r.id, dict.fromkeys(DELIVERY_STATUSES, 0)),
        )
        for r in rows
    ]


def webhook_summary(engine: Engine, webhook_id: str) -> WebhookSummary | None:
    """The subscription ``webhook_id`` with its delivery counts, or None."""
    found = webhook_summaries(engine, webhook_id=webhook_id)
    return found[0] if found else None


def update_webhook(
    engine: Engine,
    webhook_id: str,
    *,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    description: str | _Keep | None = KEEP,
    active: bool | None = None,
) -> WebhookSummary | None:
    """Change what is given (``check_url``, ``check_event_types``); the subscription as it is now, or None when
    there is none. Deliveries already queued keep their body and go to the new URL."""
    values: dict[str, Any] = {}
    if url is not None:
        values["url"] = check_url(url)
    if event_types is not None:
        values["event_types"] = list(check_event_types(event_types))
    if description is not KEEP:
        values["description"] = description
    if active is not None:
        values["active"] = active
    with writing(prepared(engine), "changing a webhook") as connection:
        if connection.execute(select(WEBHOOKS.c.id).where(WEBHOOKS.c.id == webhook_id)).first() is None:
            return None
        if values:
            connection.execute(update(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id).values(**values))
    return webhook_summary(engine, webhook_id)


def delete_webhook(engine: Engine, webhook_id: str) -> int | None:
    """Remove a subscription and its deliveries (their log goes with them); how many deliveries went, or None
    when there is no such subscription."""
    with writing(prepared(engine), "deleting a webhook") as connection:
        if connection.execute(select(WEBHOOKS.c.id).where(WEBHOOKS.c.id == webhook_id)).first() is None:
            return None
        gone = connection.execute(DELIVERIES.delete().where(DELIVERIES.c.webhook_id == webhook_id)).rowcount
        connection.execute(WEBHOOKS.delete().where(WEBHOOKS.c.id == webhook_id))
    return int(gone)


def rotate_secret(engine: Engine, webhook_id: str, secret: str, *, box: SecretBox) -> bool:
    """Replace a subscription's secret (every later attempt, retries included, is signed with it); whether
    there was such a subscription. The old secret stops working at once: there is no overlap."""
    if not 16 <= len(secret) <= MAX_SECRET_LENGTH:
        raise InputError(f"a webhook secret has 16 to {MAX_SECRET_LENGTH} characters")
    encrypted = box.encrypt(secret, context=_context(webhook_id))
    with writing(prepared(engine), "rotating a webhook secret") as connection:
        changed = connection.execute(update(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id).values(secret=encrypted))
    return bool(changed.rowcount)


def delivery_page(
    engine: Engine, webhook_id: str, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A page of a subscription's deliveries (newest first, of one ``status`` if given) and how many match."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    where = [DELIVERIES.c.webhook_id == webhook_id]
    if status is not None:
        where.append(DELIVERIES.c.status == status)
    query = (
        select(DELIVERIES)
        .where(*where)
        .order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id)
        .limit(limit)
        .offset(offset)
    )
    with reading(prepared(engine), "reading webhook deliveries") as connection:
        rows = [dict(r._mapping) for r in connection.execute(query).all()]
        total = connection.execute(select(func.count()).select_from(DELIVERIES).where(*where)).scalar_one()
    return rows, int(total)


def delivery(engine: Engine, webhook_id: str, delivery_id: str) -> dict[str, Any] | None:
    """One delivery of a subscription, as a dict, or None."""
    query = select(DELIVERIES).where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.webhook_id == webhook_id)
    with reading(prepared(engine), "reading a webhook delivery") as connection:
        row = connection.execute(query).first()
    return None if row is None else dict(row._mapping)


def redeliver(engine: Engine, webhook_id: str, delivery_id: str, *, clock: Clock = utc_now) -> bool:
    """Queue a ``failed`` delivery again, due now; whether it was one. It keeps its attempt count and log, so
    the deliverer makes one more attempt (and it is failed again if that one fails)."""
    with writing(prepared(engine), "queueing a webhook delivery again") as connection:
        changed = connection.execute(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.id == delivery_id,
                DELIVERIES.c.webhook_id == webhook_id,
                DELIVERIES.c.status == "failed",
            )
            .values(status="pending", next_attempt_at=clock())
        )
    return bool(changed.rowcount)
