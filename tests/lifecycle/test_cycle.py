"""The whole V1 -> V2 -> V3 cycle with static-only candidates: no model server anywhere.

A better candidate is promoted (the MLflow alias moves, the promotion keeps its evidence), a worse one is
refused, an injected production degradation quarantines production and restores the previous one, and
re-evaluation returns a configuration to V1 or blacklists it after repeated failures. Every transition is
in the history and the audit log.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from reviewlab.audit import AuditLog
from reviewlab.jobs.db import prepared, table_of
from reviewlab.lifecycle.models import Stage
from reviewlab.lifecycle.policy import Policy, PromotionPolicy, ReEvaluationPolicy
from reviewlab.lifecycle.service import Lifecycle, LifecycleError
from reviewlab.lifecycle.tracking import EXPERIMENT, PRODUCTION_ALIAS, REGISTERED_MODEL, Tracker
from reviewlab.store.models import AnalysisSession
from tests.lifecycle.conftest import Clock
from tests.lifecycle.support import NOTHING, SECURITY_ONLY, STATIC_DEFAULT, candidate, small_dataset

DATASET = small_dataset()


def stages(lifecycle: Lifecycle) -> dict[str, str]:
    return {model.name: model.stage.value for model in lifecycle.models()}


def test_a_first_production_then_a_worse_candidate_is_refused(lifecycle: Lifecycle, tracker: Tracker) -> None:
    lifecycle.register([STATIC_DEFAULT, SECURITY_ONLY])

    first = lifecycle.promote("static-default", DATASET, actor="alice")
    assert first is not None
    assert first.passed
    assert first.production is None  # nothing to compare with: the policy's floors apply
    assert {check.name for check in first.verdict.checks} == {"error_rate", "latency_p95", "min_f1"}
    refused = lifecycle.promote("security-only", DATASET, actor="alice")

    assert refused is not None
    assert not refused.passed
    failed = {check.name for check in refused.verdict.checks if not check.passed}
    assert failed == {"f1", "category:performance"}  # it drops the loop the default finds
    assert stages(lifecycle) == {"security-only": "experimental", "static-default": "production"}
    promotions = lifecycle.promotions()
    assert [p["decision"] for p in promotions] == ["refused", "promoted"]
    evidence = promotions[0]["evidence"]
    assert evidence["dataset_version"] == DATASET.version
    assert evidence["candidate"]["metrics"]["f1"] < evidence["production"]["metrics"]["f1"] == 1.0
    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "static-default"


def test_a_better_candidate_is_promoted_and_the_alias_moves(lifecycle: Lifecycle, tracker: Tracker) -> None:
    lifecycle.register([NOTHING, STATIC_DEFAULT])
    lifecycle.promote("nothing", DATASET, actor="alice")  # F1 0 passes min_f1 0: a (poor) first production
    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "nothing"

    decision = lifecycle.promote("static-default", DATASET, actor="alice")

    assert decision is not None
    assert decision.passed
    assert stages(lifecycle) == {"nothing": "experimental", "static-default": "production"}
    version = tracker.production_version()
    assert version is not None
    assert tracker.version_tags(version) == {
        "candidate": "static-default",
        "config_hash": STATIC_DEFAULT.config_hash,
        "stage": "production",
    }
    alias = tracker.client.get_registered_model(REGISTERED_MODEL).aliases
    assert alias == {PRODUCTION_ALIAS: int(version)}
    history = [(t.model, t.from_stage, t.to_stage) for t in lifecycle.history()]
    assert history[:2] == [("static-default", "experimental", "production"), ("nothing", "production", "experimental")]


def test_evaluations_are_mlflow_runs_and_store_rows(lifecycle: Lifecycle, tracker: Tracker) -> None:
    lifecycle.register([STATIC_DEFAULT])

    evaluation = lifecycle.evaluate("static-default", DATASET)

    assert evaluation.succeeded
    assert evaluation.metrics is not None
    assert evaluation.metrics["f1"] == 1.0
    assert evaluation.metrics["false_positive_rate"] == 0.0
    assert evaluation.metrics["per_category"]["performance"]["tp"] == 1
    run = tracker.run(evaluation.mlflow_run_id or "")
    assert run.info.status == "FINISHED"
    assert run.data.metrics["f1"] == 1.0
    assert run.data.metrics["security.recall"] == 1.0
    assert run.data.tags["dataset_version"] == DATASET.version
    assert run.data.params["config_hash"] == STATIC_DEFAULT.config_hash
    artifact = Path(tracker.client.download_artifacts(run.info.run_id, "cases.json"))
    cases = json.loads(artifact.read_text())
    assert [row["case"] for row in cases] == ["py-command", "py-sql", "py-loop", "py-clean"]
    assert tracker.client.get_experiment_by_name(EXPERIMENT) is not None
    stored = lifecycle.evaluations(model="static-default")
    assert [e.id for e in stored] == [evaluation.id]
    assert stored[0].cases == cases


def test_a_failed_evaluation_is_a_failed_run_with_its_error_never_a_zero(
    lifecycle: Lifecycle, tracker: Tracker
) -> None:
    # The repository's llm candidate needs Ollama, which is not running here.
    llm = candidate("name: llm-unreachable\nai: {provider: ollama, model: codellama:7b, timeout_s: 2}")
    lifecycle.register([llm])

    evaluation = lifecycle.evaluate("llm-unreachable", DATASET)

    assert evaluation.status == "failed"
    assert evaluation.metrics is None
    assert "4 of 4 cases failed" in (evaluation.error or "")
    assert "AI review unavailable" in (evaluation.error or "")
    run = tracker.run(evaluation.mlflow_run_id or "")
    assert run.info.status == "FAILED"
    assert run.data.metrics == {}
    assert run.data.tags["error"] == evaluation.error


def test_a_candidate_whose_evaluation_fails_is_never_promoted(lifecycle: Lifecycle) -> None:
    llm = candidate("name: llm-unreachable\nai: {provider: ollama, model: codellama:7b, timeout_s: 2}")
    lifecycle.register([STATIC_DEFAULT, llm])
    lifecycle.promote("static-default", DATASET, actor="alice")

    decision = lifecycle.promote("llm-unreachable", DATASET, actor="alice")

    assert decision is not None
    assert not decision.passed
    assert decision.problem is not None
    assert decision.problem.startswith("the candidate's evaluation failed")
    assert lifecycle.production() is not None
    assert lifecycle.production().name == "static-default"


def _analyses(engine: Engine, config_hash: str, clock: Clock, *, count: int, ai_status: str | None) -> None:
    """Production analyses as the worker stores them: completed, with their AI review's outcome."""
    table = table_of(AnalysisSession)
    with prepared(engine).begin() as connection:
        for _ in range(count):
            now = clock()
            connection.execute(
                insert(table).values(
                    id=str(uuid.uuid4()),
                    created_at=now,
                    started_at=now,
                    finished_at=now,
                    status="completed",
                    source_kind="snippet",
                    root="snippet",
                    rule_pack_version="test",
                    files=1,
                    lines=10,
                    duration_seconds=0.5,
                    findings_count=0,
                    counts_by_severity={},
                    counts_by_category={},
                    diagnostics=[],
                    configuration=config_hash,
                    ai_status=ai_status,
                )
            )


def test_an_injected_degradation_quarantines_production_and_restores_the_previous(
    lifecycle: Lifecycle, engine: Engine, tracker: Tracker, clock: Clock
) -> None:
    lifecycle.register([NOTHING, STATIC_DEFAULT])
    lifecycle.promote("nothing", DATASET, actor="alice")
    lifecycle.promote("static-default", DATASET, actor="alice")
    _analyses(engine, STATIC_DEFAULT.config_hash, clock, count=6, ai_status="complete")
    assert lifecycle.monitor().breaches == ()

    _analyses(engine, STATIC_DEFAULT.config_hash, clock, count=4, ai_status="unavailable")  # 4 of 10 fail
    report = lifecycle.monitor(actor="monitor")

    assert report.error_rate == pytest.approx(0.4)
    assert report.analyses == 10
    assert report.breaches
    assert report.breaches[0].startswith("error rate 40.0% over 10 analyses")
    assert report.quarantined is not None
    assert report.quarantined.restored == "nothing"
    assert stages(lifecycle) == {"nothing": "production", "static-default": "quarantined"}
    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "nothing"
    record = lifecycle.quarantine_records()[0]
    assert record.manual is False
    assert record.evidence["errors"] == 4
    assert record.status == "open"
    actions = [event.action for event in AuditLog(engine).query(action_prefix="lifecycle.")]
    assert actions[0] == "lifecycle.quarantine"


def test_old_analyses_and_too_few_analyses_are_not_evidence(lifecycle: Lifecycle, engine: Engine, clock: Clock) -> None:
    lifecycle.register([STATIC_DEFAULT])
    lifecycle.promote("static-default", DATASET, actor="alice")
    _analyses(engine, STATIC_DEFAULT.config_hash, clock, count=8, ai_status="unavailable")
    clock.now += timedelta(hours=25)  # outside the 24-hour window
    _analyses(engine, STATIC_DEFAULT.config_hash, clock, count=4, ai_status="unavailable")  # under min_analyses

    report = lifecycle.monitor()

    assert report.analyses == 4
    assert report.breaches == ()
    assert report.quarantined is None


def test_an_f1_drop_on_a_new_dataset_version_quarantines(lifecycle: Lifecycle) -> None:
    lifecycle.register([NOTHING, STATIC_DEFAULT])
    lifecycle.promote("static-default", DATASET, actor="alice")
    harder = DATASET.extended(
        [
            candidate_case("py-eval", b"def run(request):\n    return eval(request.args['x'])\n", 2, 95),
            candidate_case("py-pickle", b"import pickle\n\n\ndef load(data):\n    return pickle.loads(data)\n", 5, 502),
            candidate_case(
                "py-hidden", b"def handler(request, db):\n    return db.delete(request.args['id'])\n", 2, 862
            ),
        ]
    )

    report = lifecycle.monitor(harder)

    assert report.evaluation is not None
    assert report.evaluation["promoted_f1"] == 1.0
    assert report.breaches
    assert "below the 1.000 it was promoted with" in report.breaches[0]
    assert report.quarantined is not None
    assert report.quarantined.restored is None
    assert lifecycle.production() is None


def candidate_case(case_id: str, code: bytes, line: int, cwe: int):  # type: ignore[no-untyped-def]
    from reviewlab.lifecycle.dataset import Case, Label

    return Case(
        case_id,
        "python",
        {f"{case_id}.py": code},
        frozenset({"security"}),
        (Label(f"{case_id}.py", line, "security", cwe),),
    )


def test_re_evaluation_returns_a_passing_configuration_to_v1(lifecycle: Lifecycle) -> None:
    lifecycle.register([STATIC_DEFAULT, NOTHING])
    lifecycle.promote("static-default", DATASET, actor="alice")
    lifecycle.quarantine("static-default", reason="paged at 3am: answers looked wrong", actor="alice")

    [outcome] = lifecycle.re_evaluate(DATASET)

    assert outcome.outcome == "released"
    assert outcome.passed
    assert stages(lifecycle)["static-default"] == "experimental"
    record = lifecycle.quarantine_records()[0]
    assert record.status == "released"
    assert len(record.re_evaluations) == 1
    with pytest.raises(LifecycleError, match="needs a reason"):
        lifecycle.quarantine("static-default", reason="  ", actor="alice")


def test_repeated_re_evaluation_failures_blacklist(
    engine: Engine, settings: object, tracker: Tracker, clock: Clock
) -> None:
    from reviewlab.lifecycle.lab import lifecycle_for

    policy = Policy(re_evaluation=ReEvaluationPolicy(max_failures=2), promotion=PromotionPolicy(min_f1=0.5))
    lifecycle = lifecycle_for(engine, settings, tracker=tracker, policy=policy, clock=clock)  # type: ignore[arg-type]
    lifecycle.register([STATIC_DEFAULT, NOTHING])
    lifecycle.promote("static-default", DATASET, actor="alice")
    lifecycle.quarantine("nothing", reason="never any good", actor="alice")  # a candidate may be quarantined too

    first = lifecycle.re_evaluate(DATASET)
    second = lifecycle.re_evaluate(DATASET)

    assert [o.outcome for o in first] == ["failed"]
    assert [o.outcome for o in second] == ["blacklisted"]
    assert "F1 0.000 vs production 1.000" in second[0].detail
    assert stages(lifecycle)["nothing"] == "blacklisted"
    assert lifecycle.blacklist()[0]["reason"].startswith("failed re-evaluation 2 times")
    assert lifecycle.re_evaluate(DATASET) == []  # a closed record is not re-evaluated again
    with pytest.raises(LifecycleError, match="blacklisted"):
        lifecycle.promote("nothing", DATASET, actor="alice", force=True, reason="please")
    with pytest.raises(LifecycleError, match="blacklisted"):
        lifecycle.evaluate("nothing", DATASET)
    assert tracker.version_tags(lifecycle.model("nothing").mlflow_version or "")["stage"] == "blacklisted"


def test_manual_overrides_are_explicit(lifecycle: Lifecycle, engine: Engine) -> None:
    lifecycle.register([STATIC_DEFAULT, SECURITY_ONLY])
    lifecycle.promote("static-default", DATASET, actor="alice")
    with pytest.raises(LifecycleError, match="needs a reason"):
        lifecycle.promote("security-only", DATASET, actor="alice", force=True)
    with pytest.raises(LifecycleError, match="names the person"):
        lifecycle.promote("security-only", DATASET, force=True, reason="customer asked for quiet reviews")

    decision = lifecycle.promote(
        "security-only", DATASET, actor="alice", force=True, reason="customer asked for quiet reviews"
    )

    assert decision is not None
    assert not decision.passed
    assert lifecycle.promotions()[0]["decision"] == "forced"
    latest = lifecycle.history()[0]
    assert (latest.model, latest.to_stage, latest.manual, latest.actor) == (
        "security-only",
        "production",
        True,
        "alice",
    )
    assert latest.reason == "customer asked for quiet reviews"
    audit = AuditLog(engine).query(action_prefix="lifecycle.promotion")
    assert [e.action for e in audit][:2] == ["lifecycle.promotion.forced", "lifecycle.promotion.promoted"]
    assert audit[0].actor == "alice"
    assert audit[0].details["reason"] == "customer asked for quiet reviews"
    assert AuditLog(engine).query(action_prefix="lifecycle.")  # and the chain still verifies
    with pytest.raises(LifecycleError, match="already production"):
        lifecycle.promote("security-only", DATASET, actor="alice")


def test_registering_is_by_content(lifecycle: Lifecycle) -> None:
    [first] = lifecycle.register([STATIC_DEFAULT])
    [again] = lifecycle.register([candidate("name: renamed-default\ndescription: same settings")])

    assert again.id == first.id
    assert again.name == "renamed-default"
    assert stages(lifecycle) == {"renamed-default": "experimental"}
    assert lifecycle.model(STATIC_DEFAULT.config_hash).id == first.id
    assert [t.reason for t in lifecycle.history()] == ["registered"]
    _ = Stage


def test_scheduled_re_evaluation_waits_the_policys_interval(
    engine: Engine, settings: object, tracker: Tracker, clock: Clock
) -> None:
    from reviewlab.lifecycle.lab import lifecycle_for

    policy = Policy(re_evaluation=ReEvaluationPolicy(max_failures=3, min_interval_hours=20))
    lifecycle = lifecycle_for(engine, settings, tracker=tracker, policy=policy, clock=clock)  # type: ignore[arg-type]
    lifecycle.register([STATIC_DEFAULT, NOTHING])
    lifecycle.promote("static-default", DATASET, actor="alice")
    lifecycle.quarantine("nothing", reason="never any good", actor="alice")

    first = lifecycle.re_evaluate(DATASET, due_only=True)  # never re-evaluated: due at once
    clock.now += timedelta(hours=19)
    too_soon = lifecycle.re_evaluate(DATASET, due_only=True)
    clock.now += timedelta(hours=1)
    due_again = lifecycle.re_evaluate(DATASET, due_only=True)
    by_hand = lifecycle.re_evaluate(DATASET)  # an operator's explicit run is never held back

    assert [o.outcome for o in first] == ["failed"]
    assert too_soon == []
    assert [o.outcome for o in due_again] == ["failed"]
    assert [o.outcome for o in by_hand] == ["blacklisted"]


def _triaged(engine: Engine, config_hash: str, clock: Clock, statuses: list[str], *, scope_owner: str) -> None:
    """One production analysis by ``u1`` with a finding per status, triaged in ``scope_owner``'s scope."""
    from reviewlab.projects.models import TriageRow
    from reviewlab.store.models import CodeReviewResult

    _analyses(engine, config_hash, clock, count=1, ai_status=None)
    sessions, results, triage = table_of(AnalysisSession), table_of(CodeReviewResult), table_of(TriageRow)
    with prepared(engine).begin() as connection:
        session_id = connection.execute(sessions.select().order_by(sessions.c.created_at.desc()).limit(1)).first().id  # type: ignore[union-attr]
        connection.execute(sessions.update().where(sessions.c.id == session_id).values(owner_id="u1"))
        for index, status in enumerate(statuses):
            fingerprint = f"{scope_owner}-{session_id[:8]}-{index}"
            connection.execute(
                insert(results).values(
                    session_id=session_id,
                    rule_id="PY-S002",
                    category="security",
                    severity="high",
                    confidence="high",
                    cwe=78,
                    path="app.py",
                    start_line=index + 1,
                    start_column=1,
                    end_line=index + 1,
                    end_column=2,
                    snippet="x",
                    message="m",
                    fingerprint=fingerprint,
                )
            )
            connection.execute(
                insert(triage).values(
                    scope=f"user:{scope_owner}", fingerprint=fingerprint, status=status, updated_at=clock()
                )
            )


def test_a_false_positive_share_of_triage_over_the_limit_quarantines(
    lifecycle: Lifecycle, engine: Engine, clock: Clock
) -> None:
    lifecycle.register([NOTHING, STATIC_DEFAULT])
    lifecycle.promote("nothing", DATASET, actor="alice")
    lifecycle.promote("static-default", DATASET, actor="alice")
    # Another user's triage of findings of their own does not count against this configuration's analyses.
    _triaged(engine, STATIC_DEFAULT.config_hash, clock, ["false_positive"] * 6, scope_owner="u2")
    _triaged(engine, STATIC_DEFAULT.config_hash, clock, ["false_positive"] * 4 + ["accepted"] * 5, scope_owner="u1")
    quiet = lifecycle.monitor()
    assert (quiet.triaged, quiet.false_positives, quiet.breaches) == (9, 4, ())  # 9 < min_triaged

    _triaged(engine, STATIC_DEFAULT.config_hash, clock, ["false_positive"] * 3 + ["open"], scope_owner="u1")
    report = lifecycle.monitor()

    assert (report.triaged, report.false_positives) == (12, 7)
    assert report.breaches == ("7 of 12 triaged findings are false positives (58%; at most 50%)",)
    assert report.quarantined is not None
    assert report.quarantined.restored == "nothing"


def test_an_mlflow_failure_after_the_store_moved_heals_at_the_next_monitoring(
    lifecycle: Lifecycle, tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewlab.lifecycle.tracking import TrackingError

    lifecycle.register([NOTHING, STATIC_DEFAULT])
    lifecycle.promote("nothing", DATASET, actor="alice")

    def down(version: str) -> None:
        raise TrackingError("MLflow at http://mlflow:5000 failed moving the production alias: connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(tracker, "set_production", down)
        with pytest.raises(TrackingError, match="static-default is production in the store"):
            lifecycle.promote("static-default", DATASET, actor="alice")
    assert lifecycle.production().name == "static-default"  # type: ignore[union-attr]
    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "nothing"  # behind

    lifecycle.monitor()

    assert tracker.version_tags(tracker.production_version() or "")["candidate"] == "static-default"
