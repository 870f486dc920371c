"""The store's one entry point: persist reviews and read them back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, Row, bindparam, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import sessionmaker

from reviewlab.engine.model import Diagnostic, Finding, ReviewResult, Severity
from reviewlab.errors import StoreError
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, read_connection, translated
from reviewlab.store.failures import store_errors
from reviewlab.store.models import AnalysisSession, CodeReviewResult, FileMetricsRow, SessionStatus, SourceKind

FINDING_COLUMNS = tuple(c.name for c in CodeReviewResult.__table__.columns if c.name not in ("id", "session_id"))
"""The columns of ``code_review_results`` that are fields of ``Finding.to_dict()``."""


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What a listing shows about one analysis session."""

    id: str
    created_at: datetime
    root: str
    status: str
    files: int
    lines: int
    findings_count: int
    counts_by_severity: dict[str, int]
    worst_severity: Severity | None
    duration_seconds: float
    source_kind: str = SourceKind.PATH.value
    rule_pack_version: str = ""


class Store:
    """Analysis sessions and their findings in SQLite or PostgreSQL; every failure is a ``StoreError``."""

    def __init__(self, engine: Engine, *, owns_engine: bool = False) -> None:
        self._owned = engine if owns_engine else None
        self._engine = translated(engine)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str | URL) -> Store:
        """A store on ``url`` that owns (and on ``close`` disposes) its engine; nothing connects yet."""
        return cls(create_engine(url), owns_engine=True)

    @property
    def url(self) -> URL:
        return self._engine.url

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        """Release the pooled connections of an engine this store created."""
        if self._owned is not None:
            self._owned.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration; idempotent and safe to run from concurrent processes."""
        with store_errors(self.url, "migrating the schema"):
            migrate.upgrade(self._engine)

    def revision(self) -> str | None:
        """The schema's migration revision, or None when it was never migrated."""
        with store_errors(self.url, "reading the schema revision"):
            return migrate.current_revision(self._engine)

    def save_review(self, result: ReviewResult, source_kind: str = SourceKind.PATH.value) -> str:
        """Persist ``result`` and its findings in one transaction; returns the new session's id."""
        row = _session_row(result, SourceKind(source_kind))
        with store_errors(self.url, "saving a review"), self._sessions.begin() as session:
            session.add(row)
        return row.id

    def replace_findings(self, session_id: str, result: ReviewResult) -> None:
        """Store ``result``'s findings (and summary) as the completed session's, e.g. after an AI review added
        some; the session's file and line totals stay (``result`` may be one rebuilt from the store)."""
        with store_errors(self.url, "updating a review"), self._sessions.begin() as session:
            row = session.get(AnalysisSession, session_id, with_for_update=True)
            if row is None or row.status != SessionStatus.COMPLETED.value:
                raise StoreError(f"session {session_id} is not a completed analysis")
            files, lines = row.files, row.lines
            record_review(row, result)
            row.files, row.lines = files, lines

    def list_sessions(self, limit: int = 20) -> list[SessionSummary]:
        """The newest ``limit`` sessions, newest first."""
        query = select(*SUMMARY_COLUMNS).order_by(AnalysisSession.created_at.desc(), AnalysisSession.id.desc())
        with store_errors(self.url, "listing sessions"), read_connection(self._engine) as connection:
            return [summary_from_row(row) for row in connection.execute(query.limit(max(limit, 0)))]

    def get_session(self, session_id: str) -> SessionSummary | None:
        """The session with id ``session_id``, or None."""
        with store_errors(self.url, "reading a session"), read_connection(self._engine) as connection:
            row = connection.execute(_SUMMARY_BY_ID, {"session_id": session_id}).one_or_none()
        return None if row is None else summary_from_row(row)

    def findings(self, session_id: str) -> list[Finding]:
        """The findings of a session in the order they were saved (empty for an unknown session)."""
        query = select(CodeReviewResult).where(CodeReviewResult.session_id == session_id)
        with store_errors(self.url, "reading findings"), self._sessions() as session:
            rows = session.scalars(query.order_by(CodeReviewResult.id)).all()
        return [_finding(row) for row in rows]

    def file_metrics(self, session_id: str) -> dict[str, dict[str, Any]]:
        """Each file's metrics (``FileMetrics.to_dict()``) of a session, by path (empty for an unknown session)."""
        query = select(FileMetricsRow.path, FileMetricsRow.metrics).where(FileMetricsRow.session_id == session_id)
        with store_errors(self.url, "reading metrics"), self._sessions() as session:
            return {path: dict(metrics) for path, metrics in session.execute(query.order_by(FileMetricsRow.id))}

    def review_reports(self, session_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The session's architecture report and quality gate verdict (None where it had none)."""
        query = select(AnalysisSession.architecture, AnalysisSession.gate).where(AnalysisSession.id == session_id)
        with store_errors(self.url, "reading a session"), self._sessions() as session:
            row = session.execute(query).one_or_none()
        return (None, None) if row is None else (row[0], row[1])

    def diagnostics(self, session_id: str) -> list[Diagnostic]:
        """The diagnostics of a session (empty for an unknown session)."""
        query = select(AnalysisSession.diagnostics).where(AnalysisSession.id == session_id)
        with store_errors(self.url, "reading diagnostics"), self._sessions() as session:
            stored = session.scalar(query)
        try:
            return [Diagnostic.from_dict(item) for item in stored or []]
        except (KeyError, TypeError, ValueError) as err:
            raise StoreError(f"session {session_id} has an invalid stored diagnostic: {err}") from err


def open_store(settings: Settings) -> Store:
    """The store the settings name (SQLite under REVIEWLAB_HOME unless DATABASE_URL says otherwise), migrated."""
    store = Store.from_url(settings.sqlalchemy_url)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def _session_row(result: ReviewResult, source_kind: SourceKind) -> AnalysisSession:
    row = AnalysisSession(
        id=str(uuid.uuid4()),
        created_at=datetime.now(UTC),
        status=SessionStatus.COMPLETED.value,
        source_kind=source_kind.value,
        root=result.root,
    )
    record_review(row, result)
    return row


def record_review(row: AnalysisSession, result: ReviewResult) -> None:
    """Fill ``row`` (new, or an existing session loaded in an ORM session) with ``result``: its summary, findings
    and metrics; the status and the root are the caller's."""
    worst = result.worst_severity()
    row.started_at = _timestamp(result.started_at, "started_at")
    row.finished_at = _timestamp(result.finished_at, "finished_at") if result.finished_at else None
    row.rule_pack_version = result.rule_pack_version
    row.files = len(result.files)
    row.lines = result.lines
    row.duration_seconds = result.duration_seconds
    row.findings_count = len(result.findings)
    row.counts_by_severity = result.counts_by_severity()
    row.counts_by_category = result.counts_by_category()
    row.worst_severity = None if worst is None else worst.value
    row.diagnostics = [d.to_dict() for d in result.diagnostics]
    row.architecture = result.architecture_dict()
    row.gate = result.gate
    row.results = [_result_row(f) for f in result.findings]
    row.file_metrics = [_metrics_row(f.path, f.metrics) for f in result.files if f.metrics is not None]


def _result_row(finding: Finding) -> CodeReviewResult:
    data = finding.to_dict()
    data["flow"] = data["flow"] or None  # no dataflow path: NULL, as in rows saved before the column existed
    data["related"] = data["related"] or None
    data.setdefault("ai", None)  # only AI findings carry their origin
    return CodeReviewResult(**{name: data[name] for name in FINDING_COLUMNS})


def _metrics_row(path: str, metrics: dict[str, Any]) -> FileMetricsRow:
    functions = metrics.get("functions") or []
    return FileMetricsRow(
        path=path,
        language=metrics["language"],
        lines=metrics["lines"],
        code_lines=metrics["code_lines"],
        comment_lines=metrics["comment_lines"],
        comment_density=metrics["comment_density"],
        cyclomatic=metrics["cyclomatic"],
        maintainability_index=metrics["maintainability_index"],
        functions=len(functions),
        max_cyclomatic=max((f["cyclomatic"] for f in functions), default=0),
        max_cognitive=max((f["cognitive"] for f in functions), default=0),
        metrics=metrics,
    )


def _timestamp(value: str, name: str) -> datetime:
    """An ISO 8601 timestamp as an aware datetime (naive ones are taken as UTC)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as err:
        raise StoreError(f"cannot save a review whose {name} is not an ISO 8601 timestamp: {value!r}") from err
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


# The summary's columns only, of the table (not the ORM's annotated attributes): a Core select of them skips the
# identity map and the wide JSON columns, and a statement built once skips construction and its cache-key walk.
SUMMARY_COLUMNS = tuple(
    AnalysisSession.__table__.c[name]
    for name in (
        "id",
        "created_at",
        "root",
        "status",
        "files",
        "lines",
        "findings_count",
        "counts_by_severity",
        "worst_severity",
        "duration_seconds",
        "source_kind",
        "rule_pack_version",
    )
)

_SUMMARY_BY_ID = select(*SUMMARY_COLUMNS).where(AnalysisSession.__table__.c.id == bindparam("session_id"))


def summary_from_row(row: Row[Any]) -> SessionSummary:
    """The summary in a row holding (at least) ``SUMMARY_COLUMNS``."""
    return SessionSummary(
        id=row.id,
        created_at=row.created_at,
        root=row.root,
        status=row.status,
        files=row.files,
        lines=row.lines,
        findings_count=row.findings_count,
        counts_by_severity=dict(row.counts_by_severity),
        worst_severity=None if row.worst_severity is None else Severity(row.worst_severity),
        duration_seconds=row.duration_seconds,
        source_kind=row.source_kind,
        rule_pack_version=row.rule_pack_version,
    )


def _finding(row: CodeReviewResult) -> Finding:
    try:
        return Finding.from_dict({name: getattr(row, name) for name in FINDING_COLUMNS})
    except (KeyError, TypeError, ValueError) as err:
        raise StoreError(f"stored finding {row.id} of session {row.session_id} is invalid: {err}") from err
