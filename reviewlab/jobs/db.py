"""Transactions of the jobs package: short, on a schema-translated engine, failures as ``StoreError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.orm import Session

from reviewlab.store.connect import BEGIN_MODE_OPTION, read_connection, translated
from reviewlab.store.failures import store_errors


def prepared(engine: Engine) -> Engine:
    """``engine`` with the seed's schemas mapped (idempotent)."""
    if engine.get_execution_options().get("schema_translate_map") is not None:
        return engine
    return translated(engine)


@contextmanager
def writing(engine: Engine, action: str) -> Iterator[Connection]:
    """A connection in a write transaction (SQLite takes its write lock up front, so check-then-write is atomic)."""
    with store_errors(engine.url, action), engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine, action: str) -> Iterator[Connection]:
    """A connection for reads (no transaction of its own: see ``read_connection``)."""
    with store_errors(engine.url, action), read_connection(engine) as connection:
        yield connection


@contextmanager
def orm_writing(engine: Engine, action: str) -> Iterator[Session]:
    """An ORM session in a write transaction (see ``writing``), committed when the block ends."""
    with writing(engine, action) as connection, Session(bind=connection, expire_on_commit=False) as session:
        yield session
        session.flush()


def table_of(model: type[Any]) -> Table:
    """A mapped class's ``Table`` (typed as one, for Core statements)."""
    return cast(Table, model.__table__)
