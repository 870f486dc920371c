"""The tables of webhooks, ``production.webhooks`` (subscriptions) and ``production.webhook_deliveries``, and of
the consumers' dead letters, ``production.event_dead_letters``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime, json_type

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookRow(Base):
    """A subscription: POST the events of ``event_types`` (all when empty) to ``url``, signed with ``secret``."""

    __tablename__ = "webhooks"
    __table_args__ = ({"schema": "production"},)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(256))
    event_types: Mapped[list[str]] = mapped_column(json_type())
    active: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDeliveryRow(Base):
    """One event to one subscription: its exact body, how many attempts, when the next is due, how the last
    went (status code, error, duration) and the log of every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        {"schema": "production"},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("production.webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[float | None] = mapped_column(Float)
    log: Mapped[list[dict[str, Any]]] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EventDeadLetterRow(Base):
    """A message consumer group ``consumer_group`` gave up on: the event's ``payload`` (``DomainEvent.to_dict``),
    the last error, the deliveries it took (summed when the event is given up again), when it was given up and
    when it was last replayed."""

    __tablename__ = "event_dead_letters"
    __table_args__ = (
        UniqueConstraint("consumer_group", "event_id"),
        {"schema": "production"},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consumer_group: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(json_type())
    last_error: Mapped[str] = mapped_column(Text)
    deliveries: Mapped[int] = mapped_column(Integer)
    given_up_at: Mapped[datetime] = mapped_column(UtcDateTime())
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
