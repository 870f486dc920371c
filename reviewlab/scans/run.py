"""A scan: one analysis session of a target's repository in the operational store, run here and now.

The scan goes through the jobs machinery exactly as an API review of the project does: ``Analyses.submit``
records a queued ``repository`` session for the project (owned by the project's owner) and ``run_analysis``
claims and runs it in this process — checkout with hooks off, review, the project's baseline and policy,
the stored result, the project's new version, events and the audit of its end. So the dashboard and the API
show scheduled and on-demand reviews alike, and a failed scan is a failed session with git's reason.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Engine, Table, select

from reviewlab.audit import AuditLog
from reviewlab.engine.model import Finding
from reviewlab.jobs.cli import notifier_from_settings
from reviewlab.jobs.db import prepared
from reviewlab.jobs.events import Notifier
from reviewlab.jobs.runner import RunConfig, run_analysis
from reviewlab.jobs.service import Analyses
from reviewlab.projects import Projects, Version
from reviewlab.projects.models import VersionRow
from reviewlab.projects.records import version_from
from reviewlab.scans.errors import ScanFailed, UnknownTarget
from reviewlab.scans.targets import ScanTarget
from reviewlab.settings import Settings
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.failures import store_errors
from reviewlab.store.models import SessionStatus
from reviewlab.store.repository import Store

Trigger = Literal["schedule", "sensor", "manual"]
TRIGGERS: tuple[Trigger, ...] = ("schedule", "sensor", "manual")
VERSIONS = cast(Table, VersionRow.__table__)


def default_worker_id() -> str:
    """This process as a worker: ``scan:<host>:<pid>``."""
    return f"scan:{socket.gethostname()[:100]}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """How a scan ended: its session, status, reviewed commit, findings, gate verdict, duration and error."""

    session_id: str
    project_id: str
    trigger: Trigger
    status: SessionStatus
    ref: str
    commit: str | None
    counts_by_severity: dict[str, int]
    findings: tuple[Finding, ...]
    gate: dict[str, Any] | None
    duration_seconds: float
    error: str | None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts_by_category: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is SessionStatus.COMPLETED

    @property
    def gate_passed(self) -> bool | None:
        return None if self.gate is None else bool(self.gate.get("passed"))

    def raise_for_status(self) -> ScanOutcome:
        """This outcome if the scan completed; :class:`ScanFailed` with the session's error otherwise."""
        if not self.ok:
            raise ScanFailed(f"scan {self.session_id} {self.status.value}: {self.error or 'no reason recorded'}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "project_id": self.project_id,
            "trigger": self.trigger,
            "status": self.status.value,
            "ref": self.ref,
            "commit": self.commit,
            "findings_count": len(self.findings),
            "counts_by_severity": self.counts_by_severity,
            "gate_passed": self.gate_passed,
            "duration_seconds": self.duration_seconds,
            "error": self.error,
        }


def run_scan(
    settings: Settings,
    target: ScanTarget,
    *,
    ref: str | None = None,
    trigger: Trigger = "schedule",
    worker_id: str | None = None,
    engine: Engine | None = None,
    notifier: Notifier | None = None,
    run_config: RunConfig | None = None,
) -> ScanOutcome:
    """Scan ``target`` at ``ref`` (default: its branch) as one analysis session, synchronously; the outcome says
    whether it completed (``raise_for_status`` turns a failure into :class:`ScanFailed`).

    ``engine`` and ``notifier`` default to the ones ``settings`` name (created and closed here)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown scan trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    worker_id = worker_id or default_worker_id()
    wanted = ref or target.branch
    with _resources(settings, engine, notifier) as (store_engine, wake):
        project = Projects(store_engine).get(target.project_id)
        if project is None or project.repo_url is None:
            raise UnknownTarget(f"project {target.project_id} is gone or has no repository")
        analyses = Analyses(store_engine, wake, None)
        request = {"kind": "repository", "repo": project.repo_url, "ref": wanted}
        session_id = analyses.submit(request, project.owner_id, project_id=project.id)
        AuditLog(store_engine).append(
            "scan.started",
            target_type="analysis",
            target_id=session_id,
            details={"project_id": project.id, "ref": wanted, "trigger": trigger, "worker": worker_id},
        )
        began = time.monotonic()
        status = run_analysis(
            session_id, worker_id, settings, engine=store_engine, notifier=wake, config=run_config or RunConfig()
        )
        duration = time.monotonic() - began
        state = analyses.get(session_id)
        if status is None:  # another worker claimed it: this process cannot vouch for any result
            raise ScanFailed(f"scan {session_id} was taken by another worker ({state.worker_id})")
        completed = state.status is SessionStatus.COMPLETED
        store = Store(store_engine)
        findings = tuple(store.findings(session_id)) if completed else ()
        gate = store.review_reports(session_id)[1] if completed else None
    return ScanOutcome(
        session_id=session_id,
        project_id=project.id,
        trigger=trigger,
        status=state.status,
        ref=wanted,
        commit=state.source_commit,
        counts_by_severity=dict(state.counts_by_severity),
        findings=findings,
        gate=gate,
        duration_seconds=round(duration, 3),
        error=state.error,
        started_at=state.started_at,
        finished_at=state.finished_at,
    )


@contextmanager
def _resources(
    settings: Settings, engine: Engine | None, notifier: Notifier | None
) -> Iterator[tuple[Engine, Notifier]]:
    own_engine = create_engine(settings.sqlalchemy_url) if engine is None else None
    own_notifier = notifier_from_settings(settings) if notifier is None else None
    try:
        yield prepared(engine or cast(Engine, own_engine)), notifier or cast(Notifier, own_notifier)
    finally:
        if own_notifier is not None:
            own_notifier.close()
        if own_engine is not None:
            own_engine.dispose()


def last_scan(engine: Engine, project_id: str, *, ref: str | None = None) -> Version | None:
    """The project's newest reviewed version (at ``ref`` if given), or None: what a sensor compares with."""
    query = select(VERSIONS).where(VERSIONS.c.project_id == project_id)
    if ref is not None:
        query = query.where(VERSIONS.c.ref == ref)
    query = query.order_by(VERSIONS.c.created_at.desc(), VERSIONS.c.id.desc()).limit(1)
    engine = translated(engine)
    with store_errors(engine.url, "reading the last scan"), engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else version_from(row)


def last_scanned_commit(engine: Engine, project_id: str, *, ref: str | None = None) -> str | None:
    """The commit of the project's newest reviewed version (at ``ref`` if given), or None."""
    version = last_scan(engine, project_id, ref=ref)
    return None if version is None else version.commit


def last_scan_time(engine: Engine, project_id: str, *, ref: str | None = None) -> datetime | None:
    """When the project's newest reviewed version (at ``ref`` if given) was recorded, or None."""
    version = last_scan(engine, project_id, ref=ref)
    return None if version is None else version.created_at
