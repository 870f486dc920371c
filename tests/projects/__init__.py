"""Tests of the projects, and what they share: a migrated database with the ``projects`` schema emptied, users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text

from reviewlab.accounts.models import UserRow
from tests.accounts import migrated_engine

PROJECT_TABLES = ("triage_events", "triage", "history", "policies", "baselines", "versions", "members", "projects")


def projects_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: a fresh SQLite file, or the session's PostgreSQL with ``auth`` and ``projects`` emptied."""
    for engine in migrated_engine(request, tmp_path):
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                for table in PROJECT_TABLES:
                    connection.execute(text(f"DELETE FROM projects.{table}"))  # noqa: S608  (fixed table names)
        yield engine


def add_user(engine: Engine, name: str) -> str:
    """The id of a new account ``name@example.org`` (inserted directly: hashing passwords is not under test)."""
    user_id = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(
            insert(UserRow).values(
                id=user_id,
                email=f"{name}@example.org",
                password_hash="not-a-hash",
                role="reviewer",
                is_active=True,
                created_at=datetime(2027, 1, 1, tzinfo=UTC),
                last_login_at=None,
            )
        )
    return user_id
