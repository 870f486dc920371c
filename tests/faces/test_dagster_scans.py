"""The repository scans' Dagster face: partitions per repository, a scan per head, the warehouse, automation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import Engine

from assets.scans import repositories
from pipelines.definitions import defs
from pipelines.resources import ReviewlabScans
from pipelines.schedules import nightly_scans
from pipelines.sensors import repository_heads, repository_partitions
from reviewlab.accounts import Accounts
from reviewlab.scans import ScanTarget, register_repository, scan_targets
from reviewlab.settings import Settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.models import SessionStatus
from reviewlab.store.repository import Store
from reviewlab.warehouse import WarehouseQueries, default_root
from tests.faces.conftest import VULNERABLE_PY

CLEAN_PY = "def run():\n    return input()\n"
FIXED_PY = "def run():\n    return int(input())\n"
SCAN_JOB = "scan_repositories"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@dataclass
class Repository:
    """A git repository built in the test; ``commit`` moves its main branch's head."""

    path: Path

    def commit(self, source: str, message: str) -> str:
        (self.path / "app.py").write_text(source, encoding="utf-8")
        git(self.path, "add", ".")
        git(self.path, "commit", "--quiet", "-m", message)
        return git(self.path, "rev-parse", "HEAD")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The migrated store under the test's REVIEWLAB_HOME, with an admin to own registered repositories."""
    engine = create_engine(settings.sqlalchemy_url)
    migrate.upgrade(translated(engine))
    Accounts(engine).create_user("admin@example.org", "a-long-enough-password", role="admin")
    yield engine
    engine.dispose()


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    path = tmp_path / "git" / "demo"
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.email", "t@example.org")
    git(path, "config", "user.name", "t")
    return Repository(path)


@pytest.fixture
def scans(settings: Settings) -> ReviewlabScans:
    return ReviewlabScans(home=str(settings.reviewlab_home))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def scan(target: ScanTarget, instance: dg.DagsterInstance, scans: ReviewlabScans) -> dg.ExecuteInProcessResult:
    """Run the scan job on the target's partition, in process."""
    job = defs.resolve_job_def(SCAN_JOB)
    return job.execute_in_process(
        partition_key=target.project_id, instance=instance, resources={"scans": scans}, raise_on_error=False
    )


def metadata(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    [materialization] = result.asset_materializations_for_node(node)
    return {key: value.value for key, value in materialization.metadata.items()}


def gate(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_three_commits_are_three_scans_in_the_store_and_the_warehouse(
    engine: Engine,
    repository: Repository,
    instance: dg.DagsterInstance,
    scans: ReviewlabScans,
    settings: Settings,
) -> None:
    commits = [repository.commit(CLEAN_PY, "clean")]
    target = register_repository(engine, str(repository.path), name="demo")
    instance.add_dynamic_partitions(repositories.name, [target.project_id])

    first = scan(target, instance, scans)
    commits.append(repository.commit(VULNERABLE_PY, "vulnerable"))
    second = scan(target, instance, scans)
    commits.append(repository.commit(FIXED_PY, "fixed"))
    third = scan(target, instance, scans)

    assert [run.success for run in (first, second, third)] == [True, True, True]
    assert [metadata(run, "repo_snapshot")["commit"] for run in (first, second, third)] == commits
    findings = [metadata(run, "static_findings") for run in (first, second, third)]
    assert [f["findings_high"] for f in findings] == [0, 1, 0]
    assert [f["new_findings"] for f in findings] == [0, 1, 0]
    assert [gate(run).passed for run in (first, second, third)] == [True, False, True]
    assert gate(second).metadata["new_high"].value == 1
    assert metadata(second, "ai_review")["status"] == "skipped"
    assert "no AI provider available" in metadata(second, "ai_review")["reason"]
    assert metadata(second, "code_metrics")["files"] == 1
    assert metadata(second, "architecture_graph")["session_id"] == findings[1]["session_id"]
    reports = metadata(second, "review_report")
    assert {Path(reports[fmt]).name for fmt in ("json", "sarif", "markdown")} == {
        "review.json",
        "review.sarif",
        "review.md",
    }
    assert Path(reports["sarif"]).parent == settings.reviewlab_home / "reports" / target.project_id / commits[1]
    assert "PY-S001" in Path(reports["json"]).read_text(encoding="utf-8")

    sessions = Store(engine).list_sessions(limit=10)
    assert sorted(s.id for s in sessions) == sorted(f["session_id"] for f in findings)
    with WarehouseQueries(default_root(settings)) as queries:
        changes = queries.new_and_fixed(repository=target.project_id).to_dicts()
        fixes = queries.time_to_fix(repository=target.project_id).to_dicts()
    assert [(row["scan_id"], row["new"], row["fixed"]) for row in changes] == [
        (findings[0]["session_id"], 0, 0),
        (findings[1]["session_id"], 1, 0),
        (findings[2]["session_id"], 0, 1),
    ]
    assert fixes[0]["fixed"] == 1


def test_an_unreachable_repository_fails_its_partition_with_the_reason(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(CLEAN_PY, "clean")
    target = register_repository(engine, str(repository.path), name="gone")
    instance.add_dynamic_partitions(repositories.name, [target.project_id])
    git(repository.path, "branch", "-m", "main", "renamed")  # the registered branch no longer exists

    result = scan(target, instance, scans)

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "repo_snapshot"
    assert "cannot fetch" in str(failure.step_failure_data.error)
    assert "main" in str(failure.step_failure_data.error)
    completed = [s for s in Store(engine).list_sessions(limit=10) if s.status is SessionStatus.COMPLETED]
    assert completed == []


def test_sensors_sync_partitions_and_request_a_scan_only_when_the_head_moved(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(CLEAN_PY, "clean")
    target = register_repository(engine, str(repository.path), name="demo")
    instance.add_dynamic_partitions(repositories.name, ["deleted-project"])

    with dg.build_sensor_context(instance=instance, resources={"scans": scans}) as context:
        synced = repository_partitions(context)
    assert isinstance(synced, dg.SensorResult)
    [added, deleted] = synced.dynamic_partitions_requests or []
    assert (added.partition_keys, deleted.partition_keys) == ([target.project_id], ["deleted-project"])
    instance.add_dynamic_partitions(repositories.name, [target.project_id])
    instance.delete_dynamic_partition(repositories.name, "deleted-project")

    def heads() -> list[str | None]:
        with dg.build_sensor_context(instance=instance, resources={"scans": scans}) as context:
            result = repository_heads(context)
        assert isinstance(result, dg.SensorResult)
        assert not result.dynamic_partitions_requests
        return [request.partition_key for request in result.run_requests or []]

    assert heads() == [target.project_id]  # never scanned
    assert scan(target, instance, scans).success
    assert heads() == []  # the head is what was scanned
    repository.commit(VULNERABLE_PY, "vulnerable")
    assert heads() == [target.project_id]
    assert [t.project_id for t in scan_targets(engine)] == [target.project_id]


def test_the_head_sensor_adds_the_partition_of_a_repository_it_requests(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(CLEAN_PY, "clean")
    target = register_repository(engine, str(repository.path), name="demo")

    with dg.build_sensor_context(instance=instance, resources={"scans": scans}) as context:
        result = repository_heads(context)

    assert isinstance(result, dg.SensorResult)
    [request] = result.dynamic_partitions_requests or []
    assert request.partition_keys == [target.project_id]
    [run] = result.run_requests or []
    assert run.run_key == f"{target.project_id}:{git(repository.path, 'rev-parse', 'HEAD')}"


def test_schedules(instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions(repositories.name, ["p1", "p2"])
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2027, 3, 1, 2, tzinfo=UTC))

    requests = list(nightly_scans(context))

    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("p1", "nightly:2027-03-01:p1"),
        ("p2", "nightly:2027-03-01:p2"),
    ]
    schedules = {s.name: (s.cron_schedule, s.job_name) for s in defs.schedules or []}
    assert schedules == {
        "nightly_scans": ("0 2 * * *", SCAN_JOB),
        "daily_freshness": ("0 7 * * *", "check_freshness"),
        "weekly_compaction": ("0 3 * * 0", "compact_warehouse"),
        "daily_lifecycle": ("0 3 * * *", "lifecycle"),
        "hourly_production_watch": ("0 * * * *", "production_watch"),
    }


def test_the_freshness_check_fails_for_a_repository_never_scanned(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(CLEAN_PY, "clean")
    target = register_repository(engine, str(repository.path), name="demo")

    job = defs.resolve_job_def("check_freshness")
    stale = job.execute_in_process(instance=instance, resources={"scans": scans})
    instance.add_dynamic_partitions(repositories.name, [target.project_id])
    assert scan(target, instance, scans).success
    fresh = job.execute_in_process(instance=instance, resources={"scans": scans})

    [before] = stale.get_asset_check_evaluations()
    [after] = fresh.get_asset_check_evaluations()
    assert (before.passed, before.metadata["never_scanned"].value) == (False, [target.project_id])
    assert (after.passed, after.metadata["stale"].value) == (True, [])


def test_warehouse_compaction_runs_on_an_empty_warehouse(instance: dg.DagsterInstance, scans: ReviewlabScans) -> None:
    result = defs.resolve_job_def("compact_warehouse").execute_in_process(instance=instance, resources={"scans": scans})

    assert result.success
    assert metadata(result, "warehouse_compaction")["partitions"] == 0


def test_asset_graph_snapshot() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()

    shape = {
        key.to_user_string(): (
            graph.get(key).group_name,
            sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
            graph.get(key).partitions_def is not None,
        )
        for key in graph.get_all_asset_keys()
    }
    assert shape == {
        "local_review": ("local", [], False),
        "repo_snapshot": ("scans", [], True),
        "source_inventory": ("scans", ["repo_snapshot"], True),
        "static_findings": ("scans", ["repo_snapshot"], True),
        "code_metrics": ("scans", ["static_findings"], True),
        "architecture_graph": ("scans", ["static_findings"], True),
        "ai_review": ("scans", ["repo_snapshot", "static_findings"], True),
        "review_report": ("scans", ["static_findings"], True),
        "warehouse_scans": ("warehouse", ["ai_review", "static_findings"], True),
        "warehouse_compaction": ("warehouse", [], False),
        "evaluation_dataset": ("lifecycle", [], False),
        "candidate_evaluations": ("lifecycle", ["evaluation_dataset"], False),
        "promotion_decision": ("lifecycle", ["candidate_evaluations"], False),
        "production_monitoring": ("lifecycle", ["promotion_decision"], False),
        "quarantine_sweep": ("lifecycle", ["production_monitoring"], False),
        "re_evaluation": ("lifecycle", ["quarantine_sweep"], False),
    }
    assert {key.to_user_string() for key in graph.asset_check_keys} == {
        "static_findings:scan_gate",
        "static_findings:scans_fresh",
        "promotion_decision:promotion_gate",
    }
    assert graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey("promotion_decision"), "promotion_gate")).blocking
    assert all(spec.description and "\n" not in spec.description for spec in defs.resolve_all_asset_specs())
    assert {s.name for s in defs.sensors or []} == {"repository_partitions", "repository_heads"}


def test_the_ai_review_joins_the_stored_scan_and_the_warehouse(
    engine: Engine,
    repository: Repository,
    instance: dg.DagsterInstance,
    scans: ReviewlabScans,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a provider answering (a loopback server speaking OpenAI's protocol), the AI findings are stored."""
    from reviewlab.ai.tasks import AI_RULE_ID
    from reviewlab.settings import get_settings
    from tests.ai.completers import findings_json, item
    from tests.ai.servers import Answer, FakeOpenAI, refused_url

    repository.commit(VULNERABLE_PY, "vulnerable")
    target = register_repository(engine, str(repository.path), name="demo")
    instance.add_dynamic_partitions(repositories.name, [target.project_id])
    with FakeOpenAI() as openai:
        # The review of the file, then the self-reflection scoring it (security findings are believed).
        openai.script(
            Answer(
                findings_json(item(1, severity="low", category="quality", message="run() says nothing of what it does"))
            ),
            Answer(json.dumps({"scores": [{"index": 1, "score": 9, "reason": "a vague name"}]})),
        )
        monkeypatch.setenv("OLLAMA_HOST", refused_url())
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
        monkeypatch.setenv("OPENAI_BASE_URL", openai.base_url)
        get_settings.cache_clear()

        result = scan(target, instance, scans)

    assert result.success
    assert metadata(result, "ai_review")["ai_findings"] >= 1
    session_id = metadata(result, "static_findings")["session_id"]
    with Store.from_url(settings.sqlalchemy_url) as store:
        stored = store.findings(session_id)
    assert AI_RULE_ID in {f.rule_id for f in stored}
    assert "PY-S001" in {f.rule_id for f in stored}  # the static findings stay
    with WarehouseQueries(default_root(settings)) as queries:
        [row] = queries.new_and_fixed().to_dicts()
    assert row["findings"] == len(stored)
