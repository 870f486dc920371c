"""Run the packaged Alembic migrations programmatically, one migrator at a time per database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import OperationalError

from reviewlab.store import models  # noqa: F401  (registers every table on the metadata)
from reviewlab.store.base import SCHEMAS, Base, metadata_for
from reviewlab.store.connect import BEGIN_MODE_OPTION

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
SQLITE_LOCKED_RETRY_SECONDS = 30.0
POSTGRES_LOCK_KEY = 0x7265766965776C62
"""``pg_advisory_xact_lock`` key serialising migrations ("reviewlb" in ASCII)."""


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    """Autogenerate looks at the default schema and the seed's schemas, never at other applications' schemas."""
    if type_ == "schema":
        return name is None or name in SCHEMAS
    return True


def alembic_config(connection: Connection | None = None) -> Config:
    """The packaged Alembic configuration, optionally bound to an open connection."""
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the database's migration lock until it commits."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Rebuilding a table (batch migrations) drops the old one: with foreign keys on, that would cascade
            # to its children's rows. The pragma only takes effect outside a transaction.
            _foreign_keys(connection, on=False)
            connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(POSTGRES_LOCK_KEY)))
                yield connection
        finally:
            if sqlite:
                _foreign_keys(connection, on=True)


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    """Turn SQLite's foreign key enforcement on or off, on the driver's connection (outside any transaction:
    the engine emits ``BEGIN`` for every SQLAlchemy transaction, and the pragma is ignored inside one)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    finally:
        cursor.close()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``; a no-op when it is already there."""
    deadline = time.monotonic() + SQLITE_LOCKED_RETRY_SECONDS
    delay = 0.02
    while True:
        try:
            with migration_connection(engine) as connection:
                command.upgrade(alembic_config(connection), revision)
            return
        except OperationalError as err:
            # SQLite answers "database is locked" without waiting in a few cases the busy timeout does not
            # cover (switching a new file to WAL, WAL recovery) when several processes start on it at once.
            if engine.dialect.name != "sqlite" or "locked" not in str(err) or time.monotonic() > deadline:
                raise
            engine.dispose()
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_schemas": True, "include_name": include_name, "compare_type": True}
        )
        return list(compare_metadata(context, metadata_for(Base.metadata, connection.dialect.name)))
