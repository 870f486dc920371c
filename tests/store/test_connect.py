"""``read_connection``: reads on PostgreSQL and SQLite without a transaction of their own (no BEGIN before
them, nothing to roll back after), and the pooled connection back to transactional use afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from reviewlab.store import connect
from reviewlab.store.connect import create_engine, read_connection, translated


@pytest.mark.integration
def test_postgres_reads_use_a_pool_in_autocommit_and_leave_the_writers_pool_alone(postgres_url: str) -> None:
    from psycopg.pq import TransactionStatus

    engine = create_engine(postgres_url)
    try:
        with read_connection(translated(engine)) as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.info.transaction_status is TransactionStatus.IDLE  # no BEGIN went to the server
        assert dbapi.autocommit is True  # for good: nothing to switch at checkout or to reset at return
        with read_connection(engine) as connection:  # the same pool, whatever the engine's execution options
            connection.execute(text("SELECT 1"))
            assert connection.connection.dbapi_connection is dbapi

        with engine.connect() as connection:  # the engine's own pool is transactional, and was not used for reads
            connection.execute(text("SELECT 1"))
            assert connection.connection.dbapi_connection is not dbapi
            assert connection.connection.dbapi_connection.info.transaction_status is TransactionStatus.INTRANS
    finally:
        engine.dispose()
    assert dbapi.closed  # disposing of the engine closes its read pool too


def test_sqlite_reads_open_no_transaction_and_writes_still_do(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        with read_connection(engine) as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            assert not dbapi.in_transaction  # no BEGIN was emitted
            assert connection.get_execution_options().get("isolation_level") is None
        with engine.connect() as connection:  # the same pooled connection, transactional again
            connection.execute(text("SELECT 1"))
            assert connection.connection.dbapi_connection is dbapi
            assert dbapi.in_transaction
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.rollback()  # DDL inside the transaction: rolled back
        with read_connection(engine) as connection:
            assert connection.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 't'")).scalar_one() == 0
    finally:
        engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with read_connection(engine) as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(postgres_url: str, pid: int) -> None:
    killer = create_engine(postgres_url)
    try:
        with killer.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            for _ in range(100):  # wait until the server has let it go
                gone = connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
                if gone.scalar_one() == 0:
                    break
                time.sleep(0.02)
            connection.commit()
    finally:
        killer.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.mark.integration
def test_a_postgres_connection_idle_a_while_is_pinged_and_replaced_when_dead(
    pg_engine: Engine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(pg_engine)
    monkeypatch.setattr(connect, "POSTGRES_PING_AFTER_IDLE_SECONDS", 0.0)  # every pooled connection is "idle"
    _terminate(postgres_url, first)  # as a server restart would
    second = _backend_pid(pg_engine)  # the ping found it dead: a new connection, and no error
    assert second != first


@pytest.mark.integration
def test_a_postgres_connection_in_recent_use_is_not_pinged_and_the_pool_recovers_after_one_failure(
    pg_engine: Engine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    real_ping = pg_engine.dialect.do_ping
    monkeypatch.setattr(pg_engine.dialect, "do_ping", lambda dbapi: pings.append(dbapi) or real_ping(dbapi))
    monkeypatch.setattr(connect, "POSTGRES_PING_AFTER_IDLE_SECONDS", 3600.0)
    first = _backend_pid(pg_engine)
    assert _backend_pid(pg_engine) == first
    assert pings == []  # in use a moment ago: no round trip spent on a ping
    _terminate(postgres_url, first)
    with pytest.raises(OperationalError) as failed:
        _backend_pid(pg_engine)
    assert failed.value.connection_invalidated
    assert _backend_pid(pg_engine) != first  # the pool let the dead connection go
