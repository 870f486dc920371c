"""Asset checks on repository scans (the quality gate of each scan, the freshness of every last scan) and the model
lifecycle's promotion gate."""

from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from assets.environment import ScanEnvironment
from assets.lifecycle import promotion_decision
from assets.scans import static_findings
from reviewlab.scans import last_scan_time, scan_targets

BLOCKING_SEVERITIES = ("critical", "high")
MAX_SCAN_AGE = timedelta(days=2)


# Not blocking: the assets after the scan (its reports, the warehouse) must record a failing scan too; the failed
# check, with severity ERROR, is what the UI and alerts show.
@dg.asset_check(asset=static_findings)
def scan_gate(static_findings: dict[str, Any]) -> dg.AssetCheckResult:
    """Fail when the scan brought new critical or high findings or failed the project's quality gate."""
    new = {severity: static_findings["new_by_severity"].get(severity, 0) for severity in BLOCKING_SEVERITIES}
    gate_failed = static_findings["gate_passed"] is False
    return dg.AssetCheckResult(
        passed=not gate_failed and not any(new.values()),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "session_id": static_findings["session_id"],
            **{f"new_{severity}": n for severity, n in new.items()},
            "gate": "not configured"
            if static_findings["gate_passed"] is None
            else ("failed" if gate_failed else "passed"),
        },
    )


@dg.asset_check(asset=static_findings)
def scans_fresh(scans: dg.ResourceParam[ScanEnvironment]) -> dg.AssetCheckResult:
    """Fail when a registered repository's last scan is older than two days, or it was never scanned."""
    now = datetime.now(UTC)
    stale: list[str] = []
    never: list[str] = []
    for target in scan_targets(scans.engine):
        scanned = last_scan_time(scans.engine, target.project_id)
        if scanned is None:
            never.append(target.project_id)
        elif now - (scanned if scanned.tzinfo else scanned.replace(tzinfo=UTC)) > MAX_SCAN_AGE:
            stale.append(target.project_id)
    return dg.AssetCheckResult(
        passed=not stale and not never,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "max_age_hours": MAX_SCAN_AGE.total_seconds() / 3600,
            "stale": dg.MetadataValue.json(stale),
            "never_scanned": dg.MetadataValue.json(never),
        },
    )


# Blocking: when the best candidate is refused, the run stops before monitoring, and the UI shows the gate red with
# the checks it failed. A decision of "none" (no candidate beats production) passes.
@dg.asset_check(asset=promotion_decision, blocking=True)
def promotion_gate(promotion_decision: dict[str, Any]) -> dg.AssetCheckResult:
    """Fail, and stop the run before monitoring, when the best candidate was refused by the promotion gate."""
    refused = promotion_decision["decision"] == "refused"
    failed = [check for check in promotion_decision["checks"] if not check["passed"]]
    return dg.AssetCheckResult(
        passed=not refused,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "candidate": promotion_decision["candidate"] or "",
            "decision": promotion_decision["decision"],
            "reason": promotion_decision["reason"],
            "failed_checks": dg.MetadataValue.json(failed),
        },
    )
