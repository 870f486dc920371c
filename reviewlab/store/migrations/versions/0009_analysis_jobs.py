"""Analyses as queued jobs: job columns and statuses on analysis sessions, their progress events, their input.

``production.analysis_sessions`` gains the statuses ``queued`` and ``cancelled`` and the columns of a job
(owner, project, request, error, stage, attempts, worker lease, cancel flag, queue time, the reviewed
commit and the counter numbering its events); sessions saved by the CLI keep them NULL (or at their defaults).
``production.analysis_events`` holds each session's events numbered 1..n; ``production.artifacts`` the
uploaded input of a job, so a worker on another machine can fetch it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUS_CHECK = "status IN ('running', 'completed', 'failed')"
NEW_STATUS_CHECK = "status IN ('queued', 'running', 'completed', 'failed', 'cancelled')"
NEW_COLUMNS = (
    "owner_id",
    "project_id",
    "request",
    "error",
    "stage",
    "attempts",
    "worker_id",
    "lease_expires_at",
    "cancel_requested",
    "queued_at",
    "source_commit",
    "last_seq",
)


def _utc() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def _json(*, none_as_null: bool = False) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(postgresql.JSONB(none_as_null=none_as_null), "postgresql")


def _schema() -> str | None:
    """``production`` on PostgreSQL; none on SQLite (ALTER statements do not see the schema translation)."""
    return "production" if op.get_bind().dialect.name == "postgresql" else None


CHILDREN = ("code_review_results", "file_metrics")
"""The tables whose rows reference a session (besides the two this revision creates)."""


@contextmanager
def _keeping_children() -> Iterator[None]:
    """Keep the sessions' findings and metrics through a rebuild of ``analysis_sessions`` on SQLite.

    The rebuild drops the old table, and with foreign keys on (as the store connects) SQLite's implicit
    DELETE of a dropped table cascades to the child rows; the pragma cannot be turned off inside the
    migration's transaction, so the rows are copied aside and put back.
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    for child in CHILDREN:
        op.execute(f"CREATE TEMP TABLE keep_{child} AS SELECT * FROM {child}")  # noqa: S608 - names from CHILDREN
    yield
    for child in CHILDREN:
        op.execute(f"INSERT OR IGNORE INTO {child} SELECT * FROM keep_{child}")  # noqa: S608 - names from CHILDREN
        op.execute(f"DROP TABLE keep_{child}")


def _session_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"],
        ["production.analysis_sessions.id"],
        name=op.f(f"fk_{table}_session_id_analysis_sessions"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Add the job columns and statuses to sessions; create ``analysis_events`` and ``artifacts``."""
    with _keeping_children(), op.batch_alter_table("analysis_sessions", schema=_schema()) as batch:
        batch.drop_constraint(op.f("ck_analysis_sessions_status"), type_="check")
        batch.create_check_constraint(op.f("ck_analysis_sessions_status"), NEW_STATUS_CHECK)
        batch.add_column(sa.Column("owner_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("project_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("request", _json(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("stage", sa.String(32), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("worker_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", _utc(), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("queued_at", _utc(), nullable=True))
        batch.add_column(sa.Column("source_commit", sa.String(64), nullable=True))
        batch.add_column(sa.Column("last_seq", sa.Integer(), server_default="0", nullable=False))
        batch.create_index(op.f("ix_analysis_sessions_owner_id"), ["owner_id"])
        batch.create_index(op.f("ix_analysis_sessions_project_id"), ["project_id"])
        batch.create_index(op.f("ix_analysis_sessions_status"), ["status"])
    op.create_table(
        "analysis_events",
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        _session_fk("analysis_events"),
        sa.PrimaryKeyConstraint("session_id", "seq", name=op.f("pk_analysis_events")),
        schema="production",
    )
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        _session_fk("artifacts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
        schema="production",
    )
    op.create_index(op.f("ix_artifacts_session_id"), "artifacts", ["session_id"], schema="production")


def downgrade() -> None:
    """Drop the two tables and the job columns; sessions that were queued or cancelled become failed."""
    op.drop_table("artifacts", schema="production")
    op.drop_table("analysis_events", schema="production")
    schema = _schema()
    table = sa.table("analysis_sessions", sa.column("status", sa.String()), schema=schema)
    op.execute(table.update().where(table.c.status.in_(("queued", "cancelled"))).values(status="failed"))
    with _keeping_children(), op.batch_alter_table("analysis_sessions", schema=schema) as batch:
        batch.drop_index(op.f("ix_analysis_sessions_status"))
        batch.drop_index(op.f("ix_analysis_sessions_project_id"))
        batch.drop_index(op.f("ix_analysis_sessions_owner_id"))
        for column in reversed(NEW_COLUMNS):
            batch.drop_column(column)
        batch.drop_constraint(op.f("ck_analysis_sessions_status"), type_="check")
        batch.create_check_constraint(op.f("ck_analysis_sessions_status"), OLD_STATUS_CHECK)
