"""Migration 0007: upgrade and downgrade on SQLite and PostgreSQL, and the models agree with the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Constraint, Engine, Index, Table, inspect

from reviewlab.projects import Projects
from reviewlab.store import migrate
from tests._services import unmigrated_engine
from tests.projects import PROJECT_TABLES, add_user

TABLES = set(PROJECT_TABLES)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An unmigrated database of this test's own."""
    yield from unmigrated_engine(request, tmp_path)


def _project_tables(engine: Engine) -> set[str]:
    schema = "projects" if engine.dialect.name == "postgresql" else None
    return TABLES & set(inspect(engine).get_table_names(schema=schema))


def _table_of(difference: Any) -> str:
    """The table an autogenerate difference concerns (later revisions' tables are not this test's business)."""
    if isinstance(difference, list):  # column modifications come grouped
        difference = difference[0]
    subject = difference[1]
    if isinstance(subject, Table):
        return str(subject.name)
    if isinstance(subject, Index | Constraint):
        return str(subject.table.name)
    return str(difference[2])  # ("add_column", schema, table, column) and the like


def _differences(engine: Engine) -> list[Any]:
    return [difference for difference in migrate.schema_differences(engine) if _table_of(difference) in TABLES]


def test_upgrade_matches_the_models_and_downgrade_removes_the_tables(engine: Engine) -> None:
    migrate.upgrade(engine, "0007")
    assert migrate.current_revision(engine) == "0007"
    assert _differences(engine) == []
    assert _project_tables(engine) == TABLES
    Projects(engine).create(add_user(engine, "ada"), "api")

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate.alembic_config(connection), "0006")

    assert migrate.current_revision(engine) == "0006"
    assert _project_tables(engine) == set()
    if engine.dialect.name == "postgresql":
        assert "projects" not in inspect(engine).get_schema_names()
    migrate.upgrade(engine, "0007")
    assert _project_tables(engine) == TABLES
    assert _differences(engine) == []
