"""Scheduled repository scans: the projects with a repository, their branch heads, snapshots and inventories,
and scans run as analysis sessions of the operational store (the library under the Dagster scan assets)."""

from __future__ import annotations

from reviewlab.scans.errors import (
    DuplicateTarget,
    InvalidTarget,
    NoOwner,
    RepositoryUnavailable,
    ScanError,
    ScanFailed,
    UnknownTarget,
)
from reviewlab.scans.inventory import Inventory, LanguageCount, inventory
from reviewlab.scans.results import StoredScan, load_result, load_scan
from reviewlab.scans.run import (
    TRIGGERS,
    ScanOutcome,
    Trigger,
    default_worker_id,
    last_scan,
    last_scan_time,
    last_scanned_commit,
    run_scan,
)
from reviewlab.scans.snapshots import Snapshot, branch_head, fetch_snapshot
from reviewlab.scans.targets import ScanTarget, find_target, register_repository, scan_targets

__all__ = [
    "TRIGGERS",
    "DuplicateTarget",
    "InvalidTarget",
    "Inventory",
    "LanguageCount",
    "NoOwner",
    "RepositoryUnavailable",
    "ScanError",
    "ScanFailed",
    "ScanOutcome",
    "ScanTarget",
    "Snapshot",
    "StoredScan",
    "Trigger",
    "UnknownTarget",
    "branch_head",
    "default_worker_id",
    "fetch_snapshot",
    "find_target",
    "inventory",
    "last_scan",
    "last_scan_time",
    "last_scanned_commit",
    "load_result",
    "load_scan",
    "register_repository",
    "run_scan",
    "scan_targets",
]
