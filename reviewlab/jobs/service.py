"""The jobs' one entry point for the API: submit an analysis, read its state and events, follow it, cancel it,
and recover sessions whose worker died (``reap``) or whose queue lost them (``resume_queued``)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from pydantic import BaseModel
from sqlalchemy import Engine, Select, Table, and_, bindparam, func, or_, select, update

from reviewlab.jobs import events as event_log
from reviewlab.jobs.db import prepared, reading, table_of, writing
from reviewlab.jobs.errors import AnalysisNotFound, InvalidRequest, QueueUnavailable
from reviewlab.jobs.events import Event, Notifier
from reviewlab.jobs.models import ArtifactRow
from reviewlab.jobs.spec import ArchiveRequest, parse_request
from reviewlab.observability import tracing
from reviewlab.observability.context import current_request_id
from reviewlab.store.models import AnalysisSession, SessionStatus, SourceKind
from reviewlab.store.repository import SUMMARY_COLUMNS, SessionSummary, summary_from_row

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LEASE_SECONDS = 30.0
CANCELLED_BY_USER = "cancelled by user"
SOURCE_KINDS = {
    "snippet": SourceKind.SNIPPET,
    "files": SourceKind.PATH,
    "archive": SourceKind.PATH,
    "repository": SourceKind.GIT,
}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Queue(Protocol):
    """Where submitted sessions go to be run: the in-process pool or Celery."""

    def enqueue(self, session_id: str) -> None:
        """Hand the (queued) session to a worker; raises ``QueueUnavailable`` when the queue refuses it."""
        ...

    def check(self) -> None:
        """Raise ``QueueUnavailable`` when the queue cannot take work now (readiness probes ask)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Upload:
    """The uploaded input of an archive request."""

    filename: str
    content: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class JobState:
    """Where an analysis is: what the API shows about a session."""

    id: str
    status: SessionStatus
    stage: str | None
    error: str | None
    kind: str | None
    owner_id: str | None
    project_id: str | None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    worker_id: str | None
    lease_expires_at: datetime | None
    source_commit: str | None
    findings_count: int
    counts_by_severity: dict[str, int]
    last_seq: int

    @property
    def finished(self) -> bool:
        return self.status.finished

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            data[name] = value.isoformat() if isinstance(value, datetime) else value
        data["status"] = self.status.value
        return data


@dataclass(frozen=True, slots=True)
class AnalysisView:
    """An analysis as one reader sees it, read in one query: its state, its summary, and the reader's role."""

    state: JobState
    summary: SessionSummary
    role: str | None  # the reader's role in the analysis's project; None: no project, or not a member


@dataclass(frozen=True, slots=True)
class Reaped:
    """What ``reap`` did to one session whose lease expired: "requeued", "failed" or "cancelled"."""

    session_id: str
    action: str
    attempts: int


def stalled_error(attempts: int) -> str:
    return f"the worker running this analysis stopped responding ({attempts} attempts)"


class Analyses:
    """Analysis sessions as jobs on ``engine`` (SQLite or PostgreSQL), waking followers through ``notifier`` and
    running on ``queue`` (None: submit only records the session, e.g. for a queue that is set up later)."""

    def __init__(
        self,
        engine: Engine,
        notifier: Notifier,
        queue: Queue | None,
        *,
        clock: Clock | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.engine = prepared(engine)
        self.notifier = notifier
        self.queue = queue
        self.clock = clock or utc_now
        self.max_attempts = max_attempts

    def submit(
        self,
        request: Mapping[str, Any] | BaseModel,
        owner_id: str | None,
        project_id: str | None = None,
        upload: Upload | None = None,
    ) -> str:
        """Record a queued session for ``request`` (and its upload), then queue it; returns the session id."""
        spec = parse_request(request)
        if isinstance(spec, ArchiveRequest) != (upload is not None):
            raise InvalidRequest("an archive request needs its upload, and only an archive request takes one")
        now = self.clock()
        session_id = str(uuid.uuid4())
        artifact: dict[str, Any] | None = None
        if upload is not None:
            artifact = {
                "id": str(uuid.uuid4()),
                "session_id": session_id,
                "name": upload.filename[:255],
                "media_type": upload.media_type[:127],
                "size": len(upload.content),
                "sha256": hashlib.sha256(upload.content).hexdigest(),
                "content": upload.content,
                "created_at": now,
            }
            spec = spec.model_copy(update={"artifact_id": artifact["id"], "filename": upload.filename})
        request_data = spec.model_dump(mode="json")
        with writing(self.engine, "queueing an analysis") as connection:
            connection.execute(
                table_of(AnalysisSession)
                .insert()
                .values(
                    id=session_id,
                    created_at=now,
                    started_at=now,  # not started yet: the claim sets it
                    status=SessionStatus.QUEUED.value,
                    source_kind=SOURCE_KINDS[spec.kind].value,
                    root=root_label(request_data),
                    rule_pack_version="",
                    files=0,
                    lines=0,
                    duration_seconds=0.0,
                    findings_count=0,
                    counts_by_severity={},
                    counts_by_category={},
                    diagnostics=[],
                    owner_id=owner_id,
                    project_id=project_id,
                    request=request_data,
                    stage="queued",
                    attempts=0,
                    cancel_requested=False,
                    queued_at=now,
                    last_seq=0,
                )
            )
            if artifact is not None:
                connection.execute(table_of(ArtifactRow).insert().values(**artifact))
            queued: dict[str, Any] = {"kind": spec.kind}
            request_id = current_request_id()
            if request_id is not None:
                queued["request_id"] = request_id  # the worker logs the run under the same id
            parent = tracing.traceparent()
            if parent is not None:
                queued["traceparent"] = parent  # the worker's span of the run continues the request's trace
            [event] = event_log.insert_events(connection, session_id, [("queued", queued)], now)
        self.notifier.notify(session_id, event.seq)
        log.info("analysis %s queued (%s)", session_id, spec.kind)
        self._enqueue(session_id)
        return session_id

    def queue_depth(self) -> int:
        """How many analyses wait for a worker (whatever the queue backend: the store is the record)."""
        table = table_of(AnalysisSession)
        with reading(self.engine, "counting queued analyses") as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(table).where(table.c.status == SessionStatus.QUEUED.value)
                ).scalar_one()
            )

    def view(self, session_id: str, user_id: str) -> AnalysisView:
        """The session's state and summary with ``user_id``'s role in its project, in one query (``AnalysisNotFound``
        for an unknown id)."""
        with reading(self.engine, "reading an analysis") as connection:
            row = connection.execute(_VIEW_BY_ID, {"session_id": session_id, "user_id": user_id}).one_or_none()
        if row is None:
            raise AnalysisNotFound(f"no analysis {session_id!r}")
        return AnalysisView(_state(cast(Mapping[str, Any], row._mapping)), summary_from_row(row), row.member_role)

    def get(self, session_id: str) -> JobState:
        """The session's state; ``AnalysisNotFound`` for an unknown id."""
        with reading(self.engine, "reading an analysis") as connection:
            row = connection.execute(_STATE_BY_ID, {"session_id": session_id}).one_or_none()
        if row is None:
            raise AnalysisNotFound(f"no analysis {session_id!r}")
        return _state(dict(row._mapping))

    def events(self, session_id: str, after_seq: int = 0, limit: int = event_log.MAX_EVENTS_PER_READ) -> list[Event]:
        """The session's events numbered above ``after_seq``, oldest first (``AnalysisNotFound`` for an unknown id)."""
        self.get(session_id)
        with reading(self.engine, "reading analysis events") as connection:
            return event_log.read_events(connection, session_id, after_seq, limit)

    async def follow(self, session_id: str, after_seq: int = 0, *, poll_seconds: float = 1.0) -> AsyncIterator[Event]:
        """The events above ``after_seq`` (an SSE ``Last-Event-ID``) and then the live ones, ending after the
        terminal event. ``AnalysisNotFound`` (raised before the first event) for an unknown id."""
        import asyncio

        await asyncio.to_thread(self.get, session_id)
        async for event in event_log.follow(
            self.engine, self.notifier, session_id, after_seq, poll_seconds=poll_seconds
        ):
            yield event

    def cancel(self, session_id: str) -> JobState:
        """Cancel: a queued session at once; a running one at its worker's next progress step; a finished one
        stays as it is. Returns the state after the request."""
        now = self.clock()
        table = _sessions()
        with writing(self.engine, "cancelling an analysis") as connection:
            cancelled = connection.execute(
                update(table)
                .where(table.c.id == session_id, table.c.status == SessionStatus.QUEUED.value)
                .values(
                    status=SessionStatus.CANCELLED.value, stage="cancelled", error=CANCELLED_BY_USER, finished_at=now
                )
            ).rowcount
            if cancelled:
                items = [("cancelled", {"reason": CANCELLED_BY_USER})]
            else:
                flagged = connection.execute(
                    update(table)
                    .where(
                        table.c.id == session_id,
                        table.c.status == SessionStatus.RUNNING.value,
                        table.c.cancel_requested.is_(False),
                    )
                    .values(cancel_requested=True)
                ).rowcount
                items = [("cancel_requested", {})] if flagged else []
            new = event_log.insert_events(connection, session_id, items, now)
        for event in new:
            self.notifier.notify(session_id, event.seq)
        return self.get(session_id)

    def reap(self, now: datetime | None = None) -> list[Reaped]:
        """Recover running sessions whose lease expired (their worker died or hung): queue them again while they
        have attempts left, fail them after ``max_attempts``; a cancel requested meanwhile is honoured."""
        now = now or self.clock()
        table = _sessions()
        expired = and_(table.c.status == SessionStatus.RUNNING.value, table.c.lease_expires_at < now)
        with reading(self.engine, "looking for stalled analyses") as connection:
            candidates = connection.execute(select(table.c.id).where(expired).order_by(table.c.lease_expires_at)).all()
        reaped: list[Reaped] = []
        for (session_id,) in candidates:
            outcome = self._reap_one(session_id, expired, now)
            if outcome is not None:
                reaped.append(outcome)
                if outcome.action == "requeued":
                    self._enqueue(session_id)
        return reaped

    def _reap_one(self, session_id: str, expired: Any, now: datetime) -> Reaped | None:
        table = _sessions()
        with writing(self.engine, "recovering a stalled analysis") as connection:
            row = connection.execute(
                select(table.c.attempts, table.c.cancel_requested).where(table.c.id == session_id, expired)
            ).one_or_none()
            if row is None:
                return None  # renewed or finished meanwhile
            attempts, cancel_requested = row
            release = {"worker_id": None, "lease_expires_at": None}
            if cancel_requested:
                values = {"status": "cancelled", "stage": "cancelled", "error": CANCELLED_BY_USER, "finished_at": now}
                action, item = "cancelled", ("cancelled", {"reason": CANCELLED_BY_USER})
            elif attempts < self.max_attempts:
                values = {"status": "queued", "stage": "queued", "queued_at": now}
                action, item = (
                    "requeued",
                    ("requeued", {"attempts": attempts, "reason": "the worker stopped responding"}),
                )
            else:
                error = stalled_error(attempts)
                values = {"status": "failed", "stage": "failed", "error": error, "finished_at": now}
                action, item = "failed", ("failed", {"error": error, "attempts": attempts})
            connection.execute(update(table).where(table.c.id == session_id, expired).values(**values, **release))
            [event] = event_log.insert_events(connection, session_id, [item], now)
        self.notifier.notify(session_id, event.seq)
        return Reaped(session_id, action, attempts)

    def resume_queued(self, older_than_seconds: float = 0.0) -> list[str]:
        """Queue again the sessions still queued (e.g. lost with an in-process queue when the process stopped);
        a worker's claim makes a duplicate harmless. Returns their ids."""
        from datetime import timedelta

        cutoff = self.clock() - timedelta(seconds=older_than_seconds)
        table = _sessions()
        query = select(table.c.id).where(
            table.c.status == SessionStatus.QUEUED.value, or_(table.c.queued_at.is_(None), table.c.queued_at <= cutoff)
        )
        with reading(self.engine, "listing queued analyses") as connection:
            ids = [session_id for (session_id,) in connection.execute(query.order_by(table.c.queued_at))]
        for session_id in ids:
            self._enqueue(session_id)
        return ids

    def _enqueue(self, session_id: str) -> None:
        if self.queue is None:
            return
        try:
            self.queue.enqueue(session_id)
        except QueueUnavailable as err:
            self._fail_queued(session_id, f"the analysis could not be queued: {err}")
            raise

    def _fail_queued(self, session_id: str, error: str) -> None:
        now = self.clock()
        table = _sessions()
        with writing(self.engine, "failing an analysis") as connection:
            changed = connection.execute(
                update(table)
                .where(table.c.id == session_id, table.c.status == SessionStatus.QUEUED.value)
                .values(status="failed", stage="failed", error=error, finished_at=now)
            ).rowcount
            new = event_log.insert_events(
                connection, session_id, [("failed", {"error": error})] if changed else [], now
            )
        for event in new:
            self.notifier.notify(session_id, event.seq)


def _sessions() -> Table:
    return table_of(AnalysisSession)


def _state_query() -> Any:
    t = _sessions()
    return select(
        t.c.id, t.c.status, t.c.stage, t.c.error, t.c.request, t.c.owner_id, t.c.project_id, t.c.attempts,
        t.c.cancel_requested, t.c.created_at, t.c.queued_at, t.c.started_at, t.c.finished_at, t.c.worker_id,
        t.c.lease_expires_at, t.c.source_commit, t.c.findings_count, t.c.counts_by_severity, t.c.last_seq,
    )  # fmt: skip


# Built once: a statement executed again skips its construction and cache-key walk (the API reads it per request).
_STATE_BY_ID: Select[Any] = _state_query().where(_sessions().c.id == bindparam("session_id"))


def _view_query() -> Select[Any]:
    from reviewlab.projects.repository import MEMBERS

    t = _sessions()
    state: Select[Any] = _state_query()
    named = {column.name for column in state.selected_columns}
    membership = and_(MEMBERS.c.project_id == t.c.project_id, MEMBERS.c.user_id == bindparam("user_id"))
    return (
        state.add_columns(*(c for c in SUMMARY_COLUMNS if c.name not in named), MEMBERS.c.role.label("member_role"))
        .select_from(t.outerjoin(MEMBERS, membership))
        .where(t.c.id == bindparam("session_id"))
    )


_VIEW_BY_ID: Select[Any] = _view_query()


def _state(row: Mapping[str, Any]) -> JobState:
    status = SessionStatus(row["status"])
    request = row["request"] or {}
    return JobState(
        id=row["id"],
        status=status,
        stage=row["stage"],
        error=row["error"],
        kind=request.get("kind"),
        owner_id=row["owner_id"],
        project_id=row["project_id"],
        attempts=row["attempts"],
        cancel_requested=bool(row["cancel_requested"]),
        created_at=row["created_at"],
        queued_at=row["queued_at"],
        started_at=None if status is SessionStatus.QUEUED and not row["attempts"] else row["started_at"],
        finished_at=row["finished_at"],
        worker_id=row["worker_id"],
        lease_expires_at=row["lease_expires_at"],
        source_commit=row["source_commit"],
        findings_count=row["findings_count"],
        counts_by_severity=dict(row["counts_by_severity"] or {}),
        last_seq=row["last_seq"],
    )


def root_label(request: Mapping[str, Any], commit: str | None = None) -> str:
    """What a job's session shows as its reviewed root (the temporary directory means nothing to anyone)."""
    kind = request["kind"]
    if kind == "snippet":
        return "<snippet>"
    if kind == "files":
        return "<files>"
    if kind == "archive":
        return f"<archive {request['filename']}>"
    at = commit or request.get("ref")
    return f"{request['repo']}@{at}" if at else str(request["repo"])
