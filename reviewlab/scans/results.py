"""A stored scan read back for downstream consumers (the findings warehouse): its ``ReviewResult`` rebuilt from
the operational store, with the repository, commit, time and the project's triage of each finding.

What the store keeps, and so what comes back: the findings as saved (after the project's baseline set the
known ones aside and severity overrides applied), the diagnostics, the quality gate verdict, the architecture
report, the root label, rule pack version, start, end and duration, and each file that has metrics (its
path, language, line count and metrics). What it does not keep: files without metrics (their count and lines
are only in the session's totals, ``files_count`` and ``lines`` here), each file's sha256 and cache flag
(``""`` and False here), the baseline summary (``known``/``fixed``), and the AI review's summary (its
findings are among the findings, each with its AI origin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from reviewlab.engine.model import FileRecord, ReviewResult
from reviewlab.jobs.db import prepared, reading, table_of
from reviewlab.jobs.errors import AnalysisNotFound
from reviewlab.projects import Projects, TriageState, project_scope
from reviewlab.scans.errors import ScanError
from reviewlab.store.models import AnalysisSession, SessionStatus
from reviewlab.store.repository import Store


@dataclass(frozen=True, slots=True)
class StoredScan:
    """A completed analysis session as a scan: its rebuilt result and what the result does not say."""

    scan_id: str
    project_id: str | None
    repository: str | None
    ref: str | None
    commit: str | None
    scanned_at: datetime
    result: ReviewResult
    files_count: int
    lines: int
    triage: dict[str, TriageState]
    """The project's triage of the result's findings, by fingerprint (findings never triaged are absent)."""


def load_result(engine: Engine, session_id: str) -> ReviewResult:
    """The ``ReviewResult`` of the completed session ``session_id``, rebuilt from the store (see the module's
    docstring for what is not kept); ``AnalysisNotFound`` or :class:`ScanError` (not completed)."""
    return load_scan(engine, session_id).result


def load_scan(engine: Engine, session_id: str) -> StoredScan:
    """The completed session ``session_id`` with its rebuilt result, repository, commit and triage."""
    engine = prepared(engine)
    table = table_of(AnalysisSession)
    with reading(engine, "reading a scan") as connection:
        row = connection.execute(select(table).where(table.c.id == session_id)).one_or_none()
    if row is None:
        raise AnalysisNotFound(f"no analysis session {session_id!r}")
    if row.status != SessionStatus.COMPLETED.value:
        raise ScanError(f"analysis {session_id} is {row.status}, not completed: {row.error or 'no result'}")
    store = Store(engine)
    result = ReviewResult(
        root=row.root,
        rule_pack_version=row.rule_pack_version,
        started_at=row.started_at.isoformat(),
        finished_at=row.finished_at.isoformat() if row.finished_at else "",
        duration_seconds=row.duration_seconds,
        files=[_file(path, metrics) for path, metrics in store.file_metrics(session_id).items()],
        findings=store.findings(session_id),
        diagnostics=store.diagnostics(session_id),
        gate=row.gate,
        architecture=row.architecture,
    )
    request: dict[str, Any] = row.request or {}
    triage: dict[str, TriageState] = {}
    if row.project_id is not None and result.findings:
        triage = Projects(engine).triage_states(
            project_scope(row.project_id), {finding.fingerprint for finding in result.findings}
        )
    return StoredScan(
        scan_id=session_id,
        project_id=row.project_id,
        repository=request.get("repo"),
        ref=request.get("ref"),
        commit=row.source_commit,
        scanned_at=row.finished_at or row.created_at,
        result=result,
        files_count=row.files,
        lines=row.lines,
        triage=triage,
    )


def _file(path: str, metrics: dict[str, Any]) -> FileRecord:
    return FileRecord(path=path, language=metrics["language"], lines=metrics["lines"], sha256="", metrics=metrics)
