"""The ``projects`` schema: projects, members, reviewed versions, baselines, policies, history and finding triage.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_ROLE_CHECK = "role IN ('owner', 'maintainer', 'reviewer', 'viewer')"
TRIAGE_STATUS_CHECK = "status IN ('open', 'accepted', 'false_positive', 'fixed')"
TABLES = ("triage_events", "triage", "history", "policies", "baselines", "versions", "members", "projects")


def _utc() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _schema() -> str | None:
    """``projects`` on PostgreSQL; none on SQLite, whose DDL drops a foreign key across (untranslated) schemas."""
    return "projects" if _postgres() else None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    target = "projects.projects.id" if _postgres() else "projects.id"
    return sa.ForeignKeyConstraint(
        ["project_id"], [target], name=op.f(f"fk_{table}_project_id_projects"), ondelete="CASCADE"
    )


def _user_fk(table: str, column: str, ondelete: str = "SET NULL") -> sa.ForeignKeyConstraint:
    target = "auth.users.id" if _postgres() else "users.id"
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete)


def upgrade() -> None:
    """Create the ``projects`` schema (PostgreSQL) and its eight tables."""
    schema = _schema()
    if schema is not None:
        op.execute("CREATE SCHEMA IF NOT EXISTS projects")
    op.create_table(
        "projects",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("repo_url", sa.String(2048), nullable=True),
        sa.Column("default_branch", sa.String(255), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        _user_fk("projects", "owner_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_projects_owner_id_name")),
        schema=schema,
    )
    op.create_index(op.f("ix_projects_created_at"), "projects", ["created_at"], schema=schema)
    op.create_table(
        "members",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_at", _utc(), nullable=False),
        sa.CheckConstraint(MEMBER_ROLE_CHECK, name=op.f("ck_members_role")),
        _project_fk("members"),
        _user_fk("members", "user_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_members")),
        schema=schema,
    )
    op.create_index(op.f("ix_members_user_id"), "members", ["user_id"], schema=schema)
    op.create_table(
        "versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(255), nullable=True),
        sa.Column("commit", sa.String(40), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("counts_by_severity", _json(), nullable=False),
        sa.Column("gate_passed", sa.Boolean(), nullable=True),
        _project_fk("versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        schema=schema,
    )
    op.create_index(op.f("ix_versions_project_id"), "versions", ["project_id"], schema=schema)
    op.create_table(
        "baselines",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("fingerprints", _json(), nullable=False),
        sa.Column("set_by", sa.String(36), nullable=True),
        sa.Column("set_at", _utc(), nullable=False),
        _project_fk("baselines"),
        _user_fk("baselines", "set_by"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_baselines")),
        schema=schema,
    )
    op.create_table(
        "policies",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("gate", _json(), nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        _project_fk("policies"),
        _user_fk("policies", "updated_by"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_policies")),
        schema=schema,
    )
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", _json(), nullable=False),
        _project_fk("history"),
        _user_fk("history", "actor_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
        schema=schema,
    )
    op.create_index(op.f("ix_history_project_id"), "history", ["project_id"], schema=schema)
    op.create_table(
        "triage",
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=True),
        sa.Column("updated_by", sa.String(36), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(TRIAGE_STATUS_CHECK, name=op.f("ck_triage_status")),
        _user_fk("triage", "updated_by"),
        sa.PrimaryKeyConstraint("scope", "fingerprint", name=op.f("pk_triage")),
        schema=schema,
    )
    op.create_table(
        "triage_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(80), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=True),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.CheckConstraint(TRIAGE_STATUS_CHECK, name=op.f("ck_triage_events_status")),
        _user_fk("triage_events", "actor_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_events")),
        schema=schema,
    )
    op.create_index(
        op.f("ix_triage_events_scope_fingerprint"), "triage_events", ["scope", "fingerprint"], schema=schema
    )


def downgrade() -> None:
    """Drop the eight tables and, on PostgreSQL, the then empty ``projects`` schema."""
    schema = _schema()
    for table in TABLES:
        op.drop_table(table, schema=schema)
    if schema is not None:
        op.execute("DROP SCHEMA IF EXISTS projects")
