"""The ``production`` schema: analysis sessions and their findings (code review results)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from reviewlab.accounts import models as accounts_models  # noqa: F401  (the auth schema shares this metadata)
from reviewlab.audit import models as audit_models  # noqa: F401  (the audits schema shares this metadata)
from reviewlab.events import models as events_models  # noqa: F401  (webhooks share the production schema)
from reviewlab.jobs import models as jobs_models  # noqa: F401  (analysis events and artifacts share this metadata)
from reviewlab.lifecycle import models as lifecycle_models  # noqa: F401  (experiments_v1 and quarantine share it)
from reviewlab.projects import models as projects_models  # noqa: F401  (the projects schema shares this metadata)
from reviewlab.providerstore import models as providers_models  # noqa: F401  (the providers schema shares this metadata)
from reviewlab.store.base import Base, UtcDateTime, json_type


class SourceKind(StrEnum):
    """What was reviewed."""

    PATH = "path"
    GIT = "git"
    DIFF = "diff"
    SNIPPET = "snippet"


class SessionStatus(StrEnum):
    """Where an analysis session is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the session reached its end (nothing will change it any more)."""
        return self in (SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED)


class AnalysisSession(Base):
    """One review of one tree, diff or snippet, with its summary counts."""

    __tablename__ = "analysis_sessions"
    __table_args__ = (
        CheckConstraint("source_kind IN ('path', 'git', 'diff', 'snippet')", name="source_kind"),
        CheckConstraint("status IN ('queued', 'running', 'completed', 'failed', 'cancelled')", name="status"),
        {"schema": "production"},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    root: Mapped[str] = mapped_column(Text)
    rule_pack_version: Mapped[str] = mapped_column(String(64))
    files: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float] = mapped_column(Float)
    findings_count: Mapped[int] = mapped_column(Integer)
    counts_by_severity: Mapped[dict[str, int]] = mapped_column(json_type())
    counts_by_category: Mapped[dict[str, int]] = mapped_column(json_type())
    worst_severity: Mapped[str | None] = mapped_column(String(16))
    diagnostics: Mapped[list[dict[str, Any]]] = mapped_column(json_type())
    architecture: Mapped[dict[str, Any] | None] = mapped_column(json_type(none_as_null=True))
    gate: Mapped[dict[str, Any] | None] = mapped_column(json_type(none_as_null=True))
    # A session run as a job (reviewlab.jobs); NULL or at their defaults for reviews saved by the CLI.
    owner_id: Mapped[str | None] = mapped_column(String(36), index=True)
    project_id: Mapped[str | None] = mapped_column(String(36), index=True)
    request: Mapped[dict[str, Any] | None] = mapped_column(json_type(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    worker_id: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_requested: Mapped[bool] = mapped_column(server_default=expression.false())
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    source_commit: Mapped[str | None] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(Integer, server_default="0")
    # The lifecycle's production configuration (config hash) the session reviewed with, if any.
    configuration: Mapped[str | None] = mapped_column(String(16), index=True)
    ai_status: Mapped[str | None] = mapped_column(String(16))  # the AI review's outcome, when one ran

    results: Mapped[list[CodeReviewResult]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CodeReviewResult.id",
    )
    file_metrics: Mapped[list[FileMetricsRow]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="FileMetricsRow.id",
    )


class CodeReviewResult(Base):
    """One finding of one session."""

    __tablename__ = "code_review_results"
    __table_args__ = ({"schema": "production"},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("production.analysis_sessions.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[str] = mapped_column(String(16))
    cwe: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    start_line: Mapped[int] = mapped_column(Integer)
    start_column: Mapped[int] = mapped_column(Integer)
    end_line: Mapped[int] = mapped_column(Integer)
    end_column: Mapped[int] = mapped_column(Integer)
    snippet: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(128), index=True)
    fix: Mapped[dict[str, Any] | None] = mapped_column(json_type(none_as_null=True))
    flow: Mapped[list[dict[str, Any]] | None] = mapped_column(json_type(none_as_null=True))
    related: Mapped[list[dict[str, Any]] | None] = mapped_column(json_type(none_as_null=True))
    ai: Mapped[dict[str, Any] | None] = mapped_column(json_type(none_as_null=True))

    session: Mapped[AnalysisSession] = relationship(back_populates="results")


class FileMetricsRow(Base):
    """The metrics of one file of one session: headline numbers as columns, everything in ``metrics``."""

    __tablename__ = "file_metrics"
    __table_args__ = ({"schema": "production"},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("production.analysis_sessions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(32))
    lines: Mapped[int] = mapped_column(Integer)
    code_lines: Mapped[int] = mapped_column(Integer)
    comment_lines: Mapped[int] = mapped_column(Integer)
    comment_density: Mapped[float] = mapped_column(Float)
    cyclomatic: Mapped[int] = mapped_column(Integer)
    maintainability_index: Mapped[float] = mapped_column(Float)
    functions: Mapped[int] = mapped_column(Integer)
    max_cyclomatic: Mapped[int] = mapped_column(Integer)
    max_cognitive: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(json_type())

    session: Mapped[AnalysisSession] = relationship(back_populates="file_metrics")
