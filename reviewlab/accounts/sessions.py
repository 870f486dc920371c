"""``SqlRefreshStore``: the refresh families of :mod:`reviewlab.security.refresh` in ``auth.sessions``.

A family is a row of ``auth.sessions``, each refresh token of it a row of ``auth.session_tokens``.
:meth:`SqlRefreshStore.mark_used` is one conditional ``UPDATE ... WHERE used_at IS NULL`` (and the family not
revoked) checked by its row count, so of two concurrent rotations of one token exactly one wins, on PostgreSQL
as on SQLite. Writes on SQLite take the write lock up front (``BEGIN IMMEDIATE``) so they queue on the busy
timeout instead of failing on a stale snapshot; this needs an engine from
``reviewlab.store.connect.create_engine``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Engine, Table, and_, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from reviewlab.accounts.models import SessionRow, SessionTokenRow
from reviewlab.security.refresh import UseResult
from reviewlab.store.connect import BEGIN_MODE_OPTION, translated
from reviewlab.store.failures import store_errors

SESSIONS = cast(Table, SessionRow.__table__)
TOKENS = cast(Table, SessionTokenRow.__table__)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class SqlRefreshStore:
    """A :class:`~reviewlab.security.refresh.RefreshStore` in the database; safe across threads and processes."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = translated(engine)
        self._clock = clock

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        with store_errors(self._engine.url, action), write_transaction(self._engine) as connection:
            yield connection

    def _retrying(self, action: str, body: Callable[[Connection], None]) -> None:
        """Run ``body`` in a write transaction, once more if a concurrent insert of the same family beat it."""
        with store_errors(self._engine.url, action):
            try:
                with write_transaction(self._engine) as connection:
                    body(connection)
            except IntegrityError:
                with write_transaction(self._engine) as connection:
                    body(connection)

    def record(self, family: str, jti: str, *, user_id: str, expires_at: float) -> None:
        now = _at(self._clock())

        def body(connection: Connection) -> None:
            owner = connection.execute(select(SESSIONS.c.user_id).where(SESSIONS.c.id == family)).first()
            if owner is None:
                connection.execute(insert(SESSIONS).values(id=family, user_id=user_id, created_at=now))
            elif owner.user_id is None:  # revoked before it was recorded: it still gets its owner
                connection.execute(update(SESSIONS).where(SESSIONS.c.id == family).values(user_id=user_id))
            connection.execute(
                insert(TOKENS).values(
                    jti=jti, family_id=family, issued_at=now, used_at=None, expires_at=_at(expires_at)
                )
            )

        self._retrying("recording a refresh token", body)

    def mark_used(self, family: str, jti: str) -> UseResult:
        now = _at(self._clock())
        revoked = exists().where(and_(SESSIONS.c.id == family, SESSIONS.c.revoked_at.is_not(None)))
        with self._write("marking a refresh token used") as connection:
            marked = connection.execute(
                update(TOKENS)
                .where(TOKENS.c.jti == jti, TOKENS.c.family_id == family, TOKENS.c.used_at.is_(None), ~revoked)
                .values(used_at=now)
            )
            if marked.rowcount == 1:
                return UseResult.FRESH
            if connection.execute(select(revoked)).scalar():
                return UseResult.REVOKED
            token = connection.execute(
                select(TOKENS.c.jti).where(TOKENS.c.jti == jti, TOKENS.c.family_id == family)
            ).first()
            return UseResult.UNKNOWN if token is None else UseResult.REUSED

    def revoke_family(self, family: str, *, reason: str = "revoked") -> None:
        now = _at(self._clock())

        def body(connection: Connection) -> None:
            found = connection.execute(select(SESSIONS.c.id).where(SESSIONS.c.id == family)).first()
            if found is None:  # revoked before it was recorded: no token of it may ever rotate
                connection.execute(
                    insert(SESSIONS).values(
                        id=family, user_id=None, created_at=now, revoked_at=now, revoked_reason=reason
                    )
                )
            else:
                connection.execute(
                    update(SESSIONS)
                    .where(SESSIONS.c.id == family, SESSIONS.c.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=reason)
                )

        self._retrying("revoking a session", body)

    def revoke_user(self, user_id: str, *, reason: str = "user revoked") -> None:
        with self._write("revoking a user's sessions") as connection:
            revoke_user_sessions(connection, user_id, now=_at(self._clock()), reason=reason)

    def is_revoked(self, family: str) -> bool:
        with store_errors(self._engine.url, "reading a session"), self._engine.connect() as connection:
            revoked_at = connection.execute(select(SESSIONS.c.revoked_at).where(SESSIONS.c.id == family)).first()
        return revoked_at is not None and revoked_at[0] is not None

    def purge_expired(self, now: float) -> int:
        """Forget tokens past their expiry (their reuse can no longer be detected, nor succeed); how many."""
        with self._write("purging expired refresh tokens") as connection:
            return connection.execute(delete(TOKENS).where(TOKENS.c.expires_at <= _at(now))).rowcount


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: on SQLite it holds the write lock from ``BEGIN`` (waiting on the busy timeout)."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
        with connection.begin():
            yield connection


def revoke_user_sessions(connection: Connection, user_id: str, *, now: datetime, reason: str) -> int:
    """Revoke every open session of ``user_id`` inside the caller's transaction; how many were open."""
    result = connection.execute(
        update(SESSIONS)
        .where(SESSIONS.c.user_id == user_id, SESSIONS.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return result.rowcount
