"""Migration 0008: upgrade and downgrade on SQLite and PostgreSQL, and the models agree with the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from reviewlab.providerstore import ProviderStore
from reviewlab.store import migrate
from tests._services import unmigrated_engine
from tests.providerstore import new_user, secret_box

TABLES = {"providers", "user_keys", "health", "quotas", "usage", "review_usage"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An unmigrated database of this test's own."""
    yield from unmigrated_engine(request, tmp_path)


def _provider_tables(engine: Engine) -> set[str]:
    schema = "providers" if engine.dialect.name == "postgresql" else None
    return TABLES & set(inspect(engine).get_table_names(schema=schema))


def test_upgrade_matches_the_models_and_downgrade_removes_the_tables(engine: Engine) -> None:
    with migrate.migration_connection(engine) as connection:
        command.upgrade(migrate.alembic_config(connection), "0008")
    assert migrate.current_revision(engine) == "0008"
    assert _provider_tables(engine) == TABLES
    store = ProviderStore(engine, secret_box())
    store.set_key(new_user(engine), "openai", "sk-0123456789abcdefghijklmnop")
    assert len(store.providers()) == 4

    with migrate.migration_connection(engine) as connection:
        command.downgrade(migrate.alembic_config(connection), "0007")

    assert migrate.current_revision(engine) == "0007"
    assert _provider_tables(engine) == set()
    if engine.dialect.name == "postgresql":
        assert "providers" not in inspect(engine).get_schema_names()
    migrate.upgrade(engine)
    assert _provider_tables(engine) == TABLES
    assert migrate.schema_differences(engine) == []
