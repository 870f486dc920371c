"""The repository scans' Dagster face: partitions per repository, a scan per head, the warehouse, automation."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import dagster as dg
import pytest
from sqlalchemy import Engine

from assets.scans import REPOSITORIES
from pipelines.checks import MAX_SCAN_AGE
from pipelines.definitions import defs
from pipelines.resources import ReviewlabScans
from pipelines.schedules import nightly_scans
from pipelines.sensors import repository_heads, repository_partitions
from reviewlab.accounts import Accounts
from reviewlab.cli import main
from reviewlab.projects import Projects
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
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])

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
    assert all(f["duration_seconds"] > 0 for f in findings)
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
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])
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
    instance.add_dynamic_partitions(REPOSITORIES, ["deleted-project"])

    with dg.build_sensor_context(instance=instance, resources={"scans": scans}) as context:
        synced = repository_partitions(context)
    assert isinstance(synced, dg.SensorResult)
    [added, deleted] = synced.dynamic_partitions_requests or []
    assert (added.partition_keys, deleted.partition_keys) == ([target.project_id], ["deleted-project"])
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])
    instance.delete_dynamic_partition(REPOSITORIES, "deleted-project")

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
    instance.add_dynamic_partitions(REPOSITORIES, ["p1", "p2"])
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2027, 3, 1, 2, tzinfo=UTC))

    requests = list(cast(Iterator[dg.RunRequest], nightly_scans(context)))  # the schedule is a generator

    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("p1", "nightly:2027-03-01:p1"),
        ("p2", "nightly:2027-03-01:p2"),
    ]
    # Every schedule runs as soon as the daemon does: none waits for a toggle in the UI.
    running = dg.DefaultScheduleStatus.RUNNING
    schedules = {
        s.name: (s.cron_schedule, s.job_name, s.default_status)
        for s in map(defs.resolve_schedule_def, (s.name for s in defs.schedules or []))
    }
    assert schedules == {
        "nightly_scans": ("0 2 * * *", SCAN_JOB, running),
        "daily_freshness": ("0 7 * * *", "check_freshness", running),
        "weekly_compaction": ("0 3 * * 0", "compact_warehouse", running),
        "daily_lifecycle": ("0 3 * * *", "lifecycle", running),
        "hourly_production_watch": ("0 * * * *", "production_watch", running),
    }


def test_the_freshness_check_fails_for_a_repository_never_scanned(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(CLEAN_PY, "clean")
    target = register_repository(engine, str(repository.path), name="demo")

    job = defs.resolve_job_def("check_freshness")
    stale = job.execute_in_process(instance=instance, resources={"scans": scans})
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])
    assert scan(target, instance, scans).success
    fresh = job.execute_in_process(instance=instance, resources={"scans": scans})

    [before] = stale.get_asset_check_evaluations()
    [after] = fresh.get_asset_check_evaluations()
    assert (before.passed, before.metadata["never_scanned"].value) == (False, [target.project_id])
    assert (after.passed, after.metadata["stale"].value) == (True, [])


def test_the_freshness_check_fails_for_a_repository_scanned_too_long_ago(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(CLEAN_PY, "clean")
    old = register_repository(engine, str(repository.path), name="old")
    recent = register_repository(engine, str(repository.path), name="recent", branch="develop")
    now = datetime.now(UTC)

    def scanned(target: ScanTarget, age: timedelta) -> None:
        Projects(engine, clock=lambda: now - age).record_version(
            target.project_id, f"session-{target.name}", target.branch, "a" * 40, 0, {}, None
        )

    scanned(old, MAX_SCAN_AGE + timedelta(hours=1))
    scanned(recent, MAX_SCAN_AGE - timedelta(hours=1))

    result = defs.resolve_job_def("check_freshness").execute_in_process(instance=instance, resources={"scans": scans})

    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert evaluation.severity is dg.AssetCheckSeverity.WARN
    assert (evaluation.metadata["stale"].value, evaluation.metadata["never_scanned"].value) == ([old.project_id], [])


def test_the_gate_check_fails_when_the_projects_policy_fails_without_new_findings(
    engine: Engine, repository: Repository, instance: dg.DagsterInstance, scans: ReviewlabScans
) -> None:
    repository.commit(VULNERABLE_PY, "vulnerable")
    target = register_repository(engine, str(repository.path), name="demo")
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])
    assert scan(target, instance, scans).success
    Projects(engine).set_policy(target.project_id, {"max_findings": 0}, None)

    again = scan(target, instance, scans)

    assert again.success  # a failing gate does not stop the reports and the warehouse
    assert metadata(again, "static_findings")["new_findings"] == 0
    evaluation = gate(again)
    assert evaluation.passed is False
    assert evaluation.severity is dg.AssetCheckSeverity.ERROR
    assert (evaluation.metadata["gate"].value, evaluation.metadata["new_high"].value) == ("failed", 0)
    assert again.asset_materializations_for_node("warehouse_scans")


def test_scan_list_shows_the_last_scan_of_a_repository_scanned_by_dagster(
    engine: Engine,
    repository: Repository,
    instance: dg.DagsterInstance,
    scans: ReviewlabScans,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command line reads the store of REVIEWLAB_HOME, which tests/conftest.py made the test's own, as are scans.
    head = repository.commit(CLEAN_PY, "clean")
    target = register_repository(engine, str(repository.path), name="demo")
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])
    result = scan(target, instance, scans)
    assert result.success
    capsys.readouterr()

    assert main(["scan", "list", "--format", "json"]) == 0

    [row] = json.loads(capsys.readouterr().out)
    assert (row["project_id"], row["branch"], row["last_commit"]) == (target.project_id, "main", head)
    assert row["last_ref"] == head  # the job scans the snapshot's commit, not whatever the branch holds by then
    assert row["last_session_id"] == metadata(result, "static_findings")["session_id"]
    assert main(["scan", "list"]) == 0
    assert f"main  {head[:12]} at" in capsys.readouterr().out


def test_a_repository_registered_through_the_api_gets_its_partition_from_the_running_sensor(
    engine: Engine, instance: dg.DagsterInstance, scans: ReviewlabScans, settings: Settings
) -> None:
    from api.deps import Platform
    from api.main import create_app
    from reviewlab.cache import Caches
    from reviewlab.mail import MemoryMailer
    from reviewlab.security import Argon2Parameters, Passwords
    from tests.api import BASE_URL, Client

    cheap = Passwords(Argon2Parameters(time_cost=1, memory_cost_kib=1024))
    platform = Platform(settings, mailer=MemoryMailer(), passwords=cheap, caches=Caches.in_memory())
    try:
        with Client(create_app(settings, platform=platform), base_url=BASE_URL) as admin:
            admin.sign_in("admin@example.org", "a-long-enough-password")
            response = admin.post(
                "/api/projects", json={"name": "shop", "repo_url": "https://git.example.com/team/shop.git"}
            )
    finally:
        platform.close()
    assert response.status_code == 201, response.text
    project_id = response.json()["id"]

    # Nobody switches the sensor on: the daemon runs it from the start, and it adds the partition.
    assert repository_partitions.default_status is dg.DefaultSensorStatus.RUNNING
    with dg.build_sensor_context(instance=instance, resources={"scans": scans}) as context:
        synced = repository_partitions(context)
    assert isinstance(synced, dg.SensorResult)
    [added] = synced.dynamic_partitions_requests or []
    assert isinstance(added, dg.AddDynamicPartitionsRequest)
    assert added.partition_keys == [project_id]


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
    assert {s.name: s.default_status for s in defs.sensors or []} == {
        "repository_partitions": dg.DefaultSensorStatus.RUNNING,
        "repository_heads": dg.DefaultSensorStatus.RUNNING,
    }


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
    instance.add_dynamic_partitions(REPOSITORIES, [target.project_id])
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
