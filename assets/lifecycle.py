"""The model lifecycle as assets: a linear chain of thin steps over ``reviewlab.lifecycle``.

``evaluation_dataset`` snapshots the current dataset (the curated one and the reviewers' triage),
``candidate_evaluations`` evaluates every experimental (V1) configuration and production on it (an evaluation
that already succeeded on that version is reused), ``promotion_decision`` puts the best candidate through the
promotion gate (the blocking check ``promotion_gate`` in ``pipelines.checks`` turns red when it is refused),
``production_monitoring`` watches production, ``quarantine_sweep`` quarantines it on a breach (restoring the
previous one) and ``re_evaluation`` re-evaluates the quarantined configurations. Assets pass small values
(a version, dicts).
"""

from datetime import datetime
from typing import Any

import dagster as dg

from reviewlab.lifecycle.dataset import Dataset
from reviewlab.lifecycle.lab import current_dataset, dataset_version, sync_candidates
from reviewlab.lifecycle.models import Stage
from reviewlab.lifecycle.service import EvaluationRecord, Lifecycle, LifecycleError, MonitorReport, QuarantineRecord

ACTOR = "dagster"
TRIGGER = "schedule"
# A quarantined configuration is re-evaluated at most this often, whichever job (hourly or daily) runs the asset:
# failing again an hour later on the same cases is not new evidence, and max_failures would blacklist it in hours.
M = dg.MetadataValue


def _failure(err: Exception) -> dg.Failure:
    return dg.Failure(description=str(err))


def _current(lifecycle: Lifecycle) -> Dataset:
    """The current dataset version (recorded; the same one ``evaluation_dataset`` snapshotted, unless triage moved)."""
    dataset, _ = current_dataset(lifecycle, lifecycle.settings)
    return dataset


@dg.asset(group_name="lifecycle")
def evaluation_dataset(context: dg.AssetExecutionContext, lifecycle: dg.ResourceParam[Lifecycle]) -> str:
    """Snapshot the curated dataset extended with the reviewers' triage as a recorded dataset version."""
    try:
        dataset, feedback = current_dataset(lifecycle, lifecycle.settings)
    except LifecycleError as err:
        raise _failure(err) from err
    summary = dataset.summary()
    context.add_output_metadata(
        {
            "version": dataset.version,
            "parent": dataset.parent or "",
            "cases": summary["cases"],
            "clean_cases": summary["clean_cases"],
            "cases_from_triage": summary["from_triage"],
            "labels": summary["labels"],
            "skipped_feedback": len(feedback.skipped),
        }
    )
    return dataset.version


def _entry(record: EvaluationRecord, stage: Stage, reused: bool) -> dict[str, Any]:
    metrics = record.metrics or {}
    succeeded = record.succeeded
    return {
        "config_hash": record.config_hash,
        "stage": stage.value,
        "dataset_version": record.dataset_version,
        "status": record.status,
        # A failed evaluation has no score: None, never zero.
        "f1": metrics.get("f1") if succeeded else None,
        "fpr": metrics.get("false_positive_rate") if succeeded else None,
        "p95": metrics.get("latency_p95_s") if succeeded else None,
        "error": record.error,
        "mlflow_run_id": record.mlflow_run_id,
        "evaluation_id": record.id,
        "reused": reused,
    }


def _number(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{float(value):.{digits}f}"


def _table(evaluations: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| configuration | stage | status | F1 | FPR | p95 (s) | evaluation | MLflow run | error |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in evaluations.items():
        error = (entry["error"] or "").replace("|", "\\|").replace("\n", " ")
        rows.append(
            f"| {name} | {entry['stage']} | {entry['status']} | {_number(entry['f1'])} | {_number(entry['fpr'])} "
            f"| {_number(entry['p95'], 2)} | {'reused' if entry['reused'] else 'new'} "
            f"| {entry['mlflow_run_id'] or '–'} | {error[:300]} |"
        )
    return "\n".join(rows)


@dg.asset(group_name="lifecycle")
def candidate_evaluations(
    context: dg.AssetExecutionContext, lifecycle: dg.ResourceParam[Lifecycle], evaluation_dataset: str
) -> dict[str, dict[str, Any]]:
    """Evaluate every experimental configuration and production on the dataset version, reusing earlier successes."""
    try:
        sync_candidates(lifecycle, lifecycle.settings, actor=ACTOR)
        dataset = dataset_version(lifecycle, evaluation_dataset)
    except LifecycleError as err:
        raise _failure(err) from err
    production = lifecycle.production()
    models = [*([production] if production is not None else []), *lifecycle.models(stage=Stage.EXPERIMENTAL)]
    evaluations: dict[str, dict[str, Any]] = {}
    for model in models:
        found = lifecycle.latest_evaluation(model, dataset.version)
        record = found or lifecycle.evaluate(model.config_hash, dataset, trigger=TRIGGER, actor=ACTOR)
        if not record.succeeded:
            context.log.warning(f"evaluation of {model.name} on {dataset.version} failed: {record.error}")
        # Two configurations may share a name (a candidate file changed after it was registered): key by hash too.
        key = model.name if model.name not in evaluations else f"{model.name} ({model.config_hash[:12]})"
        evaluations[key] = _entry(record, model.stage, reused=found is not None)
    context.add_output_metadata(
        {
            "dataset_version": dataset.version,
            "configurations": len(evaluations),
            "evaluated": sum(1 for e in evaluations.values() if not e["reused"]),
            "reused": sum(1 for e in evaluations.values() if e["reused"]),
            "failed": sum(1 for e in evaluations.values() if e["status"] != "succeeded"),
            "evaluations": M.md(_table(evaluations)),
        }
    )
    return evaluations


def best_candidate(evaluations: dict[str, dict[str, Any]]) -> str | None:
    """The experimental configuration with the highest F1 among succeeded evaluations (ties: lower p95 latency)."""
    scored = [
        (name, entry)
        for name, entry in evaluations.items()
        if entry["stage"] == Stage.EXPERIMENTAL.value and entry["status"] == "succeeded" and entry["f1"] is not None
    ]
    if not scored:
        return None
    name, _ = max(scored, key=lambda item: (float(item[1]["f1"]), -float(item[1]["p95"] or 0.0)))
    return name


@dg.asset(group_name="lifecycle")
def promotion_decision(
    context: dg.AssetExecutionContext,
    lifecycle: dg.ResourceParam[Lifecycle],
    candidate_evaluations: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Put the best candidate through the promotion gate when it beats production's F1; refusals are recorded."""
    production = next((e for e in candidate_evaluations.values() if e["stage"] == Stage.PRODUCTION.value), None)
    best = best_candidate(candidate_evaluations)
    current = lifecycle.production()
    outcome: dict[str, Any] = {
        "candidate": best,
        "decision": "none",
        "reason": "",
        "checks": [],
        "problem": None,
        "production_before": None if current is None else current.name,
    }
    if best is None:
        outcome["reason"] = "no experimental configuration has a succeeded evaluation"
    # Production's failed evaluation is no reason to skip: the gate records that it cannot compare.
    elif (
        production is not None
        and production["f1"] is not None
        and candidate_evaluations[best]["f1"] <= production["f1"]
    ):
        outcome["reason"] = (
            f"best candidate {best} (F1 {_number(candidate_evaluations[best]['f1'])}) does not beat "
            f"production (F1 {_number(production['f1'])})"
        )
    else:
        entry = candidate_evaluations[best]
        try:
            dataset = dataset_version(lifecycle, entry["dataset_version"])
            decision = lifecycle.promote(entry["config_hash"], dataset, actor=ACTOR)
        except LifecycleError as err:
            raise _failure(err) from err
        assert decision is not None  # noqa: S101 - a promotion on a dataset always decides
        outcome.update(
            decision="promoted" if decision.passed else "refused",
            reason="passed the promotion gate" if decision.passed else "; ".join(decision.verdict.failures),
            checks=[check.to_dict() for check in decision.verdict.checks],
            problem=decision.problem,
        )
    after = lifecycle.production()
    outcome["production_after"] = None if after is None else after.name
    failed = [check for check in outcome["checks"] if not check["passed"]]
    context.add_output_metadata(
        {
            "candidate": best or "",
            "decision": outcome["decision"],
            "reason": outcome["reason"],
            "production_before": outcome["production_before"] or "",
            "production_after": outcome["production_after"] or "",
            "failed_checks": M.json(failed),
            "checks": M.md(_checks_table(outcome["checks"])) if outcome["checks"] else M.text("gate not run"),
        }
    )
    return outcome


def _checks_table(checks: list[dict[str, Any]]) -> str:
    rows = ["| check | passed | detail |", "| --- | --- | --- |"]
    rows += [f"| {c['name']} | {'yes' if c['passed'] else '**no**'} | {c['detail']} |" for c in checks]
    return "\n".join(rows)


# A dependency, not an input: production_watch runs monitoring without materialising the decision.
@dg.asset(group_name="lifecycle", deps=[promotion_decision])
def production_monitoring(context: dg.AssetExecutionContext, lifecycle: dg.ResourceParam[Lifecycle]) -> dict[str, Any]:
    """Watch production's analyses and its evaluation on the current dataset; name the breaches (acted on later)."""
    try:
        report = lifecycle.monitor(_current(lifecycle), actor=ACTOR, act=False)
    except LifecycleError as err:
        raise _failure(err) from err
    context.add_output_metadata(
        {
            "production": report.model or "none",
            "analyses": report.analyses,
            "error_rate": M.float(report.error_rate) if report.error_rate is not None else M.null(),
            "latency_p95_s": M.float(report.latency_p95_s) if report.latency_p95_s is not None else M.null(),
            "triaged": report.triaged,
            "false_positive_share": M.float(report.false_positive_share)
            if report.false_positive_share is not None
            else M.null(),
            "breaches": M.json(list(report.breaches)),
        }
    )
    return report.to_dict()


def _monitor_report(data: dict[str, Any]) -> MonitorReport:
    """The report ``production_monitoring`` returned (as a dict), back as the library's object."""
    fields = {key: value for key, value in data.items() if key not in ("quarantined", "window_start", "breaches")}
    start = data.get("window_start")
    return MonitorReport(
        **fields,
        window_start=None if start is None else datetime.fromisoformat(start),
        breaches=tuple(data.get("breaches") or ()),
    )


@dg.asset(group_name="lifecycle")
def quarantine_sweep(
    context: dg.AssetExecutionContext, lifecycle: dg.ResourceParam[Lifecycle], production_monitoring: dict[str, Any]
) -> dict[str, Any]:
    """Quarantine production when monitoring found a breach, restoring the previous production configuration."""
    try:
        report = lifecycle.sweep(_monitor_report(production_monitoring), actor=ACTOR)
    except LifecycleError as err:
        raise _failure(err) from err
    record: QuarantineRecord | None = report.quarantined
    if record is None:
        context.add_output_metadata({"outcome": "no breach" if not report.breaches else "production changed since"})
        return {"quarantined": None, "restored": None, "breaches": list(report.breaches)}
    context.add_output_metadata(
        {
            "outcome": "quarantined",
            "quarantined": record.model,
            "restored": record.restored or "none (no previous production)",
            "reason": record.reason,
        }
    )
    return {"quarantined": record.model, "restored": record.restored, "breaches": list(report.breaches)}


@dg.asset(group_name="lifecycle", deps=[quarantine_sweep])
def re_evaluation(context: dg.AssetExecutionContext, lifecycle: dg.ResourceParam[Lifecycle]) -> list[dict[str, Any]]:
    """Re-evaluate the quarantined configurations: passing -> V1, the policy's number of failures -> blacklist."""
    records = [r for r in lifecycle.quarantine_records() if r.status == "open"]
    if not records:
        context.add_output_metadata({"open_quarantines": 0, "re_evaluated": 0, "outcomes": M.json({})})
        return []
    try:
        outcomes = lifecycle.re_evaluate(_current(lifecycle), actor=ACTOR, due_only=True)
    except LifecycleError as err:
        raise _failure(err) from err
    context.add_output_metadata(
        {
            "open_quarantines": len(records),
            "re_evaluated": len(outcomes),
            "skipped": len(records) - len(outcomes),
            "outcomes": M.json({o.model: {"outcome": o.outcome, "detail": o.detail} for o in outcomes}),
            **{f"outcome_{o.model}": o.outcome for o in outcomes},
        }
    )
    return [{key: value for key, value in o.to_dict().items() if key != "evaluation"} for o in outcomes]
