"""``/api/analyze``: start an analysis (202), read its status and findings, follow it live (SSE), cancel it,
and triage its findings.

An analysis belongs to whoever started it and, when it reviews a project, to the project's members; to
anyone else it is 404. Triage decisions are kept by fingerprint in the project (or, outside a project,
for the user), so they carry over to the next review of the same code.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import File, Form, Header, Path, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.auditing import audit
from api.deps import CurrentUser, Platform, PlatformDep, ReviewerUser, Services, ServicesDep
from api.problems import ProblemError
from api.routing import ApiRouter, WorkerThreadRoute, in_worker_thread
from reviewlab.accounts import Role, User
from reviewlab.engine.model import Finding
from reviewlab.jobs.errors import AnalysisNotFound
from reviewlab.jobs.service import AnalysisView, JobState, Upload
from reviewlab.jobs.spec import AnalysisOptions, FileInput, describe_errors
from reviewlab.projects import ProjectRole, TriageStatus, at_least, project_scope, user_scope

router = ApiRouter(prefix="/api/analyze", tags=["analysis"], route_class=WorkerThreadRoute)

SessionId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f-]{1,36}$")]
Fingerprint = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9:_.-]+$")]
HEARTBEAT_SECONDS = 15.0
MAX_EVENT_ID = 2**31 - 1
SSE_RETRY_MS = 2000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SnippetIn(_Strict):
    kind: Literal["snippet"]
    code: str = Field(max_length=1024 * 1024)
    language: str = Field(max_length=32)
    project_id: str | None = Field(default=None, max_length=36)
    options: AnalysisOptions = AnalysisOptions()


class FilesIn(_Strict):
    kind: Literal["files"]
    files: list[FileInput] = Field(min_length=1, max_length=1000)
    project_id: str | None = Field(default=None, max_length=36)
    options: AnalysisOptions = AnalysisOptions()


class RepositoryIn(_Strict):
    kind: Literal["repository"]
    project_id: str = Field(max_length=36, description="a registered project; its repository is reviewed")
    ref: str | None = Field(default=None, max_length=255, description="branch, tag or commit (default: its branch)")
    options: AnalysisOptions = AnalysisOptions()


AnalyzeIn = Annotated[SnippetIn | FilesIn | RepositoryIn, Field(discriminator="kind")]


class Accepted(BaseModel):
    id: str
    status: str
    stream: str = Field(description="the Server-Sent Events stream of its progress")


class Status(BaseModel):
    id: str
    status: str
    stage: str | None
    error: str | None
    kind: str | None
    project_id: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    commit: str | None
    findings_count: int
    counts_by_severity: dict[str, int]


class Result(BaseModel):
    analysis: Status
    summary: dict[str, Any] | None = Field(description="counts, gate and duration once completed")
    findings: list[dict[str, Any]]
    total: int = Field(description="findings matching the filters")
    limit: int
    offset: int


class TriageIn(_Strict):
    status: TriageStatus
    comment: str | None = Field(default=None, max_length=2000)


class TriageOut(BaseModel):
    fingerprint: str
    status: TriageStatus
    comment: str | None
    updated_by: str | None
    updated_at: datetime
    history: list[dict[str, Any]]


def _status(state: JobState) -> Status:
    return Status(
        id=state.id,
        status=state.status.value,
        stage=state.stage,
        error=state.error,
        kind=state.kind,
        project_id=state.project_id,
        attempts=state.attempts,
        created_at=state.created_at,
        started_at=state.started_at if state.status.value not in ("queued", "cancelled") else None,
        finished_at=state.finished_at,
        commit=state.source_commit,
        findings_count=state.findings_count,
        counts_by_severity=state.counts_by_severity,
    )


def visible_analysis(services: Services, session_id: str, user: User) -> tuple[JobState, ProjectRole | None]:
    """The analysis and the caller's role in its project; 404 unless the caller started it, is in its project,
    or is an admin."""
    view = _visible_view(services, session_id, user)
    return view.state, None if view.role is None else ProjectRole(view.role)


def _visible_view(services: Services, session_id: str, user: User) -> AnalysisView:
    """:func:`visible_analysis` with the analysis's summary, all in one query."""
    try:
        view = services.analyses.view(session_id, user.id)
    except AnalysisNotFound as err:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no analysis {session_id}") from err
    if user.role is Role.ADMIN or view.state.owner_id == user.id or view.role is not None:
        return view
    raise ProblemError(HTTPStatus.NOT_FOUND, f"no analysis {session_id}")


def _may_change(state: JobState, role: ProjectRole | None, user: User) -> bool:
    return user.role is Role.ADMIN or state.owner_id == user.id or at_least(role, ProjectRole.REVIEWER)


def _project_for_analysis(services: Services, project_id: str | None, user: User) -> Any:
    """The project an analysis is for, if the caller may start one in it (reviewer role or more)."""
    if project_id is None:
        return None
    found = services.projects.visible_with_role(project_id, user.id, user.role is Role.ADMIN)
    if found is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no project {project_id}")
    project, role = found
    if user.role is not Role.ADMIN and not at_least(role, ProjectRole.REVIEWER):
        raise ProblemError(HTTPStatus.FORBIDDEN, "starting an analysis needs the reviewer role in this project")
    return project


def _accepted(session_id: str) -> Accepted:
    return Accepted(id=session_id, status="queued", stream=f"/api/analyze/{session_id}/stream")


@router.post("", status_code=HTTPStatus.ACCEPTED)
def analyze(body: AnalyzeIn, request: Request, user: ReviewerUser, platform: PlatformDep) -> Accepted:
    """Start reviewing a snippet, files given as text, or a registered project's repository at a ref.

    Answers 202 at once; ``GET /api/analyze/{id}`` and its ``/stream`` follow the work. Archives go to
    ``POST /api/analyze/archive``.
    """
    services = platform.services()
    project = _project_for_analysis(services, body.project_id, user)
    job: dict[str, Any] = body.model_dump(mode="json", exclude={"project_id"})
    if isinstance(body, RepositoryIn):
        if project.repo_url is None:
            raise ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, "this project has no repository to review")
        job["repo"] = project.repo_url
        job["ref"] = body.ref or project.default_branch
    session_id = _submit(request, services, job, user, project)
    platform.metrics.analyses.labels(kind=body.kind).inc()
    return _accepted(session_id)


def _submit(
    request: Request, services: Services, job: dict[str, Any], user: User, project: Any, upload: Upload | None = None
) -> str:
    """Queue the analysis and audit it."""
    project_id = None if project is None else project.id
    session_id = services.analyses.submit(job, user.id, project_id=project_id, upload=upload)
    details: dict[str, Any] = {"kind": job["kind"], "project_id": project_id}
    if upload is not None:
        details["bytes"] = len(upload.content)
    audit(request, services, "analysis.started", target_type="analysis", target_id=session_id, details=details)
    return session_id


@router.post("/archive", status_code=HTTPStatus.ACCEPTED)
async def analyze_archive(
    request: Request,
    user: ReviewerUser,
    platform: PlatformDep,
    archive: Annotated[UploadFile, File(description="a .zip, .tar, .tar.gz, .tar.bz2 or .tar.xz of the code")],
    project_id: Annotated[str | None, Form(max_length=36)] = None,
    options: Annotated[str | None, Form(max_length=20_000, description="AnalysisOptions as JSON")] = None,
) -> Accepted:
    """Start reviewing an uploaded archive (size, file count, unpacked size and paths are checked when unpacked)."""
    limit = platform.settings.reviewlab_max_archive_bytes
    content = await archive.read(limit + 1)
    if len(content) > limit:
        raise ProblemError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the archive is over the limit of {limit} bytes")
    try:
        parsed = AnalysisOptions.model_validate(json.loads(options)) if options else AnalysisOptions()
    except (ValueError, ValidationError) as err:
        detail = describe_errors(err) if isinstance(err, ValidationError) else str(err)
        raise ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, f"options: {detail}") from err
    filename = (archive.filename or "upload.zip").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "upload.zip"

    def submit() -> str:
        services = platform.services()
        project = _project_for_analysis(services, project_id, user)
        job = {"kind": "archive", "filename": filename, "options": parsed.model_dump(mode="json")}
        upload = Upload(
            filename=filename, content=content, media_type=archive.content_type or "application/octet-stream"
        )
        return _submit(request, services, job, user, project, upload)

    session_id = await in_worker_thread(submit)
    platform.metrics.analyses.labels(kind="archive").inc()
    return _accepted(session_id)


@router.get("/{session_id}")
def result(
    session_id: SessionId,
    user: CurrentUser,
    platform: PlatformDep,
    severity: Annotated[list[str] | None, Query(max_length=10)] = None,
    category: Annotated[list[str] | None, Query(max_length=10)] = None,
    rule: Annotated[str | None, Query(max_length=128, description="a rule id or id prefix")] = None,
    path: Annotated[str | None, Query(max_length=1024, description="a path or directory prefix")] = None,
    cwe: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    status: Annotated[list[TriageStatus] | None, Query(max_length=4, description="triage status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Result:
    """The analysis's status and, once completed, its summary and findings (filtered, paginated, with triage)."""
    services = platform.services()
    view = _visible_view(services, session_id, user)
    state = view.state
    if state.status.value != "completed":
        return Result(analysis=_status(state), summary=None, findings=[], total=0, limit=limit, offset=offset)
    findings = _findings(platform, services, state)
    scope = triage_scope(state)
    triage = services.projects.triage_states(scope, [f.fingerprint for f in findings])
    chosen = [f for f in findings if _matches(f, severity, category, rule, path, cwe, status, triage)]
    page = chosen[offset : offset + limit]
    items = []
    for finding in page:
        data = finding.to_dict()
        state_of = triage.get(finding.fingerprint)
        data["triage"] = (
            {"status": TriageStatus.OPEN.value}
            if state_of is None
            else {
                "status": state_of.status.value,
                "comment": state_of.comment,
                "updated_at": state_of.updated_at.isoformat(),
            }
        )
        items.append(data)
    session = view.summary
    summary = {
        "files": session.files,
        "lines": session.lines,
        "findings": session.findings_count,
        "by_severity": session.counts_by_severity,
        "worst_severity": None if session.worst_severity is None else session.worst_severity.value,
        "duration_seconds": session.duration_seconds,
        "rule_pack_version": session.rule_pack_version,
    }
    return Result(
        analysis=_status(state), summary=summary, findings=items, total=len(chosen), limit=limit, offset=offset
    )


def _findings(platform: Platform, services: Services, state: JobState) -> list[Finding]:
    """A completed analysis's findings; a project's are cached (L2, 1 hour, dropped when the project is reviewed
    again or its baseline or policy changes)."""
    if state.project_id is None:
        return services.store.findings(state.id)
    key = f"analysis:{state.id}:findings"
    cached = platform.caches.projects.get(state.project_id, key)
    if isinstance(cached, list):
        return [Finding.from_dict(item) for item in cached]
    findings = services.store.findings(state.id)
    platform.caches.projects.set(state.project_id, key, [f.to_dict() for f in findings])
    return findings


def triage_scope(state: JobState) -> str:
    """Where the triage of this analysis's findings is kept: its project, else its owner."""
    if state.project_id is not None:
        return project_scope(state.project_id)
    return user_scope(state.owner_id or "")


def _matches(
    finding: Finding,
    severity: list[str] | None,
    category: list[str] | None,
    rule: str | None,
    path: str | None,
    cwe: int | None,
    status: list[TriageStatus] | None,
    triage: dict[str, Any],
) -> bool:
    if severity and finding.severity.value not in severity:
        return False
    if category and finding.category.value not in category:
        return False
    if rule and not finding.rule_id.startswith(rule):
        return False
    if path and not (finding.path == path or finding.path.startswith(path.rstrip("/") + "/")):
        return False
    if cwe is not None and finding.cwe != cwe:
        return False
    if status:
        current = triage.get(finding.fingerprint)
        return (TriageStatus.OPEN if current is None else current.status) in status
    return True


@router.post("/{session_id}/cancel")
def cancel(session_id: SessionId, request: Request, user: CurrentUser, services: ServicesDep) -> Status:
    """Stop an analysis: a queued one at once, a running one at its next step; a finished one is unchanged."""
    state, role = visible_analysis(services, session_id, user)
    if not _may_change(state, role, user):
        raise ProblemError(HTTPStatus.FORBIDDEN, "cancelling needs the reviewer role in the analysis's project")
    after = services.analyses.cancel(session_id)
    audit(request, services, "analysis.cancelled", target_type="analysis", target_id=session_id)
    return _status(after)


@router.get(
    "/{session_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream(
    session_id: SessionId,
    request: Request,
    user: CurrentUser,
    platform: PlatformDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="resume after this event id (as Last-Event-ID)")
    ] = None,
) -> StreamingResponse:
    """Progress per stage and findings as they appear, as Server-Sent Events (``id`` is the event number).

    Reconnecting with ``Last-Event-ID`` replays what was missed; the stream ends after ``done``, ``failed`` or
    ``cancelled``. A comment line every 15 s keeps idle connections open.
    """
    services = await in_worker_thread(platform.services)
    await in_worker_thread(visible_analysis, services, session_id, user)
    resume = after if after is not None else _event_number(last_event_id)
    return StreamingResponse(
        _events(services, session_id, resume, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event_number(value: str | None) -> int:
    if value is None:
        return 0
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_EVENT_ID:
        raise ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, "Last-Event-ID must be an event number")
    return int(text)


async def _events(services: Services, session_id: str, after: int, request: Request) -> AsyncIterator[bytes]:
    yield f"retry: {SSE_RETRY_MS}\n\n".encode()
    source = services.analyses.follow(session_id, after).__aiter__()
    pending: asyncio.Task[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(source.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=HEARTBEAT_SECONDS)
            if not done:
                if await request.is_disconnected():
                    return
                yield b": keep-alive\n\n"
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            finally:
                if pending.done():
                    pending = None
            data = json.dumps(event.data, separators=(",", ":"), default=str)
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n".encode()
    finally:
        if pending is not None:
            pending.cancel()
        await source.aclose()  # type: ignore[attr-defined]


@router.put("/{session_id}/findings/{fingerprint}/triage")
def triage(
    session_id: SessionId,
    fingerprint: Fingerprint,
    body: TriageIn,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
) -> TriageOut:
    """Mark a finding open, accepted, false positive or fixed, with a comment; kept for later reviews too."""
    state, role = visible_analysis(services, session_id, user)
    if not _may_change(state, role, user):
        raise ProblemError(HTTPStatus.FORBIDDEN, "triage needs the reviewer role in the analysis's project")
    if state.status.value != "completed":
        raise ProblemError(HTTPStatus.CONFLICT, "only a completed analysis's findings can be triaged")
    if fingerprint not in {f.fingerprint for f in services.store.findings(session_id)}:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no finding {fingerprint} in this analysis")
    scope = triage_scope(state)
    decided = services.projects.triage(scope, fingerprint, body.status, body.comment, user.id)
    audit(
        request,
        services,
        "finding.triaged",
        target_type="finding",
        target_id=fingerprint,
        details={"analysis": session_id, "status": body.status.value},
    )
    return _triage_out(services, scope, fingerprint, decided)


@router.get("/{session_id}/findings/{fingerprint}/triage")
def triage_history(
    session_id: SessionId, fingerprint: Fingerprint, user: CurrentUser, services: ServicesDep
) -> TriageOut:
    """A finding's triage and every decision on it."""
    state, _ = visible_analysis(services, session_id, user)
    scope = triage_scope(state)
    current = services.projects.triage_states(scope, [fingerprint]).get(fingerprint)
    if current is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, "this finding was never triaged")
    return _triage_out(services, scope, fingerprint, current)


def _triage_out(services: Services, scope: str, fingerprint: str, current: Any) -> TriageOut:
    events = services.projects.triage_events(scope, fingerprint)
    return TriageOut(
        fingerprint=fingerprint,
        status=current.status,
        comment=current.comment,
        updated_by=current.updated_by,
        updated_at=current.updated_at,
        history=[
            {"status": e.status.value, "comment": e.comment, "actor_id": e.actor_id, "at": e.at.isoformat()}
            for e in events
        ],
    )
