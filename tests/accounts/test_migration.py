"""Migration 0006: upgrade and downgrade on SQLite and PostgreSQL, and the models agree with the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from reviewlab.accounts import Accounts, Role
from reviewlab.security.passwords import Argon2Parameters, Passwords
from reviewlab.store import migrate
from tests._services import unmigrated_engine

TABLES = {"users", "sessions", "session_tokens", "invitations", "password_resets"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An unmigrated database of this test's own."""
    yield from unmigrated_engine(request, tmp_path)


def _auth_tables(engine: Engine) -> set[str]:
    schema = "auth" if engine.dialect.name == "postgresql" else None
    return TABLES & set(inspect(engine).get_table_names(schema=schema))


def test_upgrade_matches_the_models_and_downgrade_removes_the_tables(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert migrate.schema_differences(engine) == []
    assert _auth_tables(engine) == TABLES
    Accounts(engine, passwords=Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))).create_user(
        "ada@example.org", "correct horse battery", Role.ADMIN
    )

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate.alembic_config(connection), "0005")

    assert migrate.current_revision(engine) == "0005"
    assert _auth_tables(engine) == set()
    if engine.dialect.name == "postgresql":
        assert "auth" not in inspect(engine).get_schema_names()
    migrate.upgrade(engine)
    assert _auth_tables(engine) == TABLES
    assert migrate.schema_differences(engine) == []
