"""The model lifecycle's Dagster face: evaluate, promote through a blocking gate, monitor, sweep, re-evaluate."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from assets.lifecycle import best_candidate
from pipelines.definitions import defs
from pipelines.resources import ReviewlabLifecycle
from reviewlab.lifecycle.dataset import Case, Label, write_dataset
from reviewlab.lifecycle.lab import open_lifecycle
from reviewlab.lifecycle.tracking import Tracker
from tests.lifecycle.support import lab_directory, small_dataset

STATIC = ("static-default", "static-security", "static-strict")
LLM = "llm-codellama-7b"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    return lab_directory(tmp_path)


@pytest.fixture
def resource(tmp_path: Path, mlflow_uri: str, lab: Path) -> ReviewlabLifecycle:
    return ReviewlabLifecycle(
        database_url=f"sqlite:///{tmp_path / 't.db'}", mlflow_tracking_uri=mlflow_uri, experiments_dir=str(lab)
    )


def run(job: str, instance: dg.DagsterInstance, resource: ReviewlabLifecycle) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, resources={"lifecycle": resource}, raise_on_error=False
    )


def metadata(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    [materialization] = result.asset_materializations_for_node(node)
    return {key: value.value for key, value in materialization.metadata.items() if key != "path"}


def gate(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "promotion_gate"
    return evaluation


@pytest.mark.slow
def test_the_best_candidate_is_promoted_once_and_a_failed_evaluation_is_listed_as_failed(
    instance: dg.DagsterInstance, resource: ReviewlabLifecycle
) -> None:
    first = run("lifecycle", instance, resource)

    assert first.success
    dataset = metadata(first, "evaluation_dataset")
    assert dataset == {
        "version": small_dataset().version,
        "parent": "",
        "cases": 4,
        "clean_cases": 1,
        "cases_from_triage": 0,
        "labels": 3,
        "skipped_feedback": 0,
    }
    evaluations = first.output_for_node("candidate_evaluations")
    assert set(evaluations) == {*STATIC, LLM}
    failed = evaluations[LLM]
    assert (failed["status"], failed["f1"], failed["fpr"], failed["p95"]) == ("failed", None, None, None)
    assert failed["error"]
    assert all(evaluations[name]["status"] == "succeeded" and evaluations[name]["mlflow_run_id"] for name in STATIC)
    assert "| llm-codellama-7b | experimental | failed |" in metadata(first, "candidate_evaluations")["evaluations"]
    decision = first.output_for_node("promotion_decision")
    assert decision["candidate"] == best_candidate(evaluations)
    assert decision["candidate"] in ("static-default", "static-strict")  # security-only misses the loop
    assert (decision["decision"], decision["production_after"]) == ("promoted", decision["candidate"])
    assert gate(first).passed
    assert metadata(first, "production_monitoring")["production"] == decision["candidate"]
    assert metadata(first, "quarantine_sweep") == {"outcome": "no breach"}
    assert metadata(first, "re_evaluation")["re_evaluated"] == 0
    settings = resource.settings()
    with open_lifecycle(settings) as lifecycle:
        production = lifecycle.production()
        assert production is not None
        assert production.name == decision["candidate"]
        [promotion] = lifecycle.promotions()
        assert (promotion["decision"], promotion["actor"]) == ("promoted", "dagster")
        succeeded = [e.id for e in lifecycle.evaluations() if e.succeeded]
    assert Tracker.from_settings(settings).production_version() == production.mlflow_version

    # Everything left is no better than production: nothing is evaluated again but the failed one, nothing moves.
    second = run("lifecycle", instance, resource)

    assert second.success
    again = second.output_for_node("candidate_evaluations")
    assert {name for name, entry in again.items() if not entry["reused"]} == {LLM}
    assert again[LLM]["status"] == "failed"
    assert again[decision["candidate"]]["stage"] == "production"
    assert {name: entry["evaluation_id"] for name, entry in again.items() if entry["status"] == "succeeded"} == {
        name: entry["evaluation_id"] for name, entry in evaluations.items() if entry["status"] == "succeeded"
    }
    assert second.output_for_node("promotion_decision")["decision"] == "none"
    assert gate(second).passed
    with open_lifecycle(settings) as lifecycle:
        assert [e.id for e in lifecycle.evaluations() if e.succeeded] == succeeded
        assert len(lifecycle.promotions()) == 1
        assert lifecycle.production() == production

    # Production is watched hourly without a promotion run.
    watch = run("production_watch", instance, resource)

    assert watch.success
    materialized = [event.asset_key for event in watch.get_asset_materialization_events()]
    assert {key.to_user_string() for key in materialized if key} == {
        "production_monitoring",
        "quarantine_sweep",
        "re_evaluation",
    }
    assert metadata(watch, "production_monitoring")["breaches"] == []


@pytest.mark.slow
def test_a_refused_candidate_fails_the_blocking_gate_and_stops_the_run(
    instance: dg.DagsterInstance, resource: ReviewlabLifecycle, lab: Path
) -> None:
    (lab / "policy.yaml").write_text("promotion: {max_latency_p95_s: 0.000001}\n", encoding="utf-8")
    for name in ("llm-codellama-7b", "static-strict", "static-security"):
        (lab / "candidates" / f"{name}.yaml").unlink()

    result = run("lifecycle", instance, resource)

    assert not result.success
    decision = result.output_for_node("promotion_decision")
    assert (decision["candidate"], decision["decision"], decision["production_after"]) == (
        "static-default",
        "refused",
        None,
    )
    check = gate(result)
    assert not check.passed
    failed = check.metadata["failed_checks"].value
    assert isinstance(failed, list)
    assert [c["name"] for c in failed] == ["latency_p95"]
    assert result.asset_materializations_for_node("production_monitoring") == []
    assert result.asset_materializations_for_node("re_evaluation") == []
    with open_lifecycle(resource.settings()) as lifecycle:
        assert lifecycle.production() is None
        [promotion] = lifecycle.promotions()
        assert promotion["decision"] == "refused"


@pytest.mark.slow
def test_production_that_drops_on_a_new_dataset_is_quarantined_and_re_evaluated(
    instance: dg.DagsterInstance, resource: ReviewlabLifecycle, lab: Path
) -> None:
    for name in ("llm-codellama-7b", "static-strict", "static-security"):
        (lab / "candidates" / f"{name}.yaml").unlink()
    assert run("lifecycle", instance, resource).output_for_node("promotion_decision")["decision"] == "promoted"
    # A new dataset version with a label static-default cannot find: its F1 falls by more than 5 points.
    missed = Case("py-missed", "python", {"x.py": b"x = 1\n"}, frozenset({"quality"}), (Label("x.py", 1, "quality"),))
    shutil.rmtree(lab / "datasets" / "core")
    write_dataset(small_dataset().extended([missed]), lab / "datasets" / "core")

    watch = run("production_watch", instance, resource)

    assert watch.success
    [breach] = metadata(watch, "production_monitoring")["breaches"]
    assert "below the" in breach
    assert metadata(watch, "quarantine_sweep") == {
        "outcome": "quarantined",
        "quarantined": "static-default",
        "restored": "none (no previous production)",
        "reason": f"production monitoring: {breach}",
    }
    # Nothing is production any more, so the quarantined configuration passes the gate on its own and is released.
    assert metadata(watch, "re_evaluation")["outcome_static-default"] == "released"
    with open_lifecycle(resource.settings()) as lifecycle:
        assert lifecycle.production() is None
        assert lifecycle.model("static-default").stage.value == "experimental"
        [record] = lifecycle.quarantine_records()
        assert (record.status, record.actor, record.manual) == ("released", "dagster", False)


def test_jobs_and_schedules() -> None:
    schedules = {s.name: (s.cron_schedule, s.job_name, s.execution_timezone) for s in defs.schedules or []}
    assert schedules["daily_lifecycle"] == ("0 3 * * *", "lifecycle", "UTC")
    assert schedules["hourly_production_watch"] == ("0 * * * *", "production_watch", "UTC")
    lifecycle = defs.resolve_job_def("lifecycle").asset_layer.executable_asset_keys
    watch = defs.resolve_job_def("production_watch").asset_layer.executable_asset_keys
    assert {key.to_user_string() for key in lifecycle} == {
        "evaluation_dataset",
        "candidate_evaluations",
        "promotion_decision",
        "production_monitoring",
        "quarantine_sweep",
        "re_evaluation",
    }
    assert {key.to_user_string() for key in watch} == {"production_monitoring", "quarantine_sweep", "re_evaluation"}


def test_the_resource_reads_the_environment_for_unset_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWLAB_EXPERIMENTS_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.internal:5000")
    from reviewlab.settings import get_settings

    get_settings.cache_clear()

    settings = ReviewlabLifecycle().settings()
    assert (settings.reviewlab_experiments_dir, settings.mlflow_tracking_uri) == (
        tmp_path / "lab",
        "http://mlflow.internal:5000",
    )
    given = ReviewlabLifecycle(experiments_dir="/srv/lab", mlflow_tracking_uri="sqlite:////srv/m.db").settings()
    assert (given.reviewlab_experiments_dir, given.mlflow_tracking_uri) == (Path("/srv/lab"), "sqlite:////srv/m.db")
