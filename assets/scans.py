"""Repository scans: one partition per registered repository (project id), each a thin step over reviewlab.scans.

``repo_snapshot`` fetches the branch head, ``static_findings`` scans exactly that commit as an analysis session of
the store, and the assets after it read the stored scan back. Assets pass small values (paths, ids, dicts).
``local_review`` reviews a local tree on demand, outside the repositories' partitions.
"""

from pathlib import Path
from statistics import mean
from typing import Any

import dagster as dg
from pydantic import Field

from assets.environment import ScanEnvironment
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.ai.run import add_ai_review
from reviewlab.engine.config import discover_config
from reviewlab.engine.model import FileRecord, ReviewResult
from reviewlab.engine.pipeline import review
from reviewlab.reports import render_chunks
from reviewlab.scans import (
    TRIGGERS,
    ScanError,
    ScanTarget,
    Trigger,
    fetch_snapshot,
    find_target,
    inventory,
    last_scan,
    load_scan,
    run_scan,
)
from reviewlab.store import Store

DEFAULT_PROJECT = Path(__file__).resolve().parents[1] / "examples" / "webshop"
SEVERITIES = ("critical", "high", "medium", "low", "info")
REPORTS = {"json": "review.json", "sarif": "review.sarif", "markdown": "review.md"}

REPOSITORIES = "repositories"
repositories = dg.DynamicPartitionsDefinition(name=REPOSITORIES)
M = dg.MetadataValue


class LocalReviewConfig(dg.Config):
    """What ``local_review`` reviews."""

    path: str = Field(default=str(DEFAULT_PROJECT), description="Directory (or file) to review.")
    jobs: int | None = Field(default=None, ge=1, description="Worker processes; unset: one per CPU.")


@dg.asset(group_name="local")
def local_review(config: LocalReviewConfig, store: dg.ResourceParam[Store]) -> dg.MaterializeResult[None]:
    """Review a local source tree with the static engine and store it as a session."""
    result = review(Path(config.path), jobs=config.jobs)
    session_id = store.save_review(result)
    return dg.MaterializeResult(metadata=review_metadata(result, session_id))


def review_metadata(result: ReviewResult, session_id: str) -> dict[str, dg.MetadataValue]:
    """What a review records on its materialization; counts are flat numbers so Dagster plots them over time."""
    return {
        "root": M.path(result.root),
        "session_id": M.text(session_id),
        "files": M.int(len(result.files)),
        "lines": M.int(result.lines),
        "findings": M.int(len(result.findings)),
        **{f"findings_{severity}": M.int(n) for severity, n in result.counts_by_severity().items()},
        "diagnostics": M.int(len(result.diagnostics)),
        "duration_seconds": M.float(result.duration_seconds),
        "rule_pack_version": M.text(result.rule_pack_version),
    }


def target_of(context: dg.AssetExecutionContext, scans: ScanEnvironment) -> ScanTarget:
    """The partition's repository; a partition whose project is gone fails the run with the reason."""
    try:
        return find_target(scans.engine, context.partition_key)
    except ScanError as err:
        raise dg.Failure(description=str(err)) from err


@dg.asset(group_name="scans", partitions_def=repositories)
def repo_snapshot(context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment]) -> dict[str, Any]:
    """Check out the head of the repository's branch under REVIEWLAB_HOME/workspaces."""
    target = target_of(context, scans)
    try:
        snapshot = fetch_snapshot(target, scans.workspaces)
    except ScanError as err:
        raise dg.Failure(description=f"cannot fetch {target.repo_url}: {err}") from err
    context.add_output_metadata(
        {"commit": snapshot.commit, "ref": snapshot.ref, "path": M.path(snapshot.path), "reused": snapshot.reused}
    )
    return {"path": str(snapshot.path), "commit": snapshot.commit, "ref": snapshot.ref}


@dg.asset(group_name="scans", partitions_def=repositories)
def source_inventory(context: dg.AssetExecutionContext, repo_snapshot: dict[str, Any]) -> dict[str, Any]:
    """Count the snapshot's reviewable files, lines and bytes by language."""
    counted = inventory(Path(repo_snapshot["path"]))
    context.add_output_metadata(
        {
            "commit": repo_snapshot["commit"],
            "files": counted.files,
            "lines": counted.lines,
            "bytes": counted.total_bytes,
            "skipped": len(counted.skipped),
            **{f"files_{language}": count.files for language, count in counted.languages.items()},
        }
    )
    return counted.to_dict()


@dg.asset(group_name="scans", partitions_def=repositories)
def static_findings(
    context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment], repo_snapshot: dict[str, Any]
) -> dict[str, Any]:
    """Scan the snapshot's commit with the static engine as one analysis session of the store."""
    target = target_of(context, scans)
    previous = last_scan(scans.engine, target.project_id)
    # Sensors and schedules tag their runs; a run launched from the UI is manual.
    tag = context.run.tags.get("reviewlab/trigger")
    trigger: Trigger = next((known for known in TRIGGERS if known == tag), "manual")
    outcome = run_scan(scans.settings, target, ref=repo_snapshot["commit"], trigger=trigger, engine=scans.engine)
    if not outcome.ok:
        raise dg.Failure(description=f"scan {outcome.session_id} {outcome.status.value}: {outcome.error}")
    known = {f.fingerprint for f in Store(scans.engine).findings(previous.session_id)} if previous else set()
    new = [finding for finding in outcome.findings if finding.fingerprint not in known]
    scanned: dict[str, Any] = {
        "session_id": outcome.session_id,
        "commit": outcome.commit,
        "previous_session_id": previous.session_id if previous else None,
        "counts_by_severity": {s: outcome.counts_by_severity.get(s, 0) for s in SEVERITIES},
        "new_by_severity": {s: sum(f.severity.value == s for f in new) for s in SEVERITIES},
        "gate_passed": outcome.gate_passed,
    }
    context.add_output_metadata(
        {
            "session_id": outcome.session_id,
            "commit": outcome.commit or "",
            "findings": len(outcome.findings),
            **{f"findings_{s}": n for s, n in scanned["counts_by_severity"].items()},
            "new_findings": len(new),
            "duration_seconds": outcome.duration_seconds,
            "gate": "not configured"
            if outcome.gate_passed is None
            else ("passed" if outcome.gate_passed else "failed"),
        }
    )
    return scanned


@dg.asset(group_name="scans", partitions_def=repositories)
def code_metrics(
    context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment], static_findings: dict[str, Any]
) -> dict[str, Any]:
    """Summarize the scanned files' metrics: size, complexity and maintainability."""
    summary = metrics_summary(load_scan(scans.engine, static_findings["session_id"]).result.files)
    context.add_output_metadata({"session_id": static_findings["session_id"], **summary})
    return summary


def metrics_summary(files: list[FileRecord]) -> dict[str, Any]:
    """Totals and extremes of the files' metrics (files without metrics are left out)."""
    measured = [f.metrics for f in files if f.metrics]
    cyclomatic = [m.get("cyclomatic", 0) for m in measured]
    maintainability = [m["maintainability_index"] for m in measured if m.get("maintainability_index") is not None]
    return {
        "files": len(measured),
        "lines": sum(m.get("lines", 0) for m in measured),
        "code_lines": sum(m.get("code_lines", 0) for m in measured),
        "functions": sum(len(m.get("functions", [])) for m in measured),
        "cyclomatic_total": sum(cyclomatic),
        "cyclomatic_max": max(cyclomatic, default=0),
        "maintainability_mean": round(mean(maintainability), 2) if maintainability else 0.0,
        "maintainability_min": round(min(maintainability), 2) if maintainability else 0.0,
    }


@dg.asset(group_name="scans", partitions_def=repositories)
def architecture_graph(
    context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment], static_findings: dict[str, Any]
) -> dict[str, Any]:
    """Record the scan's module graph summary: modules, edges, packages and cycles."""
    architecture = load_scan(scans.engine, static_findings["session_id"]).result.architecture
    summary: dict[str, Any] = dict((architecture or {}).get("summary", {}))
    context.add_output_metadata(
        {"session_id": static_findings["session_id"], "reviewed": architecture is not None, **summary}
    )
    return summary


@dg.asset(group_name="scans", partitions_def=repositories)
def ai_review(
    context: dg.AssetExecutionContext,
    scans: dg.ResourceParam[ScanEnvironment],
    repo_snapshot: dict[str, Any],
    static_findings: dict[str, Any],
) -> dict[str, Any]:
    """Review the scan with the AI providers when one is available; otherwise record why it was skipped."""
    root = Path(repo_snapshot["path"])
    config = discover_config(root)
    with Orchestrator.from_settings(scans.settings, config.ai_settings()[0]) as orchestrator:
        statuses = orchestrator.health()
        if not any(status.health.ok for status in statuses):
            reason = "; ".join(f"{s.name}: {s.health.detail}" for s in statuses) or "no provider configured"
            context.add_output_metadata({"status": "skipped", "reason": f"no AI provider available ({reason})"})
            return {"status": "skipped", "reason": reason}
        result = load_scan(scans.engine, static_findings["session_id"]).result
        outcome = add_ai_review(result, root, config, scans.settings, orchestrator=orchestrator)
    # The AI findings join the scan's stored analysis, as those of an API review with the AI review do.
    Store(scans.engine).replace_findings(static_findings["session_id"], result)
    ai = result.ai or {}
    totals = ai.get("totals", {})
    context.add_output_metadata(
        {
            "status": str(ai.get("status", "done")),
            "session_id": static_findings["session_id"],
            "ai_findings": len(outcome.findings),
            "calls": totals.get("calls", 0),
            "input_tokens": totals.get("input_tokens", 0),
            "output_tokens": totals.get("output_tokens", 0),
            "cost_usd": float(totals.get("cost_usd", 0.0)),
        }
    )
    return {"status": str(ai.get("status", "done")), "findings": len(outcome.findings), "totals": totals}


@dg.asset(group_name="scans", partitions_def=repositories)
def review_report(
    context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment], static_findings: dict[str, Any]
) -> dict[str, str]:
    """Write the scan's JSON, SARIF and Markdown reports under REVIEWLAB_HOME/reports/<project>/<commit>."""
    result = load_scan(scans.engine, static_findings["session_id"]).result
    directory = scans.reports(context.partition_key, static_findings["commit"])
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str] = {}
    for fmt, name in REPORTS.items():
        path = directory / name
        with path.open("w", encoding="utf-8") as out:
            out.writelines(render_chunks(result, fmt))
        paths[fmt] = str(path)
    context.add_output_metadata(
        {"session_id": static_findings["session_id"], **{fmt: M.path(path) for fmt, path in paths.items()}}
    )
    return paths
