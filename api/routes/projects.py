"""``/api/projects``: projects, their members, reviewed versions, baseline, policy (quality gate) and history.

Access: a project exists for its members and for admins; to anyone else it is 404, never 403, so ids
cannot be probed. Within a project, owners and maintainers edit it, its members and its policy;
reviewers also triage and start analyses; viewers read.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auditing import audit
from api.deps import CurrentUser, ReviewerUser, ServicesDep
from api.problems import ProblemError
from api.routing import ApiRouter, WorkerThreadRoute
from reviewlab.accounts import Role, User
from reviewlab.jobs.errors import AnalysisNotFound
from reviewlab.projects import Baseline, Project, ProjectRole, Projects, at_least

router = ApiRouter(prefix="/api/projects", tags=["projects"], route_class=WorkerThreadRoute)

ProjectId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f-]{1,36}$")]
UserId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f-]{1,36}$")]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
REMOTE_SCHEMES = frozenset({"https", "http", "ssh", "git"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    repo_url: str | None = Field(default=None, max_length=2000, description="a git URL (or, for admins, a local path)")
    default_branch: str = Field(default="main", min_length=1, max_length=255)


class ProjectChange(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    repo_url: str | None = Field(default=None, max_length=2000)
    default_branch: str | None = Field(default=None, min_length=1, max_length=255)


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str | None
    repo_url: str | None
    default_branch: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    role: ProjectRole | None = Field(description="the caller's role in the project (None for an admin non-member)")


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    total: int
    limit: int
    offset: int


class MemberIn(Strict):
    user_id: str = Field(min_length=1, max_length=36)
    role: ProjectRole = ProjectRole.VIEWER


class MemberRole(Strict):
    role: ProjectRole


class MemberOut(BaseModel):
    user_id: str
    role: ProjectRole
    added_at: datetime


class VersionOut(BaseModel):
    id: str
    session_id: str
    ref: str | None
    commit: str | None
    created_at: datetime
    findings_count: int
    counts_by_severity: dict[str, int]
    gate_passed: bool | None


class VersionPage(BaseModel):
    items: list[VersionOut]
    total: int
    limit: int
    offset: int


class BaselineIn(Strict):
    session_id: str = Field(min_length=1, max_length=36, description="a completed analysis of this project")


class BaselineOut(BaseModel):
    session_id: str
    fingerprints: list[str]
    set_by: str | None
    set_at: datetime

    @classmethod
    def of(cls, baseline: Baseline) -> BaselineOut:
        return cls(
            session_id=baseline.session_id,
            fingerprints=list(baseline.fingerprints),
            set_by=baseline.set_by,
            set_at=baseline.set_at,
        )


class PolicyOut(BaseModel):
    gate: dict[str, Any]
    updated_by: str | None
    updated_at: datetime


class HistoryOut(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    action: str
    detail: dict[str, Any]


class HistoryPage(BaseModel):
    items: list[HistoryOut]
    total: int
    limit: int
    offset: int


async def projects_of(services: ServicesDep) -> Projects:
    return services.projects


ProjectsDep = Annotated[Projects, Depends(projects_of)]


def visible_project(project_id: str, user: User, projects: Projects) -> tuple[Project, ProjectRole | None]:
    """The project and the caller's role in it; 404 when the caller may not see it (or it does not exist)."""
    found = projects.visible_with_role(project_id, user.id, user.role is Role.ADMIN)
    if found is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no project {project_id}")
    return found


def require_project_role(role: ProjectRole | None, user: User, minimum: ProjectRole, what: str) -> None:
    """403 unless the caller's project role is at least ``minimum`` (admins pass)."""
    if user.role is Role.ADMIN or at_least(role, minimum):
        return
    raise ProblemError(HTTPStatus.FORBIDDEN, f"{what} needs the {minimum.value} role in this project")


def checked_repo_url(url: str | None, user: User) -> str | None:
    """A remote git URL for anyone; a local path or ``file:`` URL only for admins (it reads the server's disk)."""
    if url is None:
        return None
    parts = urlsplit(url)
    scp_like = "@" in url.split(":", 1)[0] and ":" in url and "://" not in url  # git@host:org/repo.git
    if (parts.scheme in REMOTE_SCHEMES and parts.netloc) or scp_like:
        if url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
            raise ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, "repo_url is not a valid git URL")
        return url
    if user.role is not Role.ADMIN:
        raise ProblemError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "repo_url must be a remote git URL (https, ssh or git); local paths are for admins",
        )
    return url


def _out(project: Project, role: ProjectRole | None) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        name=project.name,
        description=project.description,
        repo_url=project.repo_url,
        default_branch=project.default_branch,
        owner_id=project.owner_id,
        created_at=project.created_at,
        updated_at=project.updated_at,
        role=role,
    )


@router.get("")
def list_projects(user: CurrentUser, projects: ProjectsDep, limit: Limit = 50, offset: Offset = 0) -> ProjectPage:
    """The caller's projects (an admin: all), newest first."""
    page = projects.list_with_roles(user.id, user.role is Role.ADMIN, limit=limit, offset=offset)
    items = [_out(project, role) for project, role in page.items]
    return ProjectPage(items=items, total=page.total, limit=limit, offset=offset)


@router.post("", status_code=HTTPStatus.CREATED)
def create_project(body: ProjectIn, request: Request, user: ReviewerUser, services: ServicesDep) -> ProjectOut:
    """A new project; the caller becomes its owner."""
    project = services.projects.create(
        user.id,
        body.name,
        description=body.description,
        repo_url=checked_repo_url(body.repo_url, user),
        default_branch=body.default_branch,
    )
    audit(
        request, services, "project.created", target_type="project", target_id=project.id, details={"name": body.name}
    )
    return _out(project, ProjectRole.OWNER)


@router.get("/{project_id}")
def get_project(project_id: ProjectId, user: CurrentUser, projects: ProjectsDep) -> ProjectOut:
    project, role = visible_project(project_id, user, projects)
    return _out(project, role)


@router.put("/{project_id}")
def update_project(
    project_id: ProjectId, body: ProjectChange, request: Request, user: CurrentUser, services: ServicesDep
) -> ProjectOut:
    """Change a project's name, description, repository or default branch (owners and maintainers)."""
    project, role = visible_project(project_id, user, services.projects)
    require_project_role(role, user, ProjectRole.MAINTAINER, "changing a project")
    fields = body.model_dump(exclude_unset=True)
    if "repo_url" in fields:
        fields["repo_url"] = checked_repo_url(fields["repo_url"], user)
    updated = services.projects.update(project.id, user.id, **fields)
    platform_invalidate(request, project.id)
    audit(request, services, "project.updated", target_type="project", target_id=project.id, details=fields)
    return _out(updated, role)


@router.delete("/{project_id}", status_code=HTTPStatus.NO_CONTENT)
def delete_project(project_id: ProjectId, request: Request, user: CurrentUser, services: ServicesDep) -> Response:
    """Delete a project with its members, versions, baseline, policy, history and triage (owners only)."""
    project, role = visible_project(project_id, user, services.projects)
    require_project_role(role, user, ProjectRole.OWNER, "deleting a project")
    services.projects.delete(project.id, user.id)
    platform_invalidate(request, project.id)
    audit(
        request,
        services,
        "project.deleted",
        target_type="project",
        target_id=project.id,
        details={"name": project.name},
    )
    return Response(status_code=HTTPStatus.NO_CONTENT)


def platform_invalidate(request: Request, project_id: str) -> None:
    """Drop the project's cached analysis results (L2)."""
    request.app.state.platform.caches.projects.invalidate(project_id)


@router.get("/{project_id}/members")
def list_members(project_id: ProjectId, user: CurrentUser, projects: ProjectsDep) -> list[MemberOut]:
    visible_project(project_id, user, projects)
    return [MemberOut(user_id=m.user_id, role=m.role, added_at=m.added_at) for m in projects.members(project_id)]


@router.post("/{project_id}/members", status_code=HTTPStatus.CREATED)
def add_member(
    project_id: ProjectId, body: MemberIn, request: Request, user: CurrentUser, services: ServicesDep
) -> MemberOut:
    """Add a user to the project with a role (owners and maintainers; only owners make owners)."""
    _, role = visible_project(project_id, user, services.projects)
    require_project_role(role, user, ProjectRole.MAINTAINER, "adding members")
    if body.role is ProjectRole.OWNER:
        require_project_role(role, user, ProjectRole.OWNER, "making an owner")
    if services.accounts.get_user(body.user_id) is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no user {body.user_id}")
    member = services.projects.add_member(project_id, body.user_id, body.role, user.id)
    audit(
        request,
        services,
        "project.member.added",
        target_type="project",
        target_id=project_id,
        details={"user_id": body.user_id, "role": body.role.value},
    )
    return MemberOut(user_id=member.user_id, role=member.role, added_at=member.added_at)


@router.put("/{project_id}/members/{user_id}")
def set_member_role(
    project_id: ProjectId, user_id: UserId, body: MemberRole, request: Request, user: CurrentUser, services: ServicesDep
) -> MemberOut:
    """Change a member's role (owners and maintainers; only owners grant or take away ownership)."""
    _, role = visible_project(project_id, user, services.projects)
    require_project_role(role, user, ProjectRole.MAINTAINER, "changing roles")
    current = services.projects.member_role(project_id, user_id)
    if current is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"user {user_id} is not a member of this project")
    if ProjectRole.OWNER in (body.role, current):
        require_project_role(role, user, ProjectRole.OWNER, "changing ownership")
    member = services.projects.set_member_role(project_id, user_id, body.role, user.id)
    audit(
        request,
        services,
        "project.member.role",
        target_type="project",
        target_id=project_id,
        details={"user_id": user_id, "role": body.role.value},
    )
    return MemberOut(user_id=member.user_id, role=member.role, added_at=member.added_at)


@router.delete("/{project_id}/members/{user_id}", status_code=HTTPStatus.NO_CONTENT)
def remove_member(
    project_id: ProjectId, user_id: UserId, request: Request, user: CurrentUser, services: ServicesDep
) -> Response:
    """Remove a member (owners and maintainers; anyone may leave; the last owner cannot)."""
    _, role = visible_project(project_id, user, services.projects)
    if user_id != user.id:
        require_project_role(role, user, ProjectRole.MAINTAINER, "removing members")
        if services.projects.member_role(project_id, user_id) is ProjectRole.OWNER:
            require_project_role(role, user, ProjectRole.OWNER, "removing an owner")
    services.projects.remove_member(project_id, user_id, user.id)
    audit(
        request,
        services,
        "project.member.removed",
        target_type="project",
        target_id=project_id,
        details={"user_id": user_id},
    )
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.get("/{project_id}/versions")
def list_versions(
    project_id: ProjectId, user: CurrentUser, projects: ProjectsDep, limit: Limit = 50, offset: Offset = 0
) -> VersionPage:
    """The project's reviewed versions (one per completed analysis), newest first."""
    visible_project(project_id, user, projects)
    page = projects.versions(project_id, limit=limit, offset=offset)
    items = [VersionOut.model_validate(v, from_attributes=True) for v in page.items]
    return VersionPage(items=items, total=page.total, limit=limit, offset=offset)


@router.get("/{project_id}/baseline")
def get_baseline(project_id: ProjectId, user: CurrentUser, projects: ProjectsDep) -> BaselineOut:
    visible_project(project_id, user, projects)
    baseline = projects.baseline(project_id)
    if baseline is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, "this project has no baseline yet")
    return BaselineOut.of(baseline)


@router.put("/{project_id}/baseline")
def set_baseline(
    project_id: ProjectId, body: BaselineIn, request: Request, user: CurrentUser, services: ServicesDep
) -> BaselineOut:
    """Accept the findings of one of the project's completed analyses as existing (owners and maintainers)."""
    _, role = visible_project(project_id, user, services.projects)
    require_project_role(role, user, ProjectRole.MAINTAINER, "setting the baseline")
    try:
        analysis = services.analyses.get(body.session_id)
    except AnalysisNotFound:
        analysis = None
    if analysis is None or analysis.project_id != project_id or analysis.status.value != "completed":
        raise ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, "session_id must be a completed analysis of this project")
    fingerprints = [f.fingerprint for f in services.store.findings(body.session_id)]
    baseline = services.projects.set_baseline(project_id, body.session_id, fingerprints, user.id)
    platform_invalidate(request, project_id)
    audit(
        request,
        services,
        "project.baseline",
        target_type="project",
        target_id=project_id,
        details={"session_id": body.session_id, "fingerprints": len(fingerprints)},
    )
    return BaselineOut.of(baseline)


@router.get("/{project_id}/policy")
def get_policy(project_id: ProjectId, user: CurrentUser, projects: ProjectsDep) -> PolicyOut:
    visible_project(project_id, user, projects)
    policy = projects.policy(project_id)
    if policy is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, "this project has no policy yet")
    return PolicyOut(
        gate=policy.gate.model_dump(mode="json", exclude_defaults=True),
        updated_by=policy.updated_by,
        updated_at=policy.updated_at,
    )


@router.put("/{project_id}/policy")
def set_policy(
    project_id: ProjectId,
    body: Annotated[dict[str, Any], Field(description="quality gate options, as [reviewlab.gate] in reviewlab.toml")],
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
) -> PolicyOut:
    """Set the project's quality gate (owners and maintainers); unknown or invalid options are 422."""
    _, role = visible_project(project_id, user, services.projects)
    require_project_role(role, user, ProjectRole.MAINTAINER, "setting the policy")
    policy = services.projects.set_policy(project_id, body, user.id)
    gate = policy.gate.model_dump(mode="json", exclude_defaults=True)
    platform_invalidate(request, project_id)
    audit(request, services, "project.policy", target_type="project", target_id=project_id, details={"gate": gate})
    return PolicyOut(gate=gate, updated_by=policy.updated_by, updated_at=policy.updated_at)


@router.get("/{project_id}/history")
def history(
    project_id: ProjectId, user: CurrentUser, projects: ProjectsDep, limit: Limit = 50, offset: Offset = 0
) -> HistoryPage:
    """Every change to the project, newest first."""
    visible_project(project_id, user, projects)
    page = projects.history(project_id, limit=limit, offset=offset)
    items = [HistoryOut(id=h.id, at=h.at, actor_id=h.actor_id, action=h.action, detail=h.detail) for h in page.items]
    return HistoryPage(items=items, total=page.total, limit=limit, offset=offset)
