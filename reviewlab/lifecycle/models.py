"""The lifecycle's tables: ``experiments_v1`` (experiments, datasets, evaluations, promotions, blacklist,
transitions) and ``quarantine`` (records, re_evaluation), from the seed's section 8.1."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime, json_type


class Stage(StrEnum):
    """Where a configuration is in the three-version cycle."""

    EXPERIMENTAL = "experimental"  # V1: a candidate
    PRODUCTION = "production"  # V2: what the platform reviews with (at most one)
    QUARANTINED = "quarantined"  # V3: taken out of production, re-evaluated on a schedule
    BLACKLISTED = "blacklisted"  # failed re-evaluation too often; never promoted again

    @property
    def version(self) -> str:
        return {"experimental": "V1", "production": "V2", "quarantined": "V3", "blacklisted": "V3-blacklisted"}[self]


STAGE_CHECK = "stage IN ('experimental', 'production', 'quarantined', 'blacklisted')"
EVALUATION_STATUS_CHECK = "status IN ('running', 'succeeded', 'failed')"
DECISION_CHECK = "decision IN ('promoted', 'refused', 'forced')"
RECORD_STATUS_CHECK = "status IN ('open', 'released', 'blacklisted')"
EXPERIMENTS = {"schema": "experiments_v1"}
QUARANTINE = {"schema": "quarantine"}
EXPERIMENT_ID = "experiments_v1.experiments.id"


class ExperimentRow(Base):
    """One review configuration (a candidate file's settings, by content hash) and its stage."""

    __tablename__ = "experiments"
    __table_args__ = (CheckConstraint(STAGE_CHECK, name="stage"), EXPERIMENTS)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    config_hash: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    settings: Mapped[dict[str, Any]] = mapped_column(json_type())
    stage: Mapped[str] = mapped_column(String(16), index=True)
    mlflow_version: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DatasetRow(Base):
    """A dataset version the lab has evaluated on (or built from triage), and where its snapshot lives."""

    __tablename__ = "datasets"
    __table_args__ = (EXPERIMENTS,)

    version: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    parent: Mapped[str | None] = mapped_column(String(12))
    location: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class EvaluationRow(Base):
    """One run of a configuration on a dataset version: its metrics, or its error."""

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint(EVALUATION_STATUS_CHECK, name="status"),
        Index("ix_evaluations_experiment_id_dataset_version", "experiment_id", "dataset_version"),
        EXPERIMENTS,
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="CASCADE"))
    dataset_version: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(json_type(none_as_null=True))
    cases: Mapped[list[dict[str, Any]] | None] = mapped_column(json_type(none_as_null=True))
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    duration_s: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PromotionRow(Base):
    """A promotion decision V1 -> V2 with its evidence: promoted, refused by the policy, or forced by a person."""

    __tablename__ = "promotions"
    __table_args__ = (CheckConstraint(DECISION_CHECK, name="decision"), EXPERIMENTS)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="CASCADE"), index=True)
    previous_id: Mapped[str | None] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="SET NULL"))
    dataset_version: Mapped[str | None] = mapped_column(String(12))
    decision: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[dict[str, Any]] = mapped_column(json_type())
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class BlacklistRow(Base):
    """A configuration that may never be promoted again."""

    __tablename__ = "blacklist"
    __table_args__ = (EXPERIMENTS,)

    experiment_id: Mapped[str] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class TransitionRow(Base):
    """Every stage change of a configuration, in order: the lifecycle's history."""

    __tablename__ = "transitions"
    __table_args__ = (EXPERIMENTS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(120))
    manual: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[dict[str, Any]] = mapped_column(json_type())
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class QuarantineRecordRow(Base):
    """A configuration taken out of production: why, what was restored, and how its re-evaluations went."""

    __tablename__ = "records"
    __table_args__ = (CheckConstraint(RECORD_STATUS_CHECK, name="status"), QUARANTINE)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(json_type())
    restored_id: Mapped[str | None] = mapped_column(ForeignKey(EXPERIMENT_ID, ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(120))
    manual: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), index=True)
    failures: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReEvaluationRow(Base):
    """One scheduled re-evaluation of a quarantined configuration."""

    __tablename__ = "re_evaluation"
    __table_args__ = (QUARANTINE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("quarantine.records.id", ondelete="CASCADE"), index=True)
    evaluation_id: Mapped[str | None] = mapped_column(ForeignKey("experiments_v1.evaluations.id", ondelete="SET NULL"))
    passed: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
