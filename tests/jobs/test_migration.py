"""Migration 0009: CLI reviews survive the upgrade; the downgrade drops the job tables and columns."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from reviewlab.jobs.service import Analyses
from reviewlab.store import Store
from reviewlab.store.migrate import alembic_config, migration_connection, upgrade
from reviewlab.store.models import SessionStatus
from tests.jobs.conftest import RecordingQueue
from tests.store.conftest import make_review


def _schema(engine: Engine) -> str | None:
    return "production" if engine.dialect.name == "postgresql" else None


def test_downgrade_and_upgrade_keep_cli_reviews(engine: Engine) -> None:
    from reviewlab.jobs.events import MemoryNotifier

    saved = Store(engine).save_review(make_review(findings=2))
    analyses = Analyses(engine, MemoryNotifier(), RecordingQueue())
    queued = analyses.submit({"kind": "snippet", "code": "x = 1\n", "language": "python"}, owner_id="u1")
    with migration_connection(engine) as connection:
        command.downgrade(alembic_config(connection), "0008")
    try:
        tables = set(inspect(engine).get_table_names(schema=_schema(engine)))
        assert not {"analysis_events", "artifacts"} & tables
        columns = {c["name"] for c in inspect(engine).get_columns("analysis_sessions", schema=_schema(engine))}
        assert "owner_id" not in columns
        assert "last_seq" not in columns
    finally:
        upgrade(engine)

    assert len(Store(engine).findings(saved)) == 2
    assert analyses.get(queued).status is SessionStatus.FAILED  # a queued job could not survive the downgrade
    old = analyses.get(saved)
    assert (old.status, old.owner_id, old.attempts, old.last_seq) == (SessionStatus.COMPLETED, None, 0, 0)
