"""Migration 0005: upgrade and downgrade on SQLite and PostgreSQL, and the models agree with the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from reviewlab.audit import AuditLog
from reviewlab.store import migrate
from tests._services import unmigrated_engine
from tests.store.test_migrate import HEAD


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An unmigrated database of this test's own."""
    yield from unmigrated_engine(request, tmp_path)


def _downgrade(engine: Engine, revision: str) -> None:
    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate.alembic_config(connection), revision)


def _has_audit_log(engine: Engine) -> bool:
    schema = "audits" if engine.dialect.name == "postgresql" else None
    return "audit_log" in inspect(engine).get_table_names(schema=schema)


def test_upgrade_matches_the_models_and_downgrade_removes_the_log(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == HEAD
    assert migrate.schema_differences(engine) == []
    with AuditLog(engine, clock=lambda: datetime(2025, 3, 1, tzinfo=UTC)) as log:
        log.append("project.created")  # on PostgreSQL this creates a partition the downgrade must drop
    assert migrate.schema_differences(engine) == []

    _downgrade(engine, "0004")

    assert migrate.current_revision(engine) == "0004"
    assert not _has_audit_log(engine)
    if engine.dialect.name == "postgresql":
        assert not {"audits", "audits_partitions"} & set(inspect(engine).get_schema_names())
    migrate.upgrade(engine)
    assert _has_audit_log(engine)
    with AuditLog(engine) as log:
        assert log.verify().rows_checked == 0
