"""The audit log: ``audits.audit_log``, append-only and hash-chained; on PostgreSQL range-partitioned by month
(partitions in ``audits_partitions``, created by the first append into a month) with a trigger refusing
UPDATE, DELETE and TRUNCATE; on SQLite a plain table with triggers refusing UPDATE and DELETE.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_TRIGGERS = """
CREATE FUNCTION audits.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audits.audit_log is append-only (' || TG_OP || ' refused)',
        ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audits.audit_log
    FOR EACH ROW EXECUTE FUNCTION audits.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audits.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audits.audit_log_append_only();
"""

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (DELETE refused)'); END",
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE SCHEMA IF NOT EXISTS audits")
        op.execute("CREATE SCHEMA IF NOT EXISTS audits_partitions")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", _utc(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=True),
        sa.Column("target_id", sa.String(128), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("details", _json(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", "occurred_at", name=op.f("pk_audit_log")),
        schema="audits",
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index(op.f("ix_audit_log_occurred_at"), "audit_log", ["occurred_at"], schema="audits")
    op.create_index(op.f("ix_audit_log_actor"), "audit_log", ["actor"], schema="audits")
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], schema="audits")
    if postgres:
        op.execute(POSTGRES_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    """Drop the log (with its partitions and triggers) and, on PostgreSQL, the then empty schemas."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("audit_log", schema="audits")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audits.audit_log_append_only()")
        op.execute("DROP SCHEMA IF EXISTS audits_partitions")
        op.execute("DROP SCHEMA IF EXISTS audits")
