"""Engines for the store: SQLite files with WAL, real transactions and foreign keys; PostgreSQL via psycopg 3."""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.exc import ArgumentError, DisconnectionError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, Pool

from reviewlab.errors import StoreError
from reviewlab.store.base import schema_translate_map

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# Connections kept open per process, and how many more a burst may open (closed again when returned to a full
# pool). With SQLAlchemy's 5 + 10 a loaded API (then on anyio's 40 threads) queued for connections and opened and
# closed one per request beyond the fifth, each a new PostgreSQL backend process.
POSTGRES_POOL_SIZE = 20
POSTGRES_MAX_OVERFLOW = 20
# A pooled PostgreSQL connection idle this long is pinged before use (a restarted server has dropped it); one
# in use within that time is not, which spared a round trip per repository call (four per analysis read).
POSTGRES_PING_AFTER_IDLE_SECONDS = 1.0
BEGIN_MODE_OPTION = "reviewlab_sqlite_begin"
"""Execution option naming the SQLite ``BEGIN`` mode for a connection's transactions (e.g. ``IMMEDIATE``)."""
READ_ONLY_OPTION = "reviewlab_read_only"  # a read_connection on SQLite: no BEGIN (see _on_sqlite_begin)
_CHECKED_IN = "reviewlab_checked_in"  # a pooled connection's info key: when it last went back to the pool


def describe_url(url: URL) -> str:
    """The URL as shown in messages: dialect, host, port and database; never the user or password."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{url.database or ''}"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{backend}://{host}{port}/{url.database or ''}"


def parse_url(url: str | URL) -> URL:
    """Parse a database URL; ``postgresql://`` means the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise StoreError(
            "invalid database URL (expected e.g. sqlite:////path/to/reviewlab.db or postgresql://user@host:5432/db)"
        ) from err
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine(url: str | URL) -> Engine:
    """An engine for ``url``, configured for the store (creates a SQLite file's parent directory)."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        if parsed.get_backend_name() == "postgresql":
            return _postgres_engine(parsed)
        return sa_create_engine(parsed, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as err:
        raise StoreError(f"cannot create a database engine for {describe_url(parsed)}: {err}") from err


def _postgres_engine(url: URL, **options: Any) -> Engine:
    connect_args: dict[str, Any] = {"application_name": "reviewlab"}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    engine = sa_create_engine(
        url, pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_MAX_OVERFLOW, connect_args=connect_args, **options
    )
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


_reads_lock = threading.Lock()
_read_pools: weakref.WeakKeyDictionary[Pool, Engine] = weakref.WeakKeyDictionary()
_read_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _root(engine: Engine) -> Engine:
    """The engine ``engine`` was derived from by ``execution_options`` (itself if none): the one disposed of."""
    while isinstance(parent := getattr(engine, "_proxied", None), Engine):
        engine = parent
    return engine


def _postgres_reads(engine: Engine) -> Engine:
    """The engine ``read_connection`` uses for ``engine`` on PostgreSQL: a pool of its own whose connections are
    in autocommit from the moment they connect, so no checkout switches a connection to autocommit and no
    return switches it back (Python work on every read, a tenth of a loaded API's time). ``engine``'s execution
    options (the schema translation) apply; disposing of ``engine`` disposes of it too."""
    found = _read_engines.get(engine)
    if found is not None:
        return found
    with _reads_lock:
        base = _read_pools.get(engine.pool)
        if base is None:
            base = _postgres_engine(engine.url, isolation_level="AUTOCOMMIT")
            _read_pools[engine.pool] = base
            event.listen(_root(engine), "engine_disposed", lambda _: base.dispose())
        options = engine.get_execution_options()
        found = base.execution_options(**options) if options else base
        _read_engines[engine] = found
        return found


def _note_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """Ping a connection idle for :data:`POSTGRES_PING_AFTER_IDLE_SECONDS` or more before handing it out.

    A dead one raises ``DisconnectionError``: the pool drops it and hands out a new connection instead. A
    connection that died while in recent use fails its statement; SQLAlchemy then sees the disconnect and
    invalidates every pooled connection of that age, so the next checkout connects afresh.
    """
    returned = record.info.get(_CHECKED_IN)
    if returned is None or time.monotonic() - returned < POSTGRES_PING_AFTER_IDLE_SECONDS:
        return  # just connected, or in use within the last moment
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception as err:  # any failure of the ping means a connection not to hand out
        raise DisconnectionError(f"pooled connection failed its ping: {err}") from err
    if not alive:
        raise DisconnectionError("pooled connection failed its ping")


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the directory of the database {describe_url(url)}: {err}") from err
    engine = sa_create_engine(url)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    """Hand transaction control to SQLAlchemy (so DDL is transactional) and turn on WAL and foreign keys."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    """Emit the ``BEGIN`` the sqlite3 module no longer emits; ``IMMEDIATE`` takes the write lock up front."""
    options = connection.get_execution_options()
    if options.get(READ_ONLY_OPTION):
        return  # a read_connection: each statement runs on its own (WAL gives it a snapshot), as on PostgreSQL
    mode = str(options.get(BEGIN_MODE_OPTION, "")).upper()
    if mode not in ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
        raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def translated(engine: Engine) -> Engine:
    """``engine`` with the seed's schemas mapped for its dialect (see ``base.schema_translate_map``)."""
    return engine.execution_options(schema_translate_map=schema_translate_map(engine.dialect.name))


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for one or a few reads that need no transaction of their own.

    On PostgreSQL it runs in autocommit: no ``BEGIN`` before the first statement and no ``ROLLBACK`` when it goes
    back to the pool, two of the three round trips a single-query read costs otherwise. With psycopg the
    connection comes from a second pool whose connections are in autocommit for good (``_postgres_reads``).
    On SQLite no ``BEGIN`` is emitted either (the driver is in autocommit already; the ``ROLLBACK`` on return is
    then a no-op). Each statement sees its own snapshot. Elsewhere it is a plain ``engine.connect()``.
    """
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        with _postgres_reads(engine).connect() as connection:
            yield connection
        return
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        elif connection.dialect.name == "sqlite":
            connection.execution_options(**{READ_ONLY_OPTION: True})
        yield connection
