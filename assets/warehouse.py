"""The findings warehouse: each repository scan appended as Parquet, and a periodic compaction of the files."""

from typing import Any

import dagster as dg

from assets.environment import ScanEnvironment
from assets.scans import repositories
from reviewlab.scans import load_scan
from reviewlab.warehouse import Warehouse


@dg.asset(group_name="warehouse", partitions_def=repositories, deps=[dg.AssetKey("ai_review")])
def warehouse_scans(
    context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment], static_findings: dict[str, Any]
) -> None:
    """Append the repository's scan (after its AI review), with its findings' triage, to the findings warehouse."""
    scan = load_scan(scans.engine, static_findings["session_id"])
    with Warehouse(scans.warehouse) as warehouse:
        record = warehouse.append_review(
            scan.result,
            repository=context.partition_key,
            scan_id=scan.scan_id,
            commit=scan.commit,
            ref=scan.ref,
            scanned_at=scan.scanned_at,
            triage={fingerprint: state.status.value for fingerprint, state in scan.triage.items()},
            gate_passed=static_findings["gate_passed"],
        )
    context.add_output_metadata(
        {
            "scan_id": record.scan_id,
            "commit": scan.commit or "",
            "findings": len(record.findings),
            "files": len(record.files),
        }
    )


@dg.asset(group_name="warehouse")
def warehouse_compaction(context: dg.AssetExecutionContext, scans: dg.ResourceParam[ScanEnvironment]) -> None:
    """Merge each warehouse partition's part files into one."""
    with Warehouse(scans.warehouse) as warehouse:
        done = warehouse.compact()
    context.add_output_metadata({"partitions": done.partitions, "files_merged": done.files_merged, "rows": done.rows})
