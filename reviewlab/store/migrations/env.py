"""Alembic environment: migrate the connection handed over by ``Store.migrate``, or the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from reviewlab.store import models  # noqa: F401  (registers every table on the metadata)
from reviewlab.store.base import Base, metadata_for
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.migrate import include_name, migration_connection


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` (inside its transaction when it has one)."""
    context.configure(
        connection=connection,
        target_metadata=metadata_for(Base.metadata, connection.dialect.name),
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_standalone() -> None:
    """The ``alembic`` command: migrate the database the settings name."""
    from reviewlab.settings import get_settings

    engine = create_engine(get_settings().sqlalchemy_url)
    try:
        with migration_connection(translated(engine)) as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("reviewlab migrations run online only (drop --sql)")

_connection = context.config.attributes.get("connection")
if isinstance(_connection, Connection):
    run_migrations(_connection)
else:
    run_standalone()
