"""The ``providers`` schema: the provider chain, users' encrypted API keys, health, quotas and AI usage."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime


class HealthState(StrEnum):
    """A provider's state as last checked: an open or half-open circuit wins over the health check's answer.

    ``closed`` is a closed circuit whose provider was not health-checked (its reachability is unknown).
    """

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    OPEN = "open"
    HALF_OPEN = "half_open"
    CLOSED = "closed"


class Period(StrEnum):
    """The window a quota counts over (UTC days and calendar months)."""

    DAY = "day"
    MONTH = "month"


ANY_PROVIDER = "*"
"""The ``provider`` of a quota covering every provider together."""
EVERYONE = "*"
"""The ``scope`` of a quota that applies to every user (its ``user_id`` is NULL)."""

NAME_CHECK = "name IN ('ollama', 'huggingface', 'openai', 'anthropic')"
KIND_CHECK = "kind IN ('local', 'cloud')"
KEY_PROVIDER_CHECK = "provider IN ('openai', 'anthropic')"
HEALTH_PROVIDER_CHECK = "provider IN ('ollama', 'huggingface', 'openai', 'anthropic')"
STATE_CHECK = "state IN ('available', 'unavailable', 'open', 'half_open', 'closed')"
BREAKER_CHECK = "breaker IN ('closed', 'open', 'half_open')"
QUOTA_PROVIDER_CHECK = "provider IN ('*', 'ollama', 'huggingface', 'openai', 'anthropic')"
PERIOD_CHECK = "period IN ('day', 'month')"
SCOPE_CHECK = "(user_id IS NULL AND scope = '*') OR (user_id IS NOT NULL AND scope = user_id)"


class ProviderRow(Base):
    """One provider of the chain as the platform knows it: whether it is used and its place (lower first)."""

    __tablename__ = "providers"
    __table_args__ = (
        CheckConstraint(NAME_CHECK, name="name"),
        CheckConstraint(KIND_CHECK, name="kind"),
        {"schema": "providers"},
    )

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UserKeyRow(Base):
    """A user's API key for a cloud provider: a SecretBox token bound to ``user_id/provider``, and its mask."""

    __tablename__ = "user_keys"
    __table_args__ = (
        CheckConstraint(KEY_PROVIDER_CHECK, name="provider"),
        UniqueConstraint("user_id", "provider"),
        {"schema": "providers"},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth.users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[str] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ProviderHealthRow(Base):
    """The latest health of one provider: one row each, replaced by every check (no history is kept)."""

    __tablename__ = "health"
    __table_args__ = (
        CheckConstraint(HEALTH_PROVIDER_CHECK, name="provider"),
        CheckConstraint(STATE_CHECK, name="state"),
        CheckConstraint(BREAKER_CHECK, name="breaker"),
        {"schema": "providers"},
    )

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16))
    breaker: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text)


class QuotaRow(Base):
    """A limit on tokens and/or USD per period, for one user or (``user_id`` NULL) everyone, on one or any provider.

    ``scope`` repeats ``user_id``, or is ``'*'`` for everyone, because a unique constraint treats NULLs as
    distinct on both dialects: without it two "everyone" rows for one provider and period could coexist.
    """

    __tablename__ = "quotas"
    __table_args__ = (
        CheckConstraint(QUOTA_PROVIDER_CHECK, name="provider"),
        CheckConstraint(PERIOD_CHECK, name="period"),
        CheckConstraint(SCOPE_CHECK, name="scope"),
        CheckConstraint("max_tokens IS NULL OR max_tokens >= 0", name="max_tokens"),
        CheckConstraint("max_cost_usd IS NULL OR max_cost_usd >= 0", name="max_cost_usd"),
        UniqueConstraint("scope", "provider", "period"),
        {"schema": "providers"},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("auth.users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(36))
    provider: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(8))
    max_tokens: Mapped[int | None] = mapped_column(BigInteger)
    max_cost_usd: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _counter_checks() -> tuple[CheckConstraint, ...]:
    return tuple(
        CheckConstraint(f"{name} >= 0", name=name)
        for name in ("requests", "cached_calls", "input_tokens", "output_tokens")
    )


class DailyUsageRow(Base):
    """AI usage of one user on one provider and model on one UTC day (``user_id`` ``''``: no user).

    ``user_id`` is the ledger's user key, not a foreign key: spending is accounting and outlives the account.
    """

    __tablename__ = "usage"
    __table_args__ = (*_counter_checks(), {"schema": "providers"})

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    requests: Mapped[int] = mapped_column(BigInteger)
    cached_calls: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[float] = mapped_column(Float)
    latency_s: Mapped[float] = mapped_column(Float)


class ReviewUsageRow(Base):
    """AI usage of one review on one provider and model, all time (the ledger's ``review`` scope)."""

    __tablename__ = "review_usage"
    __table_args__ = (*_counter_checks(), {"schema": "providers"})

    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger)
    cached_calls: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[float] = mapped_column(Float)
    latency_s: Mapped[float] = mapped_column(Float)
