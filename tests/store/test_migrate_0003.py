"""Migration 0003 adds related locations, file metrics, architecture and gate to a database holding reviews."""

from __future__ import annotations

from dataclasses import replace

from alembic import command
from sqlalchemy import create_engine, func, insert, inspect, select

from reviewlab.engine.metrics import file_metrics
from reviewlab.store import Store
from reviewlab.store.connect import translated
from reviewlab.store.migrate import alembic_config, migration_connection, schema_differences, upgrade
from reviewlab.store.models import AnalysisSession, CodeReviewResult
from tests.store.conftest import make_review
from tests.store.test_migrate import HEAD
from tests.store.test_migrate_0002 import OLD_FINDING, OLD_SESSION, empty_database

__all__ = ["empty_database"]  # the fixture, shared with the 0002 tests


def test_upgrading_from_0002_keeps_old_reviews_without_metrics_or_related(empty_database: str) -> None:
    engine = translated(create_engine(empty_database))
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:  # a review saved by a release that knew only 0002
            connection.execute(insert(AnalysisSession.__table__).values(**OLD_SESSION))
            old = CodeReviewResult.__table__
            connection.execute(insert(old).values(session_id="old", flow=None, **OLD_FINDING))

        with Store(engine) as store:
            store.migrate()
            assert store.revision() == HEAD
            [finding] = store.findings("old")
            assert finding.related == ()
            assert store.file_metrics("old") == {}
            assert store.review_reports("old") == (None, None)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_downgrading_to_0002_drops_metrics_and_keeps_the_findings(empty_database: str) -> None:
    engine = translated(create_engine(empty_database))
    try:
        review = make_review(findings=2)
        review.files[0] = replace(review.files[0], metrics=file_metrics(b"x = 1\n", "python").to_dict())
        review.gate = {"passed": True, "conditions": []}
        with Store(engine) as store:
            store.migrate()
            session_id = store.save_review(review)
        with migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection), "0002")
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(CodeReviewResult.__table__)).scalar()
            sessions = connection.execute(select(func.count()).select_from(AnalysisSession.__table__)).scalar()
        assert (count, sessions) == (2, 1)
        schema = "production" if engine.dialect.name == "postgresql" else None
        assert inspect(engine).has_table("file_metrics", schema=schema) is False  # gone with the revision

        with Store(engine) as store:
            store.migrate()
            assert len(store.findings(session_id)) == 2
            assert store.review_reports(session_id) == (None, None)
    finally:
        engine.dispose()
