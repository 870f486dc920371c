"""Migration 0012 adds ``event_dead_letters`` beside the webhook tables, unique per (group, event), and drops it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from reviewlab.store.connect import translated
from reviewlab.store.migrate import alembic_config, migration_connection, upgrade
from tests.store.test_migrate_0002 import empty_database

__all__ = ["empty_database"]  # the fixture, shared with the 0002 tests


def test_0012_adds_the_dead_letters_beside_the_webhooks_and_downgrades(empty_database: str) -> None:
    engine = translated(create_engine(empty_database))
    schema = "production" if engine.dialect.name == "postgresql" else None
    try:
        upgrade(engine)
        tables = inspect(engine).get_table_names(schema=schema)
        assert {"webhook_deliveries", "event_dead_letters"} <= set(tables)
        [unique] = inspect(engine).get_unique_constraints("event_dead_letters", schema=schema)
        assert unique["column_names"] == ["consumer_group", "event_id"]

        with migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection), "0011")

        tables = inspect(engine).get_table_names(schema=schema)
        assert "event_dead_letters" not in tables
        assert "webhook_deliveries" in tables
    finally:
        engine.dispose()
