"""The production schema: analysis sessions and code review results.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(*, none_as_null: bool = False) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(postgresql.JSONB(none_as_null=none_as_null), "postgresql")


def upgrade() -> None:
    """Create the ``production`` schema (PostgreSQL) and its two tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SCHEMA IF NOT EXISTS production")
    op.create_table(
        "analysis_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("rule_pack_version", sa.String(64), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("counts_by_severity", _json(), nullable=False),
        sa.Column("counts_by_category", _json(), nullable=False),
        sa.Column("worst_severity", sa.String(16), nullable=True),
        sa.Column("diagnostics", _json(), nullable=False),
        sa.CheckConstraint(
            "source_kind IN ('path', 'git', 'diff', 'snippet')", name=op.f("ck_analysis_sessions_source_kind")
        ),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f("ck_analysis_sessions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_sessions")),
        schema="production",
    )
    op.create_index(op.f("ix_analysis_sessions_created_at"), "analysis_sessions", ["created_at"], schema="production")
    op.create_table(
        "code_review_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("cwe", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("start_line", sa.Integer(), nullable=False),
        sa.Column("start_column", sa.Integer(), nullable=False),
        sa.Column("end_line", sa.Integer(), nullable=False),
        sa.Column("end_column", sa.Integer(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("fix", _json(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["production.analysis_sessions.id"],
            name=op.f("fk_code_review_results_session_id_analysis_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_review_results")),
        schema="production",
    )
    op.create_index(
        op.f("ix_code_review_results_session_id"), "code_review_results", ["session_id"], schema="production"
    )
    op.create_index(
        op.f("ix_code_review_results_fingerprint"), "code_review_results", ["fingerprint"], schema="production"
    )


def downgrade() -> None:
    """Drop the two tables and, on PostgreSQL, the then empty ``production`` schema."""
    op.drop_table("code_review_results", schema="production")
    op.drop_table("analysis_sessions", schema="production")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SCHEMA IF EXISTS production")
