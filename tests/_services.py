"""Test services (PostgreSQL, Redis): reach them, or fail under CI and skip elsewhere."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    import redis

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def must_fail(environ: Mapping[str, str]) -> bool:
    """Missing services fail the run under CI (``CI=true``) and skip the test elsewhere."""
    return environ.get("CI") == "true"


def unavailable(service: str, where: str, reason: object, environ: Mapping[str, str] = os.environ) -> NoReturn:
    """Fail (under CI) or skip (elsewhere) because ``service`` cannot be reached."""
    if must_fail(environ):
        pytest.fail(f"{service} is not reachable at {where} and CI=true, so integration tests fail: {reason}")
    pytest.skip(f"{service} is not reachable at {where} (integration tests skip outside CI=true): {reason}")


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create ``reviewlab_test_<hex>`` on the server of ``admin_url``, yield its URL, then drop it."""
    url = make_url(admin_url)
    where = url.render_as_string(hide_password=True)
    name = f"reviewlab_test_{secrets.token_hex(6)}"
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    except (SQLAlchemyError, ImportError) as err:
        unavailable("PostgreSQL", where, err)
    try:
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except SQLAlchemyError as err:
            unavailable("PostgreSQL", where, err)
        yield url.set(database=name).render_as_string(hide_password=False)
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def worker_redis_url(url: str, environ: Mapping[str, str] = os.environ) -> str:
    """``url`` moved to a Redis database of this xdist worker's own (14 for gw0, 13 for gw1, ...).

    Tests that flush a whole database use it, so they never wipe the namespaced keys that other tests
    keep in the shared database of ``url`` while running in parallel.
    """
    worker = environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    parts = urlsplit(url)
    shared = parts.path.strip("/") or "0"
    candidates = [db for db in range(14, -1, -1) if str(db) != shared]
    if index >= len(candidates):
        raise RuntimeError(f"no Redis database left for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{candidates[index]}"))


@contextmanager
def flushed_redis(url: str) -> Iterator[str]:
    """Yield ``url`` with its database flushed before and after."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        try:
            client.ping()
        except redis.RedisError as err:
            unavailable("Redis", url, err)
        client.flushdb()
        yield url
        client.flushdb()
    finally:
        client.close()


def redis_url_of(client: redis.Redis) -> str:
    """The URL of the database ``client`` talks to (for settings that take a ``REDIS_URL``)."""
    where = client.connection_pool.connection_kwargs
    return f"redis://{where.get('host', '127.0.0.1')}:{where.get('port', 6379)}/{where.get('db', 0)}"


@contextmanager
def redis_namespace() -> Iterator[tuple[redis.Redis, str]]:
    """The test Redis and a key prefix of this test's own; its keys are deleted afterwards.

    Unreachable Redis fails under CI=true and skips elsewhere (``tests._services``). The database is not
    flushed, so tests running in parallel do not wipe each other's keys.
    """
    import redis

    url = os.environ.get("REVIEWLAB_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    prefix = f"reviewlab-test:{secrets.token_hex(6)}:"
    try:
        try:
            client.ping()
        except redis.RedisError as err:
            unavailable("Redis", url, err)
        yield client, prefix
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def unmigrated_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """For a fixture parametrised "sqlite"/"postgres": an unmigrated database of the test's own (a SQLite file
    under ``tmp_path``, or a fresh PostgreSQL database), schema-translated as the store uses it."""
    from reviewlab.store.connect import create_engine as store_engine
    from reviewlab.store.connect import translated

    if request.param == "sqlite":
        sqlite = store_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield translated(sqlite)
        sqlite.dispose()
        return
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        postgres = store_engine(url)
        yield translated(postgres)
        postgres.dispose()
