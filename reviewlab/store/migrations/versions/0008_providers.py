"""The ``providers`` schema: the provider chain, users' encrypted API keys, health, quotas and AI usage.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_CHECK = "name IN ('ollama', 'huggingface', 'openai', 'anthropic')"
KIND_CHECK = "kind IN ('local', 'cloud')"
KEY_PROVIDER_CHECK = "provider IN ('openai', 'anthropic')"
HEALTH_PROVIDER_CHECK = "provider IN ('ollama', 'huggingface', 'openai', 'anthropic')"
STATE_CHECK = "state IN ('available', 'unavailable', 'open', 'half_open', 'closed')"
BREAKER_CHECK = "breaker IN ('closed', 'open', 'half_open')"
QUOTA_PROVIDER_CHECK = "provider IN ('*', 'ollama', 'huggingface', 'openai', 'anthropic')"
PERIOD_CHECK = "period IN ('day', 'month')"
SCOPE_CHECK = "(user_id IS NULL AND scope = '*') OR (user_id IS NOT NULL AND scope = user_id)"
USAGE_CHECKS = (
    ("requests", "requests >= 0"),
    ("cached_calls", "cached_calls >= 0"),
    ("input_tokens", "input_tokens >= 0"),
    ("output_tokens", "output_tokens >= 0"),
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _schema() -> str | None:
    """``providers`` on PostgreSQL; none on SQLite, whose DDL drops a foreign key across (untranslated) schemas."""
    return "providers" if _postgres() else None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    target = "auth.users.id" if _postgres() else "users.id"
    return sa.ForeignKeyConstraint(["user_id"], [target], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE")


def _utc() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def _counters() -> list[sa.Column[Any]]:
    return [
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("cached_calls", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
    ]


def upgrade() -> None:
    """Create the ``providers`` schema (PostgreSQL) and its six tables."""
    schema = _schema()
    if schema is not None:
        op.execute("CREATE SCHEMA IF NOT EXISTS providers")
    op.create_table(
        "providers",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(NAME_CHECK, name=op.f("ck_providers_name")),
        sa.CheckConstraint(KIND_CHECK, name=op.f("ck_providers_kind")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_providers")),
        schema=schema,
    )
    op.create_table(
        "user_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("masked", sa.String(32), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("last_used_at", _utc(), nullable=True),
        sa.CheckConstraint(KEY_PROVIDER_CHECK, name=op.f("ck_user_keys_provider")),
        _user_fk("user_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_keys")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_user_keys_user_id_provider")),
        schema=schema,
    )
    op.create_table(
        "health",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("checked_at", _utc(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("breaker", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint(HEALTH_PROVIDER_CHECK, name=op.f("ck_health_provider")),
        sa.CheckConstraint(STATE_CHECK, name=op.f("ck_health_state")),
        sa.CheckConstraint(BREAKER_CHECK, name=op.f("ck_health_breaker")),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_health")),
        schema=schema,
    )
    op.create_table(
        "quotas",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("scope", sa.String(36), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("max_tokens", sa.BigInteger(), nullable=True),
        sa.Column("max_cost_usd", sa.Float(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(QUOTA_PROVIDER_CHECK, name=op.f("ck_quotas_provider")),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f("ck_quotas_period")),
        sa.CheckConstraint(SCOPE_CHECK, name=op.f("ck_quotas_scope")),
        sa.CheckConstraint("max_tokens IS NULL OR max_tokens >= 0", name=op.f("ck_quotas_max_tokens")),
        sa.CheckConstraint("max_cost_usd IS NULL OR max_cost_usd >= 0", name=op.f("ck_quotas_max_cost_usd")),
        _user_fk("quotas"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
        sa.UniqueConstraint("scope", "provider", "period", name=op.f("uq_quotas_scope_provider_period")),
        schema=schema,
    )
    op.create_index(op.f("ix_quotas_user_id"), "quotas", ["user_id"], schema=schema)
    op.create_table(
        "usage",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_counters(),
        *(sa.CheckConstraint(check, name=op.f(f"ck_usage_{name}")) for name, check in USAGE_CHECKS),
        sa.PrimaryKeyConstraint("user_id", "provider", "model", "day", name=op.f("pk_usage")),
        schema=schema,
    )
    op.create_index(op.f("ix_usage_day"), "usage", ["day"], schema=schema)
    op.create_table(
        "review_usage",
        sa.Column("review_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        *_counters(),
        *(sa.CheckConstraint(check, name=op.f(f"ck_review_usage_{name}")) for name, check in USAGE_CHECKS),
        sa.PrimaryKeyConstraint("review_id", "provider", "model", name=op.f("pk_review_usage")),
        schema=schema,
    )


def downgrade() -> None:
    """Drop the six tables and, on PostgreSQL, the then empty ``providers`` schema."""
    schema = _schema()
    for table in ("review_usage", "usage", "quotas", "health", "user_keys", "providers"):
        op.drop_table(table, schema=schema)
    if schema is not None:
        op.execute("DROP SCHEMA IF EXISTS providers")
