"""The dataflow path of a finding: a nullable JSON ``flow`` column on code review results.

Rows saved before it have ``flow`` NULL, which reads back as a finding without a path.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(*, none_as_null: bool = False) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(postgresql.JSONB(none_as_null=none_as_null), "postgresql")


def _schema() -> str | None:
    """``production`` on PostgreSQL; none on SQLite, where the schemas are folded into ``main``.

    Alembic renders ALTER statements as text, so the connection's schema translation does not reach them.
    """
    return "production" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    """Add ``code_review_results.flow`` (nullable, so existing rows need no rewrite)."""
    column = sa.Column("flow", _json(none_as_null=True), nullable=True)
    op.add_column("code_review_results", column, schema=_schema())


def downgrade() -> None:
    """Drop ``code_review_results.flow`` (on SQLite by rebuilding the table)."""
    with op.batch_alter_table("code_review_results", schema=_schema()) as batch:
        batch.drop_column("flow")
