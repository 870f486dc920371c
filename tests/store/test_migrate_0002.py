"""Migration 0002 adds ``code_review_results.flow`` to a database that already holds reviews."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, insert, select

from reviewlab.store import Store
from reviewlab.store.connect import translated
from reviewlab.store.migrate import alembic_config, migration_connection, schema_differences, upgrade
from reviewlab.store.models import AnalysisSession, CodeReviewResult
from tests._services import DEFAULT_POSTGRES_URL, fresh_postgres_database
from tests.store.conftest import make_review
from tests.store.test_migrate import HEAD

OLD_SESSION = {
    "id": "old",
    "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    "started_at": datetime(2025, 1, 1, tzinfo=UTC),
    "status": "completed",
    "source_kind": "path",
    "root": "/src",
    "rule_pack_version": "v1",
    "files": 1,
    "lines": 10,
    "duration_seconds": 0.5,
    "findings_count": 1,
    "counts_by_severity": {},
    "counts_by_category": {},
    "diagnostics": [],
}
OLD_FINDING = {
    "rule_id": "PY-S012",
    "category": "security",
    "severity": "high",
    "confidence": "medium",
    "cwe": 22,
    "path": "app.py",
    "start_line": 10,
    "start_column": 12,
    "end_line": 10,
    "end_column": 22,
    "snippet": "return open(path).read()",
    "message": "`open` receives a path from flask request.args (line 8).",
    "fingerprint": "d" * 32,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of its own, never migrated, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        yield url


def test_upgrading_from_0001_keeps_old_findings_without_a_flow(empty_database: str) -> None:
    engine = translated(create_engine(empty_database))
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:  # a review saved by a release that knew only 0001
            connection.execute(insert(AnalysisSession.__table__).values(**OLD_SESSION))
            connection.execute(insert(CodeReviewResult.__table__).values(session_id="old", **OLD_FINDING))

        with Store(engine) as store:
            store.migrate()
            assert store.revision() == HEAD
            [finding] = store.findings("old")
            new_session = store.save_review(make_review(findings=1))
            [new_finding] = store.findings(new_session)

        assert finding.to_dict() == {**OLD_FINDING, "fix": None, "flow": [], "related": []}
        assert finding.flow == ()
        assert new_finding.flow == make_review(findings=1).findings[0].flow != ()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_downgrading_to_0001_drops_the_column_and_keeps_the_rows(empty_database: str) -> None:
    engine = translated(create_engine(empty_database))
    try:
        with Store(engine) as store:
            store.migrate()
            session_id = store.save_review(make_review(findings=2))
        with migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection), "0001")
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(CodeReviewResult.__table__)).scalar()
        assert count == 2

        with Store(engine) as store:
            store.migrate()
            assert [f.flow for f in store.findings(session_id)] == [(), ()]
    finally:
        engine.dispose()
