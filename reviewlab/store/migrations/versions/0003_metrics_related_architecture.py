"""Metrics, related locations, architecture and gate verdict: what issue 4's reviews add to a stored review.

- ``code_review_results.related``: the other places a finding involves (the other copy of a clone, the
  modules of an import cycle); NULL for rows saved before, read back as none.
- ``analysis_sessions.architecture`` and ``analysis_sessions.gate``: the review's module graph report
  and quality gate verdict, NULL when the review had none.
- ``file_metrics``: one row per reviewed file with its headline metrics as columns (for queries) and
  every metric, per function too, as JSON.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(*, none_as_null: bool = False) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(postgresql.JSONB(none_as_null=none_as_null), "postgresql")


def _schema() -> str | None:
    """``production`` on PostgreSQL; none on SQLite (ALTER statements do not see the schema translation)."""
    return "production" if op.get_bind().dialect.name == "postgresql" else None


def upgrade() -> None:
    """Add the nullable columns (existing rows need no rewrite) and create ``file_metrics``."""
    op.add_column("code_review_results", sa.Column("related", _json(none_as_null=True)), schema=_schema())
    op.add_column("analysis_sessions", sa.Column("architecture", _json(none_as_null=True)), schema=_schema())
    op.add_column("analysis_sessions", sa.Column("gate", _json(none_as_null=True)), schema=_schema())
    op.create_table(
        "file_metrics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("code_lines", sa.Integer(), nullable=False),
        sa.Column("comment_lines", sa.Integer(), nullable=False),
        sa.Column("comment_density", sa.Float(), nullable=False),
        sa.Column("cyclomatic", sa.Integer(), nullable=False),
        sa.Column("maintainability_index", sa.Float(), nullable=False),
        sa.Column("functions", sa.Integer(), nullable=False),
        sa.Column("max_cyclomatic", sa.Integer(), nullable=False),
        sa.Column("max_cognitive", sa.Integer(), nullable=False),
        sa.Column("metrics", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["production.analysis_sessions.id"],
            name=op.f("fk_file_metrics_session_id_analysis_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_metrics")),
        schema="production",
    )
    op.create_index(op.f("ix_file_metrics_session_id"), "file_metrics", ["session_id"], schema="production")


def downgrade() -> None:
    """Drop ``file_metrics`` and the added columns (on SQLite by rebuilding the tables)."""
    op.drop_table("file_metrics", schema="production")
    with op.batch_alter_table("analysis_sessions", schema=_schema()) as batch:
        batch.drop_column("gate")
        batch.drop_column("architecture")
    with op.batch_alter_table("code_review_results", schema=_schema()) as batch:
        batch.drop_column("related")
