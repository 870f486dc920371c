"""The ``auth`` schema: users, sessions (refresh-token families and their tokens), invitations, password resets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reviewlab.store.base import Base, UtcDateTime


class Role(StrEnum):
    """What a user may do, from most to least privileged."""

    ADMIN = "admin"
    REVIEWER = "reviewer"
    EXPERIMENTER = "experimenter"
    VIEWER = "viewer"


ROLE_CHECK = "role IN ('admin', 'reviewer', 'experimenter', 'viewer')"


class UserRow(Base):
    """An account; ``email`` is stored lower-cased, so its uniqueness is case-insensitive."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"), {"schema": "auth"})

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SessionRow(Base):
    """A session: one refresh-token family. ``user_id`` is None for a family revoked before it was ever recorded."""

    __tablename__ = "sessions"
    __table_args__ = ({"schema": "auth"},)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("auth.users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class SessionTokenRow(Base):
    """One refresh token of a session; ``used_at`` is set once, when it is rotated."""

    __tablename__ = "session_tokens"
    __table_args__ = ({"schema": "auth"},)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("auth.sessions.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class InvitationRow(Base):
    """An invitation to register ``email`` with ``role``; only the sha256 of its token is kept."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"), {"schema": "auth"})

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("auth.users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PasswordResetRow(Base):
    """A password reset for ``user_id``; only the sha256 of its token is kept."""

    __tablename__ = "password_resets"
    __table_args__ = ({"schema": "auth"},)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth.users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
