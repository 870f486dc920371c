"""What the projects library hands out: frozen records, pages, and what each project role may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from reviewlab.engine.config import GateConfig
from reviewlab.projects.errors import InvalidProject
from reviewlab.projects.models import ProjectRole, TriageStatus

T = TypeVar("T")

ROLE_RANK = {ProjectRole.VIEWER: 0, ProjectRole.REVIEWER: 1, ProjectRole.MAINTAINER: 2, ProjectRole.OWNER: 3}
"""Project roles from least to most privileged: each may do what the roles below it may."""


def project_role(role: ProjectRole | str) -> ProjectRole:
    """``role`` as a :class:`ProjectRole`; :class:`InvalidProject` if it is none."""
    try:
        return ProjectRole(role)
    except ValueError:
        known = ", ".join(member.value for member in ProjectRole)
        raise InvalidProject(f"unknown project role {role!r}; use one of {known}") from None


def at_least(role: ProjectRole | str | None, minimum: ProjectRole) -> bool:
    """Whether a member with ``role`` (None: not a member) may do what ``minimum`` may."""
    return role is not None and ROLE_RANK[ProjectRole(role)] >= ROLE_RANK[minimum]


def can_edit(role: ProjectRole | str | None) -> bool:
    """Owners and maintainers edit the project, its members and its policy."""
    return at_least(role, ProjectRole.MAINTAINER)


def can_triage(role: ProjectRole | str | None) -> bool:
    """Reviewers and above triage findings and start analyses."""
    return at_least(role, ProjectRole.REVIEWER)


def can_read(role: ProjectRole | str | None) -> bool:
    """Every member, viewers included, reads the project."""
    return at_least(role, ProjectRole.VIEWER)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list, with the length of the whole list."""

    items: tuple[T, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Project:
    """A project: a repository (git URL or local path) reviewed over time."""

    id: str
    name: str
    description: str | None
    repo_url: str | None
    default_branch: str
    owner_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A user's role in a project."""

    project_id: str
    user_id: str
    role: ProjectRole
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Version:
    """One reviewed snapshot of a project and the summary of its analysis session."""

    id: str
    project_id: str
    session_id: str
    ref: str | None
    commit: str | None
    created_at: datetime
    findings_count: int
    counts_by_severity: dict[str, int]
    gate_passed: bool | None


@dataclass(frozen=True, slots=True)
class Baseline:
    """The fingerprints of the findings a project accepts as existing."""

    project_id: str
    session_id: str
    fingerprints: tuple[str, ...]
    set_by: str | None
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Policy:
    """A project's quality gate."""

    project_id: str
    gate: GateConfig
    updated_by: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change to a project."""

    id: int
    project_id: str
    at: datetime
    actor_id: str | None
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TriageState:
    """The current triage of a finding in a scope."""

    scope: str
    fingerprint: str
    status: TriageStatus
    comment: str | None
    updated_by: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TriageEvent:
    """One triage decision on a finding."""

    id: int
    scope: str
    fingerprint: str
    status: TriageStatus
    comment: str | None
    actor_id: str | None
    at: datetime


def project_from(row: Any) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        description=row.description,
        repo_url=row.repo_url,
        default_branch=row.default_branch,
        owner_id=row.owner_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def member_from(row: Any) -> Member:
    return Member(project_id=row.project_id, user_id=row.user_id, role=ProjectRole(row.role), added_at=row.added_at)


def version_from(row: Any) -> Version:
    return Version(
        id=row.id,
        project_id=row.project_id,
        session_id=row.session_id,
        ref=row.ref,
        commit=row.commit,
        created_at=row.created_at,
        findings_count=row.findings_count,
        counts_by_severity=dict(row.counts_by_severity),
        gate_passed=row.gate_passed,
    )


def baseline_from(row: Any) -> Baseline:
    return Baseline(
        project_id=row.project_id,
        session_id=row.session_id,
        fingerprints=tuple(row.fingerprints),
        set_by=row.set_by,
        set_at=row.set_at,
    )


def policy_from(row: Any) -> Policy:
    return Policy(
        project_id=row.project_id,
        gate=GateConfig.model_validate(row.gate),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def history_from(row: Any) -> HistoryEntry:
    return HistoryEntry(
        id=row.id, project_id=row.project_id, at=row.at, actor_id=row.actor_id, action=row.action, detail=row.detail
    )


def triage_state_from(row: Any) -> TriageState:
    return TriageState(
        scope=row.scope,
        fingerprint=row.fingerprint,
        status=TriageStatus(row.status),
        comment=row.comment,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def triage_event_from(row: Any) -> TriageEvent:
    return TriageEvent(
        id=row.id,
        scope=row.scope,
        fingerprint=row.fingerprint,
        status=TriageStatus(row.status),
        comment=row.comment,
        actor_id=row.actor_id,
        at=row.at,
    )
