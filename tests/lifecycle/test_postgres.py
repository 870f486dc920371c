"""The cycle on the real PostgreSQL: the experiments_v1 and quarantine schemas, JSONB evidence, the audit chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from reviewlab.audit import AuditLog
from reviewlab.lifecycle.lab import lifecycle_for
from reviewlab.lifecycle.policy import Policy
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from tests._services import DEFAULT_POSTGRES_URL, fresh_postgres_database
from tests.lifecycle.support import NOTHING, SECURITY_ONLY, STATIC_DEFAULT, lab_directory, small_dataset

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Engine]:
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        engine = create_engine(url)
        migrate.upgrade(translated(engine))
        yield engine
        engine.dispose()


def test_promotion_quarantine_and_history_on_postgres(postgres: Engine, tmp_path: Path, mlflow_uri: str) -> None:
    settings = Settings(
        reviewlab_home=tmp_path / "home",
        mlflow_tracking_uri=mlflow_uri,
        reviewlab_experiments_dir=lab_directory(tmp_path),
    )
    lifecycle = lifecycle_for(postgres, settings, policy=Policy())
    dataset = small_dataset()
    lifecycle.register([NOTHING, STATIC_DEFAULT, SECURITY_ONLY])
    lifecycle.record_dataset(dataset, "in memory")

    lifecycle.promote("nothing", dataset, actor="alice")
    decision = lifecycle.promote("static-default", dataset, actor="alice")
    refused = lifecycle.promote("security-only", dataset, actor="alice")
    record = lifecycle.quarantine("static-default", reason="latency spike in the EU region", actor="alice")

    assert decision is not None
    assert decision.passed
    assert refused is not None
    assert not refused.passed
    assert record.restored == "nothing"
    assert lifecycle.production() is not None
    assert lifecycle.production().name == "nothing"  # type: ignore[union-attr]
    with postgres.connect() as connection:
        stages = dict(connection.execute(text("SELECT name, stage FROM experiments_v1.experiments")).all())
        kinds = connection.execute(
            text("SELECT jsonb_typeof(evidence) FROM experiments_v1.promotions WHERE decision = 'refused'")
        ).scalar_one()
        reason = connection.execute(text("SELECT reason FROM quarantine.records")).scalar_one()
    assert stages == {"nothing": "production", "static-default": "quarantined", "security-only": "experimental"}
    assert kinds == "object"
    assert reason == "latency spike in the EU region"
    assert [t.to_stage for t in lifecycle.history("static-default")] == ["quarantined", "production", "experimental"]
    assert [d["version"] for d in lifecycle.datasets()] == [dataset.version]
    log = AuditLog(postgres)
    assert log.verify().ok
    assert {e.action for e in log.query(action_prefix="lifecycle.")} >= {
        "lifecycle.register",
        "lifecycle.evaluate",
        "lifecycle.promotion.promoted",
        "lifecycle.promotion.refused",
        "lifecycle.quarantine",
    }
