"""The Dagster face: the definitions load, the asset graph does not drift, a scan really runs and stores."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.scans import DEFAULT_PROJECT, LocalReviewConfig, local_review
from pipelines.definitions import defs
from pipelines.resources import ReviewlabStore
from reviewlab.settings import Settings
from reviewlab.store import open_store
from tests.faces.conftest import REPO_ROOT


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)

    job = defs.resolve_job_def("scan_local")

    assert job.asset_layer.executable_asset_keys == {dg.AssetKey("local_review")}


def test_asset_graph_snapshot() -> None:
    # The whole graph (deps, partitions, checks) is snapshotted in test_dagster_scans.py.
    specs = defs.resolve_all_asset_specs()

    assert {spec.key.to_user_string(): spec.group_name for spec in specs} == {
        "local_review": "local",
        "repo_snapshot": "scans",
        "source_inventory": "scans",
        "static_findings": "scans",
        "code_metrics": "scans",
        "architecture_graph": "scans",
        "ai_review": "scans",
        "review_report": "scans",
        "warehouse_scans": "warehouse",
        "warehouse_compaction": "warehouse",
        "evaluation_dataset": "lifecycle",
        "candidate_evaluations": "lifecycle",
        "promotion_decision": "lifecycle",
        "production_monitoring": "lifecycle",
        "quarantine_sweep": "lifecycle",
        "re_evaluation": "lifecycle",
    }
    assert all(spec.description and "\n" not in spec.description for spec in specs)
    assert {job.name for job in defs.jobs or []} == {
        "scan_local",
        "scan_repositories",
        "check_freshness",
        "compact_warehouse",
        "lifecycle",
        "production_watch",
    }


def test_local_review_materializes_and_stores_the_session(vulnerable_project: Path, settings: Settings) -> None:
    result = dg.materialize(
        [local_review],
        resources={"store": ReviewlabStore(home=str(settings.reviewlab_home))},
        run_config=dg.RunConfig({"local_review": LocalReviewConfig(path=str(vulnerable_project), jobs=1)}),
    )

    assert result.success
    [materialization] = result.asset_materializations_for_node("local_review")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    session_id = metadata.pop("session_id")
    assert metadata.pop("duration_seconds") >= 0
    assert metadata.pop("rule_pack_version")
    assert metadata == {
        "root": str(vulnerable_project.resolve()),
        "files": 1,
        "lines": 2,
        "findings": 1,
        "findings_critical": 0,
        "findings_high": 1,
        "findings_medium": 0,
        "findings_low": 0,
        "findings_info": 0,
        "diagnostics": 0,
    }
    with open_store(settings) as store:
        [session] = store.list_sessions(limit=5)
        [finding] = store.findings(session_id)
    assert session.id == session_id
    assert (finding.rule_id, finding.span.start_line) == ("PY-S001", 2)


def test_local_review_fails_the_run_for_a_missing_path(tmp_path: Path, settings: Settings) -> None:
    result = dg.materialize(
        [local_review],
        resources={"store": ReviewlabStore(home=str(settings.reviewlab_home))},
        run_config=dg.RunConfig({"local_review": LocalReviewConfig(path=str(tmp_path / "missing"), jobs=1)}),
        raise_on_error=False,
    )

    assert not result.success
    with open_store(settings) as store:
        assert store.list_sessions(limit=5) == []


def test_default_scan_reviews_the_example_project(settings: Settings) -> None:
    assert Path(LocalReviewConfig().path) == DEFAULT_PROJECT == REPO_ROOT / "examples" / "webshop"

    result = dg.materialize([local_review], resources={"store": ReviewlabStore(home=str(settings.reviewlab_home))})

    assert result.success
    [materialization] = result.asset_materializations_for_node("local_review")
    assert materialization.metadata["files"].value > 0


def test_store_resource_reads_the_environment_for_unset_fields(tmp_path: Path) -> None:
    # tests/conftest.py points REVIEWLAB_HOME at tmp_path / "reviewlab-home" and removes DATABASE_URL.
    assert ReviewlabStore().settings().sqlalchemy_url == f"sqlite:///{tmp_path / 'reviewlab-home' / 'reviewlab.db'}"
    assert ReviewlabStore(database_url="postgresql://u@db/x").settings().sqlalchemy_url == "postgresql+psycopg://u@db/x"


def test_instance_config_turns_telemetry_off_and_keeps_sqlite_storage_in_the_instance(dagster_home: Path) -> None:
    home = dagster_home
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")

    with dg.DagsterInstance.get() as instance:
        assert instance.telemetry_enabled is False
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert Path(instance.root_directory) == home
    assert (home / "history" / "runs.db").is_file()


def test_workspace_loads_from_the_command_line(dagster_home: Path) -> None:
    dagster_home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "DAGSTER_DISABLE_TELEMETRY": "1"}

    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful for code location reviewlab" in completed.stdout + completed.stderr
