"""Tests of the accounts, and the database fixture they share: migrated SQLite, or the test PostgreSQL emptied."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated

AUTH_TABLES = ("password_resets", "invitations", "session_tokens", "sessions", "users")


def migrated_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: a fresh SQLite file, or the session's PostgreSQL with ``auth`` emptied."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    else:
        engine = create_engine(request.getfixturevalue("postgres_url"))
    try:
        migrate.upgrade(translated(engine))
        if request.param == "postgres":
            with engine.begin() as connection:
                for table in AUTH_TABLES:
                    connection.execute(text(f"DELETE FROM auth.{table}"))  # noqa: S608  (fixed table names)
        yield translated(engine)
    finally:
        engine.dispose()


class Now:
    """A UTC clock that moves only when a test says so."""

    def __init__(self, now: datetime = datetime(2027, 1, 1, 12, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
