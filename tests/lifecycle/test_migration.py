"""Migration 0010: upgrade and downgrade on SQLite and PostgreSQL, and the models agree with the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from reviewlab.store import migrate
from tests._services import unmigrated_engine

EXPERIMENTS = {"experiments", "datasets", "evaluations", "promotions", "blacklist", "transitions"}
QUARANTINE = {"records", "re_evaluation"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An unmigrated database of this test's own."""
    yield from unmigrated_engine(request, tmp_path)


def _tables(engine: Engine) -> tuple[set[str], set[str]]:
    inspector = inspect(engine)
    if engine.dialect.name == "postgresql":
        return set(inspector.get_table_names("experiments_v1")), set(inspector.get_table_names("quarantine"))
    names = set(inspector.get_table_names())
    return EXPERIMENTS & names, QUARANTINE & names


def _session_columns(engine: Engine) -> set[str]:
    schema = "production" if engine.dialect.name == "postgresql" else None
    return {column["name"] for column in inspect(engine).get_columns("analysis_sessions", schema=schema)}


def test_upgrade_creates_both_schemas_and_downgrade_removes_them(engine: Engine) -> None:
    with migrate.migration_connection(engine) as connection:
        command.upgrade(migrate.alembic_config(connection), "0010")
    assert migrate.current_revision(engine) == "0010"
    assert _tables(engine) == (EXPERIMENTS, QUARANTINE)
    assert {"configuration", "ai_status"} <= _session_columns(engine)
    if engine.dialect.name == "postgresql":
        assert {"experiments_v1", "quarantine"} <= set(inspect(engine).get_schema_names())

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate.alembic_config(connection), "0009")

    assert migrate.current_revision(engine) == "0009"
    assert _tables(engine) == (set(), set())
    assert not {"configuration", "ai_status"} & _session_columns(engine)
    if engine.dialect.name == "postgresql":
        assert not {"experiments_v1", "quarantine"} & set(inspect(engine).get_schema_names())
    migrate.upgrade(engine)
    assert migrate.schema_differences(engine) == []
