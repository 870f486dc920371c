"""Migrations: idempotent, concurrent-safe, and in step with the models on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from reviewlab.errors import StoreError
from reviewlab.settings import get_settings
from reviewlab.store import Store, open_store
from reviewlab.store.connect import translated
from reviewlab.store.migrate import alembic_config, schema_differences

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        return schema_differences(translated(engine))
    finally:
        engine.dispose()


def test_there_is_one_head() -> None:
    assert HEAD == "0012"


def test_a_new_store_is_unmigrated(tmp_path: Path) -> None:
    with Store.from_url(f"sqlite:///{tmp_path / 'new.db'}") as store:
        assert store.revision() is None


def test_migrate_is_idempotent(sqlite_store: Store) -> None:
    assert sqlite_store.revision() == HEAD

    sqlite_store.migrate()
    sqlite_store.migrate()

    assert sqlite_store.revision() == HEAD


def test_open_store_migrates_the_sqlite_file_under_reviewlab_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWLAB_HOME", str(tmp_path / "not" / "yet" / "there"))
    settings = get_settings()

    with open_store(settings) as store:
        assert store.revision() == HEAD

    assert (settings.reviewlab_home / "reviewlab.db").is_file()


def test_a_database_from_a_newer_release_is_a_store_error(sqlite_store: Store) -> None:
    engine = create_engine(sqlite_store.url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    finally:
        engine.dispose()

    with pytest.raises(StoreError, match=r"cannot migrate the database at sqlite:///.*newer reviewlab.*'ffff'"):
        sqlite_store.migrate()


def test_sqlite_uses_wal(sqlite_store: Store) -> None:
    engine = create_engine(sqlite_store.url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


MIGRATE_WHEN_TOLD = """
import sys, time
from pathlib import Path
from reviewlab.store import Store

url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.001)
with Store.from_url(url) as store:
    store.migrate()
"""


@pytest.mark.slow
def test_concurrent_migrations_on_one_sqlite_file_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared' / 'reviewlab.db'}"
    go = tmp_path / "go"
    readies = [tmp_path / f"ready-{i}" for i in range(3)]
    processes = [
        subprocess.Popen([sys.executable, "-c", MIGRATE_WHEN_TOLD, url, str(ready), str(go)], stderr=subprocess.PIPE)
        for ready in readies
    ]
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready in readies) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # release them together
    errors = [p.communicate(timeout=120)[1].decode() for p in processes]

    assert [p.returncode for p in processes] == [0, 0, 0], errors
    with Store.from_url(url) as store:
        assert store.revision() == HEAD


def test_sqlite_schema_matches_the_models(sqlite_store: Store) -> None:
    assert _differences(sqlite_store.url.render_as_string(hide_password=False)) == []


@pytest.mark.integration
def test_postgres_schema_matches_the_models(postgres_url: str) -> None:
    with Store.from_url(postgres_url) as store:
        store.migrate()
        assert store.revision() == HEAD

    assert _differences(postgres_url) == []


@pytest.mark.integration
def test_migrate_creates_the_production_schema_on_postgres(postgres_url: str) -> None:
    with Store.from_url(postgres_url) as store:
        store.migrate()
        store.migrate()

    engine = create_engine(postgres_url)
    try:
        assert "production" in inspect(engine).get_schema_names()
        assert set(inspect(engine).get_table_names(schema="production")) >= {
            "analysis_sessions",
            "code_review_results",
        }
        with engine.connect() as connection:
            cascade = connection.execute(
                text(
                    "SELECT confdeltype FROM pg_constraint "
                    "WHERE conname = 'fk_code_review_results_session_id_analysis_sessions'"
                )
            ).scalar()
        assert cascade == "c"
    finally:
        engine.dispose()


def test_rebuilding_tables_on_sqlite_keeps_the_child_rows(tmp_path: Path) -> None:
    """Batch migrations rebuild a table by dropping it; with foreign keys on that would cascade to its findings."""
    from alembic import command

    from reviewlab.engine.pipeline import review_snippet
    from reviewlab.store import migrate

    with Store.from_url(f"sqlite:///{tmp_path / 'fk.db'}") as store:
        store.migrate()
        session_id = store.save_review(review_snippet("eval(input())\n", "python"), "snippet")
        engine = store._engine
        with migrate.migration_connection(engine) as connection:
            command.downgrade(migrate.alembic_config(connection), "0002")
        migrate.upgrade(engine)

        assert len(store.findings(session_id)) == 1
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on for the pool
