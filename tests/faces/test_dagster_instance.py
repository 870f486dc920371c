"""The Dagster instance follows reviewlab's settings: SQLite under the instance, or PostgreSQL (dagster-postgres)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.scans import LocalReviewConfig, local_review
from pipelines.instance import (
    POSTGRES_URL_ENV,
    dagster_environment,
    dagster_postgres_url,
    default_home,
    prepare_dagster_home,
)
from pipelines.resources import ReviewlabStore
from reviewlab.settings import Settings
from tests._services import DEFAULT_POSTGRES_URL, fresh_postgres_database


def test_embedded_default_is_sqlite_under_the_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(reviewlab_home=tmp_path / "home")
    home = prepare_dagster_home(settings)
    assert home == default_home(settings) == tmp_path / "home" / "dagster"
    assert yaml.safe_load((home / "dagster.yaml").read_text()) == {"telemetry": {"enabled": False}}
    for name, value in dagster_environment(settings, home).items():
        monkeypatch.setenv(name, value)

    with dg.DagsterInstance.get() as instance:
        assert instance.telemetry_enabled is False
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.schedule_storage).__name__ == "SqliteScheduleStorage"


def test_the_postgres_url_loses_its_driver_and_never_lands_in_the_file(tmp_path: Path) -> None:
    settings = Settings(reviewlab_home=tmp_path, database_url="postgresql+psycopg://u:secret@db:5432/x")

    home = prepare_dagster_home(settings, tmp_path / "dagster", create_schema=False)

    expected = "postgresql+psycopg2://u:secret@db:5432/x?options=-csearch_path%3Ddagster"
    assert dagster_postgres_url(settings) == expected
    assert dagster_environment(settings, home)[POSTGRES_URL_ENV] == expected
    assert "secret" not in (home / "dagster.yaml").read_text()
    assert dagster_postgres_url(Settings(reviewlab_home=tmp_path, database_url="sqlite:///x.db")) is None


@pytest.mark.integration
def test_runs_events_and_schedules_go_to_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vulnerable_project: Path
) -> None:
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        settings = Settings(reviewlab_home=tmp_path / "home", database_url=url)
        home = prepare_dagster_home(settings)
        for name, value in dagster_environment(settings, home).items():
            monkeypatch.setenv(name, value)

        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
            result = dg.materialize(
                [local_review],
                instance=instance,
                resources={"store": ReviewlabStore(home=str(settings.reviewlab_home), database_url=url)},
                run_config=dg.RunConfig({"local_review": LocalReviewConfig(path=str(vulnerable_project), jobs=1)}),
            )
            assert result.success
            [run] = instance.get_runs()
            assert run.run_id == result.run_id
            assert instance.get_latest_materialization_event(dg.AssetKey("local_review")) is not None
        assert not list(home.glob("history/runs*.db"))  # nothing went to SQLite
        from sqlalchemy import create_engine, inspect

        engine = create_engine(url)
        try:
            assert "runs" in inspect(engine).get_table_names(schema="dagster")
            assert "runs" not in inspect(engine).get_table_names(schema="public")
        finally:
            engine.dispose()


def test_shell_output_exports_the_instance_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``make run`` evaluates this to start the Dagster webserver and daemon on the platform's instance."""
    from pipelines.instance import main

    monkeypatch.setenv("REVIEWLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    from reviewlab.settings import get_settings

    get_settings.cache_clear()

    assert main(["--shell"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert f"export DAGSTER_HOME={tmp_path / 'home' / 'dagster'}" in lines
    assert "export DAGSTER_DISABLE_TELEMETRY=1" in lines
    assert (tmp_path / "home" / "dagster" / "dagster.yaml").is_file()
