"""The ``projects`` schema: projects, their members, reviewed versions, baselines, policies, history and triage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime, json_type


class ProjectRole(StrEnum):
    """What a member may do in one project, from most to least privileged."""

    OWNER = "owner"
    MAINTAINER = "maintainer"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class TriageStatus(StrEnum):
    """A person's verdict on a finding, kept across reviews by its fingerprint."""

    OPEN = "open"
    ACCEPTED = "accepted"
    FALSE_POSITIVE = "false_positive"
    FIXED = "fixed"


MEMBER_ROLE_CHECK = "role IN ('owner', 'maintainer', 'reviewer', 'viewer')"
TRIAGE_STATUS_CHECK = "status IN ('open', 'accepted', 'false_positive', 'fixed')"
SCHEMA = {"schema": "projects"}
PROJECT_ID = "projects.projects.id"
USER_ID = "auth.users.id"


class ProjectRow(Base):
    """A project: a named repository (git URL or local path) reviewed over time; names are unique per owner."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("owner_id", "name"), SCHEMA)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    repo_url: Mapped[str | None] = mapped_column(String(2048))
    default_branch: Mapped[str] = mapped_column(String(255))
    owner_id: Mapped[str] = mapped_column(ForeignKey(USER_ID, ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MemberRow(Base):
    """A user's role in a project; the creator is an owner."""

    __tablename__ = "members"
    __table_args__ = (CheckConstraint(MEMBER_ROLE_CHECK, name="role"), SCHEMA)

    project_id: Mapped[str] = mapped_column(ForeignKey(PROJECT_ID, ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey(USER_ID, ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class VersionRow(Base):
    """One reviewed snapshot of a project: the analysis session (``production.analysis_sessions``) and its summary."""

    __tablename__ = "versions"
    __table_args__ = (SCHEMA,)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey(PROJECT_ID, ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(36))  # no FK: sessions are pruned on their own schedule
    ref: Mapped[str | None] = mapped_column(String(255))
    commit: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    findings_count: Mapped[int] = mapped_column(Integer)
    counts_by_severity: Mapped[dict[str, int]] = mapped_column(json_type())
    gate_passed: Mapped[bool | None] = mapped_column(Boolean)


class BaselineRow(Base):
    """The findings a project accepts as existing: later reviews report only what is new against them."""

    __tablename__ = "baselines"
    __table_args__ = (SCHEMA,)

    project_id: Mapped[str] = mapped_column(ForeignKey(PROJECT_ID, ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(36))
    fingerprints: Mapped[list[str]] = mapped_column(json_type())
    set_by: Mapped[str | None] = mapped_column(ForeignKey(USER_ID, ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PolicyRow(Base):
    """A project's quality gate: the options of :class:`reviewlab.engine.config.GateConfig`."""

    __tablename__ = "policies"
    __table_args__ = (SCHEMA,)

    project_id: Mapped[str] = mapped_column(ForeignKey(PROJECT_ID, ondelete="CASCADE"), primary_key=True)
    gate: Mapped[dict[str, Any]] = mapped_column(json_type())
    updated_by: Mapped[str | None] = mapped_column(ForeignKey(USER_ID, ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HistoryRow(Base):
    """One change to a project, for its activity feed."""

    __tablename__ = "history"
    __table_args__ = (SCHEMA,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey(PROJECT_ID, ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[str | None] = mapped_column(ForeignKey(USER_ID, ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(json_type())


class TriageRow(Base):
    """The current triage of a finding in a scope (``project:<id>`` or ``user:<id>``), by fingerprint."""

    __tablename__ = "triage"
    __table_args__ = (CheckConstraint(TRIAGE_STATUS_CHECK, name="status"), SCHEMA)

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(String(2000))
    updated_by: Mapped[str | None] = mapped_column(ForeignKey(USER_ID, ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TriageEventRow(Base):
    """One triage decision, kept so a finding's triage has a history."""

    __tablename__ = "triage_events"
    __table_args__ = (
        CheckConstraint(TRIAGE_STATUS_CHECK, name="status"),
        Index("ix_triage_events_scope_fingerprint", "scope", "fingerprint"),
        SCHEMA,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(80))
    fingerprint: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(String(2000))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey(USER_ID, ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
