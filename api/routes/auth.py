"""``/api/auth``: register, login, refresh, logout, me, CSRF tokens, invitations and password resets.

Sessions are cookie pairs (seed section 6.1): ``access_token`` (15 minutes) and ``refresh_token`` (7
days, path ``/api/auth``), both httpOnly, and ``csrf_token``, readable by the page, bound to the
session. Every attempt to sign in is audited; a failed one answers the same, in the same time,
whether or not the account exists.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import BackgroundTasks, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from api.auditing import LOGIN_PATH, audit, audit_refused_login
from api.deps import AdminUser, CurrentUser, PlatformDep, ServicesDep, drop_sessions
from api.middleware import session_of
from api.problems import ProblemError, problem_response
from api.routing import ApiRouter, WorkerThreadRoute
from reviewlab.accounts import Role, User
from reviewlab.accounts.errors import InvalidEmail
from reviewlab.accounts.repository import normalize_email
from reviewlab.mail import invitation_mail, password_reset_mail
from reviewlab.security import RefreshReuse, TokenError, TokenPair, logout, rotate, start_session
from reviewlab.security.cookies import ACCESS_COOKIE, REFRESH_COOKIE


class AuditedRoute(WorkerThreadRoute):
    """A route that also audits sign-in attempts refused for an invalid body (422): every attempt is recorded."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.path != LOGIN_PATH:
            return handler

        async def audited(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError:
                body = await request.body()  # read already by the validation: cached on the request
                await audit_refused_login(request.scope, HTTPStatus.UNPROCESSABLE_ENTITY, "invalid", body=body)
                raise

        return audited


router = ApiRouter(prefix="/api/auth", tags=["auth"], route_class=AuditedRoute)

EMAIL_FIELD = Field(min_length=3, max_length=320)
PASSWORD_FIELD = Field(min_length=1, max_length=1024)
TOKEN_FIELD = Field(min_length=16, max_length=256)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(Strict):
    email: str = EMAIL_FIELD
    password: str = PASSWORD_FIELD


class UserOut(BaseModel):
    id: str
    email: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            is_active=user.is_active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="also set as the csrf_token cookie; send it as X-CSRF-Token")


class CsrfOut(BaseModel):
    csrf_token: str


class InvitationIn(Strict):
    email: str = EMAIL_FIELD
    role: Role = Role.VIEWER


class InvitationOut(BaseModel):
    email: str
    role: Role
    sent: bool = True


class AcceptInvitation(Strict):
    token: str = TOKEN_FIELD
    password: str = PASSWORD_FIELD


class ResetRequest(Strict):
    email: str = EMAIL_FIELD


class ResetConfirm(Strict):
    token: str = TOKEN_FIELD
    password: str = PASSWORD_FIELD


def _set_session(response: Response, platform: PlatformDep, pair: TokenPair, family: str) -> str:
    csrf = platform.csrf.generate(family)
    response.set_cookie(**platform.cookies.access.set_args(pair.access))
    response.set_cookie(**platform.cookies.refresh.set_args(pair.refresh))
    response.set_cookie(**platform.cookies.csrf.set_args(csrf))
    return csrf


def _clear_session(response: Response, platform: PlatformDep) -> str:
    """Remove the session cookies and hand out an anonymous CSRF token for the next sign-in."""
    response.set_cookie(**platform.cookies.access.clear_args())
    response.set_cookie(**platform.cookies.refresh.clear_args())
    csrf = platform.csrf.generate()
    response.set_cookie(**platform.cookies.csrf.set_args(csrf))
    return csrf


@router.get("/csrf")
def csrf_token(request: Request, response: Response, platform: PlatformDep) -> CsrfOut:
    """A CSRF token for the caller's session (or for signing in), also set as the ``csrf_token`` cookie."""
    token = platform.csrf.generate(session_of(dict(request.cookies), platform.tokens))
    response.set_cookie(**platform.cookies.csrf.set_args(token))
    return CsrfOut(csrf_token=token)


@router.post("/register", status_code=HTTPStatus.CREATED)
def register(body: Credentials, request: Request, services: ServicesDep) -> UserOut:
    """A new account with the viewer role (an admin grants more); 409 when the email has an account."""
    user = services.accounts.create_user(body.email, body.password, Role.VIEWER)
    audit(request, services, "auth.register", actor=user.id, target_type="user", target_id=user.id)
    return UserOut.of(user)


@router.post("/login", responses={401: {"description": "wrong email or password"}})
def login(body: Credentials, request: Request, response: Response, platform: PlatformDep) -> SessionOut:
    """Sign in: sets the session cookies. Wrong email and wrong password answer alike, in the same time."""
    services = platform.services()
    user = services.accounts.authenticate(body.email, body.password)
    if user is None:
        platform.metrics.logins.labels(outcome="failed").inc()
        audit(request, services, "auth.login.failed", details={"email": _email_for_audit(body.email)})
        raise ProblemError(HTTPStatus.UNAUTHORIZED, "wrong email or password")
    pair = start_session(user.id, services.refresh, tokens=platform.tokens)
    family = platform.tokens.decode(pair.refresh, None).fam or ""
    csrf = _set_session(response, platform, pair, family)
    platform.metrics.logins.labels(outcome="ok").inc()
    audit(request, services, "auth.login", actor=user.id, target_type="user", target_id=user.id)
    return SessionOut(user=UserOut.of(user), csrf_token=csrf)


def _email_for_audit(email: str) -> str:
    try:
        return normalize_email(email)
    except InvalidEmail:
        return email[:320]


@router.post("/refresh", response_model=SessionOut)
def refresh(request: Request, response: Response, platform: PlatformDep) -> Any:
    """Exchange the refresh cookie for new tokens; a reused refresh token ends its whole session."""
    services = platform.services()
    token = request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise ProblemError(HTTPStatus.UNAUTHORIZED, "no refresh token: sign in")
    try:
        pair = rotate(token, services.refresh, tokens=platform.tokens)
    except RefreshReuse as err:
        family = platform.tokens.decode(token, None, check_lifetime=False).fam
        drop_sessions(platform, [family] if family else [])  # the family is revoked: its cached user too
        audit(request, services, "auth.refresh.reuse", details={"reason": str(err)})
        return _signed_out(platform, str(err))
    except TokenError as err:
        return _signed_out(platform, f"refresh refused: {err}")
    claims = platform.tokens.decode(pair.access, None)
    user = services.accounts.get_user(claims.sub)
    if user is None or not user.is_active:
        return _signed_out(platform, "the account is disabled")
    csrf = _set_session(response, platform, pair, claims.fam or "")
    audit(request, services, "auth.refresh", actor=user.id, target_type="session", target_id=claims.fam)
    return SessionOut(user=UserOut.of(user), csrf_token=csrf)


def _signed_out(platform: PlatformDep, detail: str) -> Response:
    """401 that also removes the session cookies (a refused refresh leaves nothing half-valid behind)."""
    answer = problem_response(HTTPStatus.UNAUTHORIZED, detail)
    _clear_session(answer, platform)
    return answer


@router.post("/logout", status_code=HTTPStatus.NO_CONTENT)
def sign_out(request: Request, response: Response, platform: PlatformDep) -> None:
    """End the session (its refresh family is revoked everywhere) and remove the cookies."""
    services = platform.services()
    token = request.cookies.get(REFRESH_COOKIE) or request.cookies.get(ACCESS_COOKIE)
    if token:
        try:
            family = logout(token, services.refresh, tokens=platform.tokens)
        except TokenError:
            family = None
        if family is not None:
            platform.caches.sessions.drop(family)
            claims = platform.tokens.decode(token, None, check_lifetime=False)
            audit(request, services, "auth.logout", actor=claims.sub, target_type="session", target_id=family)
    _clear_session(response, platform)
    response.status_code = HTTPStatus.NO_CONTENT


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    """The signed-in user."""
    return UserOut.of(user)


@router.post("/invitations", status_code=HTTPStatus.CREATED)
def invite(
    body: InvitationIn, request: Request, admin: AdminUser, platform: PlatformDep, background: BackgroundTasks
) -> InvitationOut:
    """Invite ``email`` with ``role`` (admin only): a single-use link goes out by mail, never in the answer."""
    services = platform.services()
    token = services.accounts.invite(body.email, body.role, by=admin.id)
    email = normalize_email(body.email)
    background.add_task(
        platform.mailer.send, invitation_mail(email, token, platform.settings.reviewlab_public_url, admin.email)
    )
    audit(request, services, "auth.invite", target_type="invitation", details={"email": email, "role": body.role.value})
    return InvitationOut(email=email, role=body.role)


@router.post("/invitations/accept", status_code=HTTPStatus.CREATED)
def accept_invitation(body: AcceptInvitation, request: Request, services: ServicesDep) -> UserOut:
    """Create the invited account with a password; an invitation works once and expires after 7 days."""
    user = services.accounts.accept_invitation(body.token, body.password)
    audit(request, services, "auth.invitation.accepted", actor=user.id, target_type="user", target_id=user.id)
    return UserOut.of(user)


@router.post("/password-reset", status_code=HTTPStatus.ACCEPTED)
def request_reset(
    body: ResetRequest, request: Request, platform: PlatformDep, background: BackgroundTasks
) -> dict[str, str]:
    """Mail a reset link if the account exists; the answer is the same either way."""
    services = platform.services()
    token = services.accounts.request_password_reset(body.email)
    if token is not None:
        email = normalize_email(body.email)
        ttl = services.accounts.reset_ttl
        background.add_task(
            platform.mailer.send, password_reset_mail(email, token, platform.settings.reviewlab_public_url, ttl)
        )
    audit(request, services, "auth.password_reset.requested", details={"email": _email_for_audit(body.email)})
    return {"status": "if the account exists, a reset link is on its way"}


@router.post("/password-reset/confirm", status_code=HTTPStatus.NO_CONTENT)
def confirm_reset(body: ResetConfirm, request: Request, platform: PlatformDep) -> None:
    """Set a new password with a reset token (single use, 1 hour); every session of the account ends."""
    services = platform.services()
    started = datetime.now(UTC)
    user = services.accounts.reset_password(body.token, body.password)
    drop_sessions(platform, services.accounts.open_sessions(user.id, since=started))  # the reset ended them
    audit(request, services, "auth.password_reset.done", actor=user.id, target_type="user", target_id=user.id)
