"""``Accounts``: create and authenticate users, invitations, password resets, roles and deactivation.

Invitation and reset tokens are ``secrets.token_urlsafe(32)`` (256 bits) handed to the caller once; the
database keeps only their sha256, so a leaked table grants nothing. A token is looked up by its hash and the
hash compared again in constant time. Spending one is a conditional ``UPDATE ... WHERE accepted_at/used_at IS
NULL AND expires_at > now`` checked by row count, so it is single use under concurrency too.

Each change, once committed, publishes ``user.changed`` (``reviewlab.events.hooks``, never failing the change):
``created``, ``invitation_accepted``, ``password_reset``, ``role_changed``, ``deactivated``, ``reactivated``. A
call that changes nothing (the same role, an account already disabled) publishes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from reviewlab.accounts.errors import EmailTaken, InvalidEmail, TokenRejected, UnknownUser
from reviewlab.accounts.models import InvitationRow, PasswordResetRow, Role, UserRow
from reviewlab.accounts.sessions import SESSIONS, revoke_user_sessions, write_transaction
from reviewlab.events import hooks
from reviewlab.security.passwords import Passwords, default_passwords, validate_password
from reviewlab.store.connect import translated
from reviewlab.store.failures import store_errors

USERS = cast(Table, UserRow.__table__)
INVITATIONS = cast(Table, InvitationRow.__table__)
RESETS = cast(Table, PasswordResetRow.__table__)

DEFAULT_INVITATION_TTL = timedelta(days=7)
DEFAULT_RESET_TTL = timedelta(hours=1)
MAX_EMAIL_LENGTH = 320
TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class User:
    """An account as the library hands it out: never with its password hash."""

    id: str
    email: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


def normalize_email(email: str) -> str:
    """``email`` trimmed and lower-cased, the form stored and compared; :class:`InvalidEmail` if it is none."""
    normalized = email.strip().lower()
    local, at, domain = normalized.rpartition("@")
    if not at or not local or not domain or len(normalized) > MAX_EMAIL_LENGTH or any(c.isspace() for c in normalized):
        raise InvalidEmail("not an email address")
    return normalized


def token_hash(token: str) -> str:
    """The sha256 (hex) under which an invitation or reset token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        is_active=row.is_active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Accounts:
    """Users and their invitations and password resets in the ``auth`` schema; database failures are ``StoreError``."""

    def __init__(
        self,
        engine: Engine,
        *,
        passwords: Passwords | None = None,
        clock: Callable[[], datetime] = _utc_now,
        invitation_ttl: timedelta = DEFAULT_INVITATION_TTL,
        reset_ttl: timedelta = DEFAULT_RESET_TTL,
    ) -> None:
        self._engine = translated(engine)
        self._passwords = passwords if passwords is not None else default_passwords()
        self._clock = clock
        self._invitation_ttl = invitation_ttl
        self._reset_ttl = reset_ttl

    @property
    def reset_ttl(self) -> timedelta:
        """How long a password reset token stays valid."""
        return self._reset_ttl

    def create_user(
        self, email: str, password: str, role: Role | str = Role.VIEWER, *, actor: str | None = None
    ) -> User:
        """A new active account; :class:`EmailTaken` if the email (case-insensitively) has one already.

        Publishes ``user.changed`` (``created``) by ``actor``, or by the new account itself (a registration).
        """
        email, role = normalize_email(email), Role(role)
        validate_password(password)
        password_hash = self._passwords.hash(password)
        with store_errors(self._engine.url, "creating a user"), write_transaction(self._engine) as connection:
            user = self._insert_user(connection, email, password_hash, role)
        hooks.user_changed(user, "created", actor=actor or user.id)
        return user

    def authenticate(self, email: str, password: str) -> User | None:
        """The active account of ``email`` if ``password`` is its password, else None, in the same time either way.

        A hash made with outdated parameters is replaced by one with the current parameters.
        """
        try:
            normalized = normalize_email(email)
        except InvalidEmail:
            normalized = None
        row = None
        if normalized is not None:
            with store_errors(self._engine.url, "reading a user"), self._engine.connect() as connection:
                row = connection.execute(select(USERS).where(USERS.c.email == normalized)).first()
        check = self._passwords.check(None if row is None else row.password_hash, password)
        if row is None or not check.ok or not row.is_active:
            return None
        values: dict[str, Any] = {"last_login_at": self._clock()}
        if check.new_hash is not None:
            values["password_hash"] = check.new_hash
        with store_errors(self._engine.url, "recording a login"), write_transaction(self._engine) as connection:
            connection.execute(update(USERS).where(USERS.c.id == row.id).values(**values))
            return self._get(connection, row.id)

    def invite(self, email: str, role: Role | str, by: str | None) -> str:
        """A single-use token inviting ``email`` to join as ``role``, sent by user ``by``; only its hash is kept."""
        email, role = normalize_email(email), Role(role)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        with store_errors(self._engine.url, "inviting a user"), write_transaction(self._engine) as connection:
            if connection.execute(select(USERS.c.id).where(USERS.c.email == email)).first() is not None:
                raise EmailTaken("an account with this email already exists")
            connection.execute(
                insert(INVITATIONS).values(
                    id=str(uuid.uuid4()),
                    token_hash=token_hash(token),
                    email=email,
                    role=role.value,
                    invited_by=by,
                    created_at=now,
                    expires_at=now + self._invitation_ttl,
                    accepted_at=None,
                )
            )
        return token

    def accept_invitation(self, token: str, password: str) -> User:
        """The account an unused, unexpired invitation grants, with ``password``; :class:`TokenRejected` otherwise."""
        validate_password(password)
        password_hash = self._passwords.hash(password)
        now = self._clock()
        with store_errors(self._engine.url, "accepting an invitation"), write_transaction(self._engine) as connection:
            invitation = self._spend(connection, INVITATIONS, INVITATIONS.c.accepted_at, token, now, "invitation")
            user = self._insert_user(connection, invitation.email, password_hash, Role(invitation.role))
        hooks.user_changed(user, "invitation_accepted", actor=user.id, invited_by=invitation.invited_by)
        return user

    def request_password_reset(self, email: str) -> str | None:
        """A single-use reset token for the active account of ``email``, or None when there is none.

        Both paths draw and hash a token; only the known one stores it, so the difference is one small insert.
        Deliver the token out of band (mail) and answer the requester the same way in both cases.
        """
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest = token_hash(token)
        try:
            normalized = normalize_email(email)
        except InvalidEmail:
            return None
        now = self._clock()
        with (
            store_errors(self._engine.url, "requesting a password reset"),
            write_transaction(self._engine) as connection,
        ):
            row = connection.execute(
                select(USERS.c.id).where(USERS.c.email == normalized, USERS.c.is_active.is_(True))
            ).first()
            if row is None:
                return None
            connection.execute(
                insert(RESETS).values(
                    id=str(uuid.uuid4()),
                    token_hash=digest,
                    user_id=row.id,
                    created_at=now,
                    expires_at=now + self._reset_ttl,
                    used_at=None,
                )
            )
        return token

    def reset_password(self, token: str, new_password: str) -> User:
        """Set a new password with an unused, unexpired reset token; every session and other reset of the user ends."""
        validate_password(new_password)
        password_hash = self._passwords.hash(new_password)
        now = self._clock()
        with store_errors(self._engine.url, "resetting a password"), write_transaction(self._engine) as connection:
            reset = self._spend(connection, RESETS, RESETS.c.used_at, token, now, "password reset")
            connection.execute(update(USERS).where(USERS.c.id == reset.user_id).values(password_hash=password_hash))
            connection.execute(
                update(RESETS).where(RESETS.c.user_id == reset.user_id, RESETS.c.used_at.is_(None)).values(used_at=now)
            )
            revoke_user_sessions(connection, reset.user_id, now=now, reason="password reset")
            user = self._get(connection, reset.user_id)
        hooks.user_changed(user, "password_reset", actor=user.id)
        return user

    def get_user(self, user_id: str) -> User | None:
        """The account with ``user_id``, or None."""
        with store_errors(self._engine.url, "reading a user"), self._engine.connect() as connection:
            row = connection.execute(select(USERS).where(USERS.c.id == user_id)).first()
        return None if row is None else _user(row)

    def list_users(self, limit: int = 50, offset: int = 0) -> list[User]:
        """A page of accounts, oldest first."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        query = select(USERS).order_by(USERS.c.created_at, USERS.c.id).limit(limit).offset(offset)
        with store_errors(self._engine.url, "listing users"), self._engine.connect() as connection:
            return [_user(row) for row in connection.execute(query)]

    def count_users(self) -> int:
        """How many accounts there are (for pagination)."""
        with store_errors(self._engine.url, "counting users"), self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(USERS)).scalar_one())

    def ensure_admin(self, email: str, password: str) -> User | None:
        """Create the admin account ``email`` when no active admin exists; the new account, or None if there is one.

        Concurrent first starts are safe: the email's uniqueness lets one of them create it.
        """
        with store_errors(self._engine.url, "looking for an admin"), self._engine.connect() as connection:
            found = connection.execute(
                select(USERS.c.id).where(USERS.c.role == Role.ADMIN.value, USERS.c.is_active.is_(True)).limit(1)
            ).first()
        if found is not None:
            return None
        try:
            return self.create_user(email, password, Role.ADMIN)
        except EmailTaken:
            existing = self._by_email(normalize_email(email))
            if existing is not None and existing.role is Role.ADMIN and existing.is_active:
                return None
            raise

    def set_active(self, user_id: str, active: bool, *, actor: str | None = None) -> User:
        """Enable or disable ``user_id`` (by ``actor``); disabling revokes every session of it."""
        if not active:
            return self.deactivate(user_id, actor=actor)
        with store_errors(self._engine.url, "activating a user"), write_transaction(self._engine) as connection:
            was_active = self._get(connection, user_id).is_active
            connection.execute(update(USERS).where(USERS.c.id == user_id).values(is_active=True))
            user = self._get(connection, user_id)
        if not was_active:
            hooks.user_changed(user, "reactivated", actor=actor)
        return user

    def open_sessions(self, user_id: str, *, since: datetime | None = None) -> list[str]:
        """The ids of the user's sessions not revoked, or also those revoked at or after ``since`` (to drop
        what caches hold for sessions that just ended)."""
        live: Any = SESSIONS.c.revoked_at.is_(None)
        if since is not None:
            live = live | (SESSIONS.c.revoked_at >= since)
        query = select(SESSIONS.c.id).where(SESSIONS.c.user_id == user_id, live)
        with store_errors(self._engine.url, "listing sessions"), self._engine.connect() as connection:
            return [row.id for row in connection.execute(query)]

    def _by_email(self, email: str) -> User | None:
        with store_errors(self._engine.url, "reading a user"), self._engine.connect() as connection:
            row = connection.execute(select(USERS).where(USERS.c.email == email)).first()
        return None if row is None else _user(row)

    def set_role(self, user_id: str, role: Role | str, *, actor: str | None = None) -> User:
        """Give ``user_id`` the ``role`` (by ``actor``); :class:`UnknownUser` if there is no such account."""
        role = Role(role)
        with store_errors(self._engine.url, "changing a role"), write_transaction(self._engine) as connection:
            previous = self._get(connection, user_id).role
            connection.execute(update(USERS).where(USERS.c.id == user_id).values(role=role.value))
            user = self._get(connection, user_id)
        if previous is not role:
            hooks.user_changed(user, "role_changed", actor=actor, previous_role=previous.value)
        return user

    def deactivate(self, user_id: str, *, actor: str | None = None) -> User:
        """Disable ``user_id`` (by ``actor``): no more logins, and every session of it is revoked."""
        with store_errors(self._engine.url, "deactivating a user"), write_transaction(self._engine) as connection:
            was_active = self._get(connection, user_id).is_active
            connection.execute(update(USERS).where(USERS.c.id == user_id).values(is_active=False))
            user = self._get(connection, user_id)
            revoke_user_sessions(connection, user_id, now=self._clock(), reason="account deactivated")
        if was_active:
            hooks.user_changed(user, "deactivated", actor=actor)
        return user

    def _insert_user(self, connection: Connection, email: str, password_hash: str, role: Role) -> User:
        user_id = str(uuid.uuid4())
        if connection.execute(select(USERS.c.id).where(USERS.c.email == email)).first() is not None:
            raise EmailTaken("an account with this email already exists")
        try:
            with connection.begin_nested():
                connection.execute(
                    insert(USERS).values(
                        id=user_id,
                        email=email,
                        password_hash=password_hash,
                        role=role.value,
                        is_active=True,
                        created_at=self._clock(),
                        last_login_at=None,
                    )
                )
        except IntegrityError as err:  # a concurrent registration of the same email won
            raise EmailTaken("an account with this email already exists") from err
        return self._get(connection, user_id)

    def _get(self, connection: Connection, user_id: str) -> User:
        row = connection.execute(select(USERS).where(USERS.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(f"no user with id {user_id!r}")
        return _user(row)

    def _spend(self, connection: Connection, table: Any, spent: Any, token: str, now: datetime, kind: str) -> Any:
        """Mark the row of ``token`` spent if unspent and unexpired, and return it; else :class:`TokenRejected`."""
        digest = token_hash(token)
        row = connection.execute(select(table).where(table.c.token_hash == digest)).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            raise TokenRejected(f"unknown {kind} token")
        marked = connection.execute(
            update(table).where(table.c.id == row.id, spent.is_(None), table.c.expires_at > now).values({spent: now})
        )
        if marked.rowcount != 1:
            reason = "expired" if row.expires_at <= now else "already used"
            raise TokenRejected(f"{kind} token {reason}")
        return row
