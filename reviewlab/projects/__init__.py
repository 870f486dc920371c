"""Projects in the ``projects`` schema: members and roles, reviewed versions, baselines, policies, history, triage."""

from __future__ import annotations

from reviewlab.projects.errors import (
    AlreadyMember,
    InvalidPolicy,
    InvalidProject,
    InvalidTriage,
    LastOwner,
    NameTaken,
    ProjectError,
    UnknownMember,
    UnknownProject,
)
from reviewlab.projects.models import ProjectRole, TriageStatus
from reviewlab.projects.records import (
    Baseline,
    HistoryEntry,
    Member,
    Page,
    Policy,
    Project,
    TriageEvent,
    TriageState,
    Version,
    at_least,
    can_edit,
    can_read,
    can_triage,
)
from reviewlab.projects.repository import Projects
from reviewlab.projects.triage import project_scope, user_scope

__all__ = [
    "AlreadyMember",
    "Baseline",
    "HistoryEntry",
    "InvalidPolicy",
    "InvalidProject",
    "InvalidTriage",
    "LastOwner",
    "Member",
    "NameTaken",
    "Page",
    "Policy",
    "Project",
    "ProjectError",
    "ProjectRole",
    "Projects",
    "TriageEvent",
    "TriageState",
    "TriageStatus",
    "UnknownMember",
    "UnknownProject",
    "Version",
    "at_least",
    "can_edit",
    "can_read",
    "can_triage",
    "project_scope",
    "user_scope",
]
