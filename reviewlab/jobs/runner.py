"""One worker's run of one analysis: claim the session, materialise its input, review it while streaming
events and keeping the lease, then store the result in the same session row.

The claim is one conditional UPDATE (queued, or running with an expired lease), so two workers handed the
same id never both run it. Every write after it is conditional on the session still being this worker's and
running: a worker the reaper gave up on cannot overwrite its successor. Any handled failure ends the session
as failed (or cancelled) with a readable error; only a dead process leaves it running, until its lease expires.

When tracing is on, the run is the span ``analysis.run``, a child of the API request that queued it (its
``traceparent`` is kept in the ``queued`` event), with a span per stage: ``analysis.input``,
``analysis.engine``, ``analysis.ai``, ``analysis.store``.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, or_, select, update

from reviewlab.engine.config import ReviewConfig, discover_config
from reviewlab.engine.model import Finding, ReviewResult, Severity
from reviewlab.engine.pipeline import ProgressEvent, review, review_snippet
from reviewlab.errors import ReviewlabError
from reviewlab.events import hooks as event_hooks
from reviewlab.jobs import events as event_log
from reviewlab.jobs import inputs
from reviewlab.jobs.db import orm_writing, prepared, reading, table_of, writing
from reviewlab.jobs.events import Notifier
from reviewlab.jobs.projects import apply_project_rules, record_project_review
from reviewlab.jobs.service import CANCELLED_BY_USER, LEASE_SECONDS, MAX_ATTEMPTS, Clock, root_label, utc_now
from reviewlab.jobs.spec import (
    AnalysisOptions,
    ArchiveRequest,
    FilesRequest,
    RepositoryRequest,
    SnippetRequest,
    parse_request,
)
from reviewlab.lifecycle.production import ProductionConfiguration, layered, production_configuration
from reviewlab.observability import tracing
from reviewlab.observability.context import request_id_set
from reviewlab.observability.metrics import Instruments, instruments
from reviewlab.settings import Settings
from reviewlab.store.models import AnalysisSession, SessionStatus
from reviewlab.store.repository import record_review

if TYPE_CHECKING:
    from reviewlab.cache import Caches

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
PROGRESS_INTERVAL_SECONDS = 0.1  # at most ~10 "progress" events a second

ProgressHook = Callable[[ProgressEvent], None]


class _Stop(Exception):
    def __init__(self, status: SessionStatus, error: str | None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class _Lost(Exception):
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class RunConfig:
    """How a worker runs analyses: engine processes, lease, heartbeat, attempts, clock, a progress hook (tests),
    the metrics to record in (default: the process-wide :func:`reviewlab.observability.metrics.instruments`), the
    time limit (default: ``REVIEWLAB_ANALYSIS_TIME_LIMIT``) on the ``monotonic`` clock it is measured with, and
    the caches whose project results a review invalidates (default: ``Caches.from_settings``, made per review;
    the embedded platform passes its own in-process caches, which another instance would not reach)."""

    jobs: int = 1
    lease_seconds: float = LEASE_SECONDS
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    max_attempts: int = MAX_ATTEMPTS
    clock: Clock = utc_now
    on_progress: ProgressHook | None = None
    metrics: Instruments | None = None
    time_limit: float | None = None
    monotonic: Callable[[], float] = time.monotonic
    caches: Caches | None = None


def run_analysis(
    session_id: str,
    worker_id: str,
    settings: Settings,
    *,
    engine: Engine,
    notifier: Notifier,
    config: RunConfig | None = None,
) -> SessionStatus | None:
    """Claim and run the analysis ``session_id``; returns how it ended, or None when it was not ours to run
    (finished, cancelled, or running on a live worker)."""
    run = _Run(session_id, worker_id, settings, prepared(engine), notifier, config or RunConfig())
    return run.execute()


class _Run:
    def __init__(
        self, session_id: str, worker_id: str, settings: Settings, engine: Engine, notifier: Notifier, config: RunConfig
    ) -> None:
        self.session_id = session_id
        self.worker_id = worker_id
        self.settings = settings
        self.engine = engine
        self.notifier = notifier
        self.config = config
        self.time_limit = float(
            settings.reviewlab_analysis_time_limit if config.time_limit is None else config.time_limit
        )
        self.deadline = config.monotonic() + self.time_limit
        self.stage: str | None = None
        self.stage_started = time.monotonic()
        self.metrics = config.metrics if config.metrics is not None else instruments()
        self.kind = "unknown"
        self.request_id: str | None = None
        self.traceparent: str | None = None  # the span of the API request that queued the analysis
        self.attempt = 0
        self.error: str | None = None
        self.last_progress = 0.0
        self.severity_config: ReviewConfig | None = None
        self.production: ProductionConfiguration | None = None  # the lifecycle's V2 configuration, when there is one
        self.owner_id: str | None = None
        self.stop_reason: _Stop | None = None
        self.lost = False
        self.done = threading.Event()

    # -- the run ---------------------------------------------------------------------------------------------

    def execute(self) -> SessionStatus | None:
        request = self._claim()
        if request is None:
            return None
        attributes: tracing.Attributes = {
            "reviewlab.session_id": self.session_id,
            "reviewlab.analysis.attempt": self.attempt,
            "reviewlab.analysis.kind": self.kind,
            "reviewlab.worker": self.worker_id,
            "reviewlab.request_id": self.request_id,
        }
        # The id of the API request that queued it goes on the run's log lines; its span is the run's parent.
        with (
            request_id_set(self.request_id),
            tracing.span(
                "analysis.run",
                kind="consumer",
                attributes=attributes,
                parent={tracing.TRACEPARENT: self.traceparent or ""},
            ) as span,
        ):
            status = self._execute(request)
            span.set("reviewlab.analysis.status", status.value if status is not None else "lost")
            if status is SessionStatus.FAILED:
                span.fail(self.error or "failed")
            return status

    def _execute(self, request: dict[str, Any]) -> SessionStatus | None:
        log.info("analysis %s started (%s) on %s", self.session_id, self.kind, self.worker_id)
        context = contextvars.copy_context()
        heartbeat = threading.Thread(
            target=context.run, args=(self._heartbeat,), name=f"lease-{self.session_id[:8]}", daemon=True
        )
        heartbeat.start()
        try:
            result, commit = self._review(request)
            # Stored, a large review's spool is removed at once, not when the result happens to be collected.
            with result, tracing.span("analysis.store", attributes={"reviewlab.findings": len(result.findings)}):
                return self._complete(result, commit)
        except _Lost:
            log.warning(
                "analysis %s is no longer this worker's (%s); its result is dropped", self.session_id, self.worker_id
            )
            return None
        except _Stop as stop:
            return self._finish(stop.status, stop.error)
        except ReviewlabError as err:
            return self._finish(SessionStatus.FAILED, str(err))
        except Exception as err:
            log.exception("analysis %s failed", self.session_id)
            return self._finish(SessionStatus.FAILED, f"internal error: {type(err).__name__}: {err}")
        finally:
            self.done.set()
            heartbeat.join()

    def _claim(self) -> dict[str, Any] | None:
        now = self.config.clock()
        table = table_of(AnalysisSession)
        claimable = or_(
            table.c.status == SessionStatus.QUEUED.value,
            (table.c.status == SessionStatus.RUNNING.value)
            & (table.c.lease_expires_at < now)
            & (table.c.attempts < self.config.max_attempts),
        )
        with writing(self.engine, "claiming an analysis") as connection:
            row = connection.execute(
                update(table)
                .where(table.c.id == self.session_id, claimable)
                .values(
                    status=SessionStatus.RUNNING.value,
                    stage="starting",
                    attempts=table.c.attempts + 1,
                    worker_id=self.worker_id,
                    lease_expires_at=now + timedelta(seconds=self.config.lease_seconds),
                    started_at=now,
                    cancel_requested=table.c.cancel_requested,
                )
                .returning(table.c.request, table.c.attempts, table.c.owner_id)
            ).one_or_none()
            if row is None:
                return None
            request, attempts, self.owner_id = row
            self.kind = str((request or {}).get("kind") or "unknown")[:32]
            self.attempt = int(attempts)
            queued = event_log.queued_data(connection, self.session_id)
            self.request_id = _text(queued.get("request_id"))
            self.traceparent = _text(queued.get("traceparent"))
            data = {"attempt": attempts, "worker": self.worker_id}
            new = event_log.insert_events(connection, self.session_id, [("started", data)], now)
        self._notify(new)
        event_hooks.analysis_started(self.session_id, self.owner_id, data)  # domain event; never raises
        return dict(request or {})

    def _configured(self, config: ReviewConfig) -> ReviewConfig:
        """``config`` on top of the production configuration, read now (a promotion applies to the next run)."""
        self.production = production_configuration(self.engine)
        return config if self.production is None else layered(config, self.production.candidate)

    def _review(self, data: dict[str, Any]) -> tuple[ReviewResult, str | None]:
        request = parse_request(data)
        with tempfile.TemporaryDirectory(prefix="reviewlab-analysis-") as tmp:
            root = Path(tmp) / "src"
            commit = None
            if isinstance(request, SnippetRequest):
                config = _with_options(self._configured(ReviewConfig()), request.options)
                self.severity_config = config
                self._emit([], stage="analyze")
                with tracing.span("analysis.engine", attributes={"reviewlab.files": 1}) as span:
                    result = review_snippet(request.code, request.language, config)
                    span.set("reviewlab.findings", len(result.findings))
                self._check()
                self._emit([("finding", self._finding(f)) for f in result.findings])
                if request.options.ai:
                    root.mkdir()
                    (root / result.files[0].path).write_text(request.code, encoding="utf-8")
            else:
                self._emit([], stage="fetch")
                with tracing.span("analysis.input", attributes={"reviewlab.analysis.kind": self.kind}) as span:
                    if isinstance(request, FilesRequest):
                        fetched = inputs.write_files(request, root, self.settings)
                    elif isinstance(request, ArchiveRequest):
                        fetched = inputs.extract_archive(request, self.engine, root, self.settings)
                    else:
                        assert isinstance(request, RepositoryRequest)  # noqa: S101 - the union's last member
                        fetched = inputs.checkout(request, root, max(1.0, self.deadline - self.config.monotonic()))
                        commit = fetched.commit
                    span.set("reviewlab.files", fetched.files)
                    span.set("reviewlab.source_commit", commit)
                self._check()
                self._emit([("input", {"files": fetched.files, "skipped": list(fetched.skipped), "commit": commit})])
                config = _with_options(self._configured(discover_config(root)), request.options)
                self.severity_config = config
                with tracing.span("analysis.engine", attributes={"reviewlab.files": fetched.files}) as span:
                    result = review(root, config, jobs=self.config.jobs, progress=self._progress)
                    span.set("reviewlab.findings", len(result.findings))
            if request.options.ai:
                with tracing.span("analysis.ai") as span:
                    self._ai(result, root, config)
                    span.set("reviewlab.ai.status", (result.ai or {}).get("status"))
        result.root = root_label(data, commit)
        return result, commit

    def _ai(self, result: ReviewResult, root: Path, config: ReviewConfig) -> None:
        from reviewlab.ai.run import add_ai_review
        from reviewlab.jobs.ai import orchestrator_for

        self._emit([], stage="ai")
        ai_config, _ = config.ai_settings()
        orchestrator = orchestrator_for(self.engine, self.settings, ai_config, self.owner_id)
        try:
            add_ai_review(result, root, config, self.settings, user=self.owner_id, orchestrator=orchestrator)
        finally:
            orchestrator.close()
        self._check()
        ai = result.ai or {}
        if ai.get("status") == "unavailable":
            self._emit([("ai_skipped", {"reason": ai.get("unavailable_reason") or "no AI provider answered"})])
            return
        found = [f for f in result.findings if f.ai is not None]
        items = [("finding", self._finding(f)) for f in found]
        self._emit([*items, ("ai", {"status": ai.get("status"), "findings_count": len(found)})])

    # -- progress, lease, cancel -----------------------------------------------------------------------------

    def _progress(self, event: ProgressEvent) -> None:
        if self.config.on_progress is not None:
            self.config.on_progress(event)
        self._check()
        items: list[tuple[str, dict[str, Any]]] = [("finding", self._finding(f)) for f in event.findings]
        now = time.monotonic()
        last_of_stage = event.stage != "analyze" or event.done >= event.total
        if items or last_of_stage or now - self.last_progress >= PROGRESS_INTERVAL_SECONDS:
            self.last_progress = now
            progress = {"stage": event.stage, "done": event.done, "total": event.total, "path": event.path}
            items.append(("progress", progress))
            stage = event.stage if event.stage != "done" else None
            self._emit(items, stage=stage)
        else:
            self._poll()

    def _poll(self) -> None:
        """Between writes, read whether a cancel was asked for (one indexed read; a cancel takes effect here)."""
        table = table_of(AnalysisSession)
        with reading(self.engine, "reading an analysis") as connection:
            row = connection.execute(
                select(table.c.cancel_requested, table.c.worker_id, table.c.status).where(table.c.id == self.session_id)
            ).one_or_none()
        if row is None or row.worker_id != self.worker_id or row.status != SessionStatus.RUNNING.value:
            self.lost = True
            raise _Lost
        if row.cancel_requested:
            raise _Stop(SessionStatus.CANCELLED, CANCELLED_BY_USER)

    def _finding(self, finding: Finding) -> dict[str, Any]:
        wanted = self.severity_config.severity_for(finding.rule_id) if self.severity_config else None
        if wanted and finding.ai is None:
            finding = dataclasses.replace(finding, severity=Severity(wanted))
        return finding.to_dict()

    def _check(self) -> None:
        if self.lost:
            raise _Lost
        if self.stop_reason is not None:
            raise self.stop_reason
        if self.config.monotonic() > self.deadline:
            raise self._timed_out()

    def _timed_out(self) -> _Stop:
        return _Stop(SessionStatus.FAILED, f"the analysis took longer than its time limit of {self.time_limit:.0f} s")

    def _emit(self, items: list[tuple[str, dict[str, Any]]], *, stage: str | None = None) -> None:
        """Renew the lease (and change the stage) if the session is still ours, append the events, read the
        cancel flag; raise ``_Lost`` or the cancellation."""
        if stage is not None and stage != self.stage:
            items = [("stage", {"stage": stage}), *items]
            self._end_stage()
            self.stage = stage
        else:
            stage = None
        now = self.config.clock()
        with writing(self.engine, "recording analysis progress") as connection:
            cancel = self._renew(connection, now, stage)
            new = event_log.insert_events(connection, self.session_id, items, now) if cancel is not None else []
        self._notify(new)
        if cancel is None:
            self.lost = True
            raise _Lost
        if cancel:
            raise _Stop(SessionStatus.CANCELLED, CANCELLED_BY_USER)

    def _end_stage(self) -> None:
        """Record how long the current stage took (once), and start timing the next."""
        now = time.monotonic()
        if self.stage is not None:
            self.metrics.stage_duration(self.stage, now - self.stage_started)
        self.stage, self.stage_started = None, now

    def _ended(self, status: SessionStatus, result: ReviewResult | None = None) -> None:
        """The metrics of an analysis that ended here: its last stage, its status, its findings."""
        self._end_stage()
        self.metrics.analysis_finished(self.kind, status.value)
        if result is not None:
            self.metrics.findings((self._finding(f)["severity"], f.category.value) for f in result.findings)
        log.info("analysis %s %s (%s)", self.session_id, status.value, self.kind)

    def _renew(self, connection: Any, now: datetime, stage: str | None) -> bool | None:
        """Extend the lease; the cancel flag, or None when the session is no longer this worker's."""
        table = table_of(AnalysisSession)
        values: dict[str, Any] = {"lease_expires_at": now + timedelta(seconds=self.config.lease_seconds)}
        if stage is not None:
            values["stage"] = stage
        flag = connection.execute(
            update(table)
            .where(
                table.c.id == self.session_id,
                table.c.worker_id == self.worker_id,
                table.c.status == SessionStatus.RUNNING.value,
            )
            .values(**values)
            .returning(table.c.cancel_requested)
        ).scalar_one_or_none()
        return None if flag is None else bool(flag)

    def _heartbeat(self) -> None:
        """Keep the lease while the engine works between progress events; notice cancels, loss and the deadline."""
        while not self.done.wait(self.config.heartbeat_seconds):
            if self.config.monotonic() > self.deadline:
                # The engine may be stuck inside one file: end the session now; its late result will be dropped.
                stop = self._timed_out()
                self.stop_reason = stop
                self._finish(stop.status, stop.error)
                self.lost = True
                return
            try:
                with writing(self.engine, "renewing an analysis lease") as connection:
                    cancel = self._renew(connection, self.config.clock(), None)
            except ReviewlabError as err:
                log.warning("cannot renew the lease of analysis %s: %s", self.session_id, err)
                continue
            if cancel is None:
                self.lost = True
                return
            if cancel and self.stop_reason is None:
                self.stop_reason = _Stop(SessionStatus.CANCELLED, CANCELLED_BY_USER)

    # -- the end ---------------------------------------------------------------------------------------------

    def _complete(self, result: ReviewResult, commit: str | None) -> SessionStatus | None:
        now = self.config.clock()
        with orm_writing(self.engine, "storing an analysis result") as session:
            row = session.get(AnalysisSession, self.session_id, with_for_update=True)
            if row is None or row.status != SessionStatus.RUNNING.value or row.worker_id != self.worker_id:
                return None
            if row.cancel_requested:
                status, error = SessionStatus.CANCELLED, CANCELLED_BY_USER
                _end(row, status, error, now)
                item = ("cancelled", {"reason": error})
            else:
                if row.project_id is not None:
                    apply_project_rules(self.engine, row.project_id, result)
                record_review(row, result)
                row.configuration = None if self.production is None else self.production.config_hash
                row.ai_status = None if result.ai is None else result.ai.get("status")
                row.root = result.root
                row.source_commit = commit
                _end(row, SessionStatus.COMPLETED, None, now)
                status = SessionStatus.COMPLETED
                item = ("done", _summary(result, commit))
            session.flush()
            new = event_log.insert_events(session.connection(), self.session_id, [item], now)
            project_id, ref = row.project_id, (row.request or {}).get("ref")
        self._notify(new)
        self._ended(status, result if status is SessionStatus.COMPLETED else None)
        if status is SessionStatus.COMPLETED and project_id is not None:
            record_project_review(
                self.engine, self.settings, project_id, self.session_id, ref, commit, result, caches=self.config.caches
            )
        details: dict[str, Any] = {"findings": len(result.findings), "commit": commit}
        if result.gate is not None:
            details["gate_passed"] = bool(result.gate.get("passed"))
        self._audit(status, details)
        completed = result if status is SessionStatus.COMPLETED else None
        event_hooks.analysis_finished(self.session_id, self.owner_id, status.value, result=completed)  # never raises
        return status

    def _audit(self, status: SessionStatus, details: dict[str, Any]) -> None:
        """Record how the analysis ended in the audit log (a failure to do so is logged, not the run's)."""
        from reviewlab.audit import AuditLog

        try:
            AuditLog(self.engine).append(
                f"analysis.{status.value}",
                actor=None,
                target_type="analysis",
                target_id=self.session_id,
                details={"worker": self.worker_id, **details},
            )
        except ReviewlabError as err:
            log.warning("could not audit the end of analysis %s: %s", self.session_id, err)

    def _finish(self, status: SessionStatus, error: str | None) -> SessionStatus | None:
        """End the session as failed or cancelled, if it is still ours and running."""
        now = self.config.clock()
        self.error = error
        table = table_of(AnalysisSession)
        kind = "cancelled" if status is SessionStatus.CANCELLED else "failed"
        data = {"reason": error} if kind == "cancelled" else {"error": error}
        with writing(self.engine, "ending an analysis") as connection:
            changed = connection.execute(
                update(table)
                .where(
                    table.c.id == self.session_id,
                    table.c.worker_id == self.worker_id,
                    table.c.status == SessionStatus.RUNNING.value,
                )
                .values(
                    status=status.value,
                    stage=kind,
                    error=error,
                    finished_at=now,
                    lease_expires_at=None,
                    configuration=None if self.production is None else self.production.config_hash,
                )
            ).rowcount
            new = event_log.insert_events(connection, self.session_id, [(kind, data)], now) if changed else []
        self._notify(new)
        if not changed:
            return None
        self._ended(status)
        self._audit(status, {"error": error})
        event_hooks.analysis_finished(self.session_id, self.owner_id, status.value, error=error)  # never raises
        return status

    def _notify(self, new: list[event_log.Event]) -> None:
        if new:
            self.notifier.notify(self.session_id, new[-1].seq)


def _end(row: AnalysisSession, status: SessionStatus, error: str | None, now: datetime) -> None:
    row.status = status.value
    row.stage = "done" if status is SessionStatus.COMPLETED else status.value
    row.error = error
    row.finished_at = now
    row.lease_expires_at = None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _with_options(config: ReviewConfig, options: AnalysisOptions) -> ReviewConfig:
    update: dict[str, Any] = {}
    if options.select:
        update["select"] = options.select
    if options.ignore:
        update["ignore"] = tuple(dict.fromkeys((*config.ignore, *options.ignore)))
    return config.model_copy(update=update) if update else config


def _summary(result: ReviewResult, commit: str | None) -> dict[str, Any]:
    worst = result.worst_severity()
    return {
        "findings_count": len(result.findings),
        "counts_by_severity": result.counts_by_severity(),
        "counts_by_category": result.counts_by_category(),
        "worst_severity": None if worst is None else worst.value,
        "files": len(result.files),
        "lines": result.lines,
        "duration_seconds": result.duration_seconds,
        "commit": commit,
        "gate": result.gate,
        "ai": None if result.ai is None else {"status": result.ai.get("status")},
    }
