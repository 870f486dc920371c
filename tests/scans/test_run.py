"""Scans as analysis sessions of the operational store, and their results read back (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import Engine

from reviewlab.audit import AuditLog
from reviewlab.jobs.events import MemoryNotifier
from reviewlab.jobs.service import Analyses
from reviewlab.projects import Projects, TriageStatus, project_scope
from reviewlab.scans import (
    ScanError,
    ScanFailed,
    ScanTarget,
    last_scan_time,
    last_scanned_commit,
    load_result,
    load_scan,
    register_repository,
    run_scan,
)
from reviewlab.settings import Settings, get_settings
from reviewlab.store.models import SessionStatus
from tests.scans import VULNERABLE_LINE, Repo, add_user, git_daemon


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def target(engine: Engine, repo: Repo) -> ScanTarget:
    add_user(engine)
    return register_repository(engine, str(repo.path))


def test_scans_per_commit_show_the_finding_introduced_then_fixed(
    engine: Engine, settings: Settings, repo: Repo, target: ScanTarget
) -> None:
    outcomes = [run_scan(settings, target, ref=commit, trigger="manual", engine=engine) for commit in repo.commits]

    assert [(o.status, o.commit, o.error) for o in outcomes] == [
        (SessionStatus.COMPLETED, commit, None) for commit in repo.commits
    ]
    assert [[(f.rule_id, f.path, f.span.start_line) for f in o.findings] for o in outcomes] == [
        [],
        [("PY-S001", "app.py", VULNERABLE_LINE)],
        [],
    ]
    assert outcomes[1].counts_by_severity["critical"] + outcomes[1].counts_by_severity["high"] == 1
    versions = Projects(engine).versions(target.project_id).items
    assert [(v.session_id, v.commit, v.findings_count) for v in reversed(versions)] == [
        (o.session_id, o.commit, len(o.findings)) for o in outcomes
    ]
    assert last_scanned_commit(engine, target.project_id) == repo.commits[2]
    assert last_scanned_commit(engine, target.project_id, ref="main") is None  # scanned by commit, not by branch


def test_a_scan_of_the_branch_is_an_analysis_session_like_an_api_review(
    engine: Engine, settings: Settings, repo: Repo, target: ScanTarget
) -> None:
    notifier = MemoryNotifier()
    outcome = run_scan(settings, target, engine=engine, notifier=notifier, worker_id="scan-test")

    assert outcome.raise_for_status() is outcome
    assert (outcome.ref, outcome.commit, outcome.trigger, outcome.gate_passed) == (
        "main",
        repo.commits[2],
        "schedule",
        None,
    )
    state = Analyses(engine, notifier, None).get(outcome.session_id)
    assert (state.kind, state.project_id, state.worker_id, state.attempts) == (
        "repository",
        target.project_id,
        "scan-test",
        1,
    )
    assert state.owner_id == Projects(engine).get(target.project_id).owner_id  # type: ignore[union-attr]
    kinds = [e.kind for e in Analyses(engine, notifier, None).events(outcome.session_id)]
    assert kinds[0] == "queued"
    assert kinds[-1] == "done"
    assert last_scanned_commit(engine, target.project_id, ref="main") == repo.commits[2]
    assert last_scan_time(engine, target.project_id) is not None
    records = [r for r in reversed(AuditLog(engine).query(limit=1000)) if r.target_id == outcome.session_id]
    assert [r.action for r in records] == ["scan.started", "analysis.completed"]
    details = records[0].details
    # PostgreSQL hands the audit details back as JSON text (reviewlab.audit's column), SQLite as an object
    assert (json.loads(details) if isinstance(details, str) else details) == {
        "project_id": target.project_id,
        "ref": "main",
        "trigger": "schedule",
        "worker": "scan-test",
    }


def test_the_projects_policy_judges_a_scan(engine: Engine, settings: Settings, repo: Repo, target: ScanTarget) -> None:
    Projects(engine).set_policy(target.project_id, {"max_findings": 0}, None)
    passed = run_scan(settings, target, engine=engine)
    failed = run_scan(settings, target, ref=repo.commits[1], engine=engine)
    assert (passed.gate_passed, failed.gate_passed) == (True, False)
    assert Projects(engine).versions(target.project_id).items[0].gate_passed is False


def test_an_unreachable_repository_fails_the_scan_with_the_reason(
    engine: Engine, settings: Settings, repo: Repo, target: ScanTarget
) -> None:
    shutil.rmtree(repo.path)
    outcome = run_scan(settings, target, engine=engine)

    assert outcome.status is SessionStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith("git fetch failed:")
    assert (outcome.findings, outcome.commit) == ((), None)
    with pytest.raises(ScanFailed, match="failed: git fetch failed"):
        outcome.raise_for_status()
    assert Analyses(engine, MemoryNotifier(), None).get(outcome.session_id).status is SessionStatus.FAILED
    assert Projects(engine).versions(target.project_id).total == 0
    assert last_scanned_commit(engine, target.project_id) is None
    with pytest.raises(ScanError, match="is failed, not completed: git fetch failed"):
        load_result(engine, outcome.session_id)


def test_a_missing_branch_fails_the_scan(engine: Engine, settings: Settings, target: ScanTarget) -> None:
    outcome = run_scan(settings, target, ref="no-such-branch", engine=engine)
    assert outcome.status is SessionStatus.FAILED
    assert "no-such-branch" in (outcome.error or "")


def test_a_remote_repository_is_scanned(engine: Engine, settings: Settings, repo: Repo) -> None:
    add_user(engine)
    with git_daemon(repo.path.parent) as base:
        target = register_repository(engine, f"{base}/repo")
        outcome = run_scan(settings, target, ref=repo.commits[1], engine=engine)
    assert (outcome.status, outcome.commit) == (SessionStatus.COMPLETED, repo.commits[1])
    assert [f.rule_id for f in outcome.findings] == ["PY-S001"]


def test_load_result_rebuilds_the_review_with_its_repository_commit_and_triage(
    engine: Engine, settings: Settings, repo: Repo, target: ScanTarget
) -> None:
    outcome = run_scan(settings, target, ref=repo.commits[1], engine=engine)
    [finding] = outcome.findings
    Projects(engine).triage(project_scope(target.project_id), finding.fingerprint, "accepted", "known", None)

    result = load_result(engine, outcome.session_id)
    stored = load_scan(engine, outcome.session_id)

    assert result.findings == list(outcome.findings)
    assert result.counts_by_severity() == outcome.counts_by_severity
    assert {(f.path, f.language, f.lines) for f in result.files} == {
        ("app.py", "python", 3),
        ("lib.js", "javascript", 2),
    }
    assert result.root == f"{repo.path}@{repo.commits[1]}"
    assert result.finished_at
    assert (stored.repository, stored.ref, stored.commit, stored.project_id) == (
        str(repo.path),
        repo.commits[1],
        repo.commits[1],
        target.project_id,
    )
    assert stored.files_count >= 2
    assert stored.triage[finding.fingerprint].status is TriageStatus.ACCEPTED


def test_an_unknown_trigger_is_a_programming_error(settings: Settings, target: ScanTarget, engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown scan trigger"):
        run_scan(settings, target, trigger="cron", engine=engine)  # type: ignore[arg-type]
