"""The origin of an AI finding: a nullable JSON ``ai`` column on code review results (provider, model,
prompt version, self-reflection score). NULL for static findings and for rows saved before it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:10:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _schema() -> str | None:
    """``production`` on PostgreSQL; none on SQLite (ALTER statements do not see the schema translation)."""
    return "production" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    op.add_column("code_review_results", sa.Column("ai", _json()), schema=_schema())


def downgrade() -> None:
    with op.batch_alter_table("code_review_results", schema=_schema()) as batch:
        batch.drop_column("ai")
