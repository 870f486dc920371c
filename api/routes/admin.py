"""``/api/admin`` (admin role): users and roles, the audit log and its chain verification."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auditing import audit
from api.deps import AdminUser, PlatformDep, ServicesDep, drop_sessions
from api.problems import ProblemError
from api.routes.auth import UserOut
from api.routing import ApiRouter, WorkerThreadRoute
from reviewlab.accounts import Role, UnknownUser

router = ApiRouter(prefix="/api/admin", tags=["admin"], route_class=WorkerThreadRoute)


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None


class AuditOut(BaseModel):
    id: int
    occurred_at: datetime
    actor: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditOut]
    limit: int
    offset: int


class VerifyOut(BaseModel):
    ok: bool
    rows_checked: int
    head_id: int | None
    head_hash: str | None
    problem: str | None = None
    row_id: int | None = None
    message: str | None = None


Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/users")
def list_users(_: AdminUser, services: ServicesDep, limit: Limit = 50, offset: Offset = 0) -> UserPage:
    """Every account, oldest first."""
    users = services.accounts.list_users(limit=limit, offset=offset)
    return UserPage(
        items=[UserOut.of(u) for u in users], total=services.accounts.count_users(), limit=limit, offset=offset
    )


@router.patch("/users/{user_id}")
def change_user(
    user_id: Annotated[str, Field(max_length=64)],
    body: UserChange,
    request: Request,
    admin: AdminUser,
    platform: PlatformDep,
) -> UserOut:
    """Change a user's role or enable/disable the account (disabling ends its sessions)."""
    services = platform.services()
    if services.accounts.get_user(user_id) is None:
        raise UnknownUser(f"no user {user_id}")
    if user_id == admin.id and (body.role not in (None, Role.ADMIN) or body.is_active is False):
        raise ProblemError(HTTPStatus.CONFLICT, "an admin cannot demote or disable their own account")
    sessions = services.accounts.open_sessions(user_id)  # before disabling ends them
    user = services.accounts.get_user(user_id)
    if body.role is not None:
        user = services.accounts.set_role(user_id, body.role, actor=admin.id)
    if body.is_active is not None:
        user = services.accounts.set_active(user_id, body.is_active, actor=admin.id)
    drop_sessions(platform, sessions)  # their cached users carry the old role or activity
    audit(
        request,
        services,
        "admin.user.changed",
        target_type="user",
        target_id=user_id,
        details=body.model_dump(mode="json", exclude_none=True),
    )
    assert user is not None  # noqa: S101 - checked above
    return UserOut.of(user)


@router.get("/audit")
def audit_log(
    _: AdminUser,
    services: ServicesDep,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=128, description="an action prefix, e.g. 'auth.'")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> AuditPage:
    """Audit events, newest first, filtered by actor, action prefix and time."""
    since, until = _utc(since), _utc(until)
    rows = services.audit.query(actor=actor, action_prefix=action, since=since, until=until, limit=limit, offset=offset)
    return AuditPage(items=[AuditOut.model_validate(r, from_attributes=True) for r in rows], limit=limit, offset=offset)


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC (the log's own zone)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@router.get("/audit/verify")
def verify_audit(
    _: AdminUser,
    services: ServicesDep,
    expected_head: Annotated[str | None, Query(max_length=128)] = None,
) -> VerifyOut:
    """Walk the whole hash chain: any edited, deleted or reordered row is reported (and a cut tail, given the head)."""
    result = services.audit.verify(expected_head=expected_head)
    return VerifyOut(
        ok=result.ok,
        rows_checked=result.rows_checked,
        head_id=result.head_id,
        head_hash=result.head_hash,
        problem=None if result.problem is None else str(result.problem),
        row_id=result.row_id,
        message=result.message or None,
    )
