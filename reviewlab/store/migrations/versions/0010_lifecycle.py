"""The model lifecycle: ``experiments_v1`` (experiments, datasets, evaluations, promotions, blacklist,
transitions) and ``quarantine`` (records, re_evaluation); analysis sessions record the production
configuration they reviewed with (``configuration``) and how their AI review ended (``ai_status``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGE_CHECK = "stage IN ('experimental', 'production', 'quarantined', 'blacklisted')"
EVALUATION_STATUS_CHECK = "status IN ('running', 'succeeded', 'failed')"
DECISION_CHECK = "decision IN ('promoted', 'refused', 'forced')"
RECORD_STATUS_CHECK = "status IN ('open', 'released', 'blacklisted')"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _schema(name: str) -> str | None:
    """``name`` on PostgreSQL; none on SQLite, whose DDL drops a foreign key across (untranslated) schemas."""
    return name if _postgres() else None


def _ref(schema: str, table: str) -> str:
    return f"{schema}.{table}.id" if _postgres() else f"{table}.id"


def _utc() -> sa.types.TypeEngine[Any]:
    return sa.DateTime(timezone=True)


def _json(*, none_as_null: bool = False) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(postgresql.JSONB(none_as_null=none_as_null), "postgresql")


def _experiment_fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [_ref("experiments_v1", "experiments")],
        name=op.f(f"fk_{table}_{column}_experiments"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    """Create both schemas' tables and the sessions' ``configuration`` column."""
    experiments = _schema("experiments_v1")
    quarantine = _schema("quarantine")
    if _postgres():
        op.execute("CREATE SCHEMA IF NOT EXISTS experiments_v1")
        op.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("config_hash", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("mlflow_version", sa.String(16), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(STAGE_CHECK, name=op.f("ck_experiments_stage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("config_hash", name=op.f("uq_experiments_config_hash")),
        schema=experiments,
    )
    op.create_index(op.f("ix_experiments_name"), "experiments", ["name"], schema=experiments)
    op.create_index(op.f("ix_experiments_stage"), "experiments", ["stage"], schema=experiments)
    op.create_table(
        "datasets",
        sa.Column("version", sa.String(12), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("parent", sa.String(12), nullable=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("summary", _json(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_datasets")),
        schema=experiments,
    )
    op.create_index(op.f("ix_datasets_created_at"), "datasets", ["created_at"], schema=experiments)
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("dataset_version", sa.String(12), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("metrics", _json(none_as_null=True), nullable=True),
        sa.Column("cases", _json(none_as_null=True), nullable=True),
        sa.Column("mlflow_run_id", sa.String(64), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.CheckConstraint(EVALUATION_STATUS_CHECK, name=op.f("ck_evaluations_status")),
        _experiment_fk("evaluations", "experiment_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        schema=experiments,
    )
    op.create_index(
        "ix_evaluations_experiment_id_dataset_version",
        "evaluations",
        ["experiment_id", "dataset_version"],
        schema=experiments,
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("previous_id", sa.String(36), nullable=True),
        sa.Column("dataset_version", sa.String(12), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.CheckConstraint(DECISION_CHECK, name=op.f("ck_promotions_decision")),
        _experiment_fk("promotions", "experiment_id", "CASCADE"),
        _experiment_fk("promotions", "previous_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        schema=experiments,
    )
    op.create_index(op.f("ix_promotions_experiment_id"), "promotions", ["experiment_id"], schema=experiments)
    op.create_index(op.f("ix_promotions_at"), "promotions", ["at"], schema=experiments)
    op.create_table(
        "blacklist",
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        _experiment_fk("blacklist", "experiment_id", "CASCADE"),
        sa.PrimaryKeyConstraint("experiment_id", name=op.f("pk_blacklist")),
        schema=experiments,
    )
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("from_stage", sa.String(16), nullable=True),
        sa.Column("to_stage", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        _experiment_fk("transitions", "experiment_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transitions")),
        schema=experiments,
    )
    op.create_index(op.f("ix_transitions_experiment_id"), "transitions", ["experiment_id"], schema=experiments)
    op.create_index(op.f("ix_transitions_at"), "transitions", ["at"], schema=experiments)
    op.create_table(
        "records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column("restored_id", sa.String(36), nullable=True),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.CheckConstraint(RECORD_STATUS_CHECK, name=op.f("ck_records_status")),
        _experiment_fk("records", "experiment_id", "CASCADE"),
        _experiment_fk("records", "restored_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        schema=quarantine,
    )
    op.create_index(op.f("ix_records_experiment_id"), "records", ["experiment_id"], schema=quarantine)
    op.create_index(op.f("ix_records_status"), "records", ["status"], schema=quarantine)
    op.create_table(
        "re_evaluation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("evaluation_id", sa.String(36), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            [_ref("quarantine", "records")],
            name=op.f("fk_re_evaluation_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            [_ref("experiments_v1", "evaluations")],
            name=op.f("fk_re_evaluation_evaluation_id_evaluations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_re_evaluation")),
        schema=quarantine,
    )
    op.create_index(op.f("ix_re_evaluation_record_id"), "re_evaluation", ["record_id"], schema=quarantine)
    production = _schema("production")
    op.add_column("analysis_sessions", sa.Column("configuration", sa.String(16), nullable=True), schema=production)
    op.add_column("analysis_sessions", sa.Column("ai_status", sa.String(16), nullable=True), schema=production)
    op.create_index(
        op.f("ix_analysis_sessions_configuration"), "analysis_sessions", ["configuration"], schema=production
    )


def downgrade() -> None:
    """Drop the sessions' column, both schemas' tables and (PostgreSQL) the schemas."""
    production = _schema("production")
    op.drop_index(op.f("ix_analysis_sessions_configuration"), table_name="analysis_sessions", schema=production)
    with op.batch_alter_table("analysis_sessions", schema=production) as batch:
        batch.drop_column("ai_status")
        batch.drop_column("configuration")
    quarantine = _schema("quarantine")
    experiments = _schema("experiments_v1")
    op.drop_table("re_evaluation", schema=quarantine)
    op.drop_table("records", schema=quarantine)
    for table in ("transitions", "blacklist", "promotions", "evaluations", "datasets", "experiments"):
        op.drop_table(table, schema=experiments)
    if _postgres():
        op.execute("DROP SCHEMA IF EXISTS quarantine")
        op.execute("DROP SCHEMA IF EXISTS experiments_v1")
