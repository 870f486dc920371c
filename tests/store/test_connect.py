"""``read_connection``: reads on PostgreSQL and SQLite without a transaction of their own (no BEGIN before
them, nothing to roll back after), and the pooled connection back to transactional use afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from reviewlab.store.connect import create_engine, read_connection


@pytest.mark.integration
def test_postgres_reads_open_no_transaction_and_leave_the_pool_transactional(postgres_url: str) -> None:
    from psycopg.pq import TransactionStatus

    engine = create_engine(postgres_url)
    try:
        with read_connection(engine) as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.info.transaction_status is TransactionStatus.IDLE  # no BEGIN went to the server
        assert dbapi.autocommit is False  # reset as it went back to the pool

        with engine.connect() as connection:  # the pooled connection, transactional again
            connection.execute(text("SELECT 1"))
            assert connection.connection.dbapi_connection is dbapi
            assert dbapi.info.transaction_status is TransactionStatus.INTRANS
    finally:
        engine.dispose()


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
