"""Dead letters of the event consumers: ``production.event_dead_letters`` (a message a consumer group gave up
on: its event's payload, the last error, how many deliveries, when it was given up and replayed).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    """``production`` on PostgreSQL (beside the webhook tables); none on SQLite."""
    return "production" if op.get_bind().dialect.name == "postgresql" else None


def _utc() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "event_dead_letters",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("consumer_group", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("given_up_at", _utc(), nullable=False),
        sa.Column("replayed_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_dead_letters")),
        sa.UniqueConstraint("consumer_group", "event_id", name=op.f("uq_event_dead_letters_consumer_group_event_id")),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("event_dead_letters", schema=_schema())
