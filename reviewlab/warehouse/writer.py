"""Appending scans to the warehouse.

A scan is written as at most one file per table, in the partition of its repository and UTC date, named after
its scan id (``part-<scan_key>.parquet``): ``findings`` and ``file_metrics`` first, ``scans`` last. The ``scans``
row is the scan's commit record: readers only see the rows of scans whose ``scans`` row exists, so a write that
dies half-way leaves nothing visible, and its retry replaces the same files. Every file is written to a temp
file in its partition and renamed into place, so processes appending different scans never touch each other's
files.

Appending is idempotent per scan id within a repository: the first write wins, and appending a scan id that is
already recorded writes nothing and returns False (re-scan under a new id to record new results).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

from reviewlab.engine.model import ReviewResult
from reviewlab.settings import Settings, get_settings
from reviewlab.warehouse.compaction import Compaction, compact
from reviewlab.warehouse.errors import WarehouseNotFound
from reviewlab.warehouse.files import mark_changed, parquet_files, read_table, write_atomic
from reviewlab.warehouse.record import ScanRecord, scan_record
from reviewlab.warehouse.schema import FILE_METRICS, FINDINGS, SCANS, partition_dir, repository_slug, scan_key


def default_root(settings: Settings | None = None) -> Path:
    """Where the warehouse lives: ``REVIEWLAB_WAREHOUSE_DIR``, else ``$REVIEWLAB_HOME/warehouse``."""
    settings = settings or get_settings()
    return settings.reviewlab_warehouse_dir or settings.reviewlab_home / "warehouse"


class Warehouse:
    """The writing side of the warehouse at ``root`` (created when missing)."""

    def __init__(self, root: Path) -> None:
        if root.exists() and not root.is_dir():
            raise WarehouseNotFound(f"the warehouse root {root} is not a directory")
        root.mkdir(parents=True, exist_ok=True)
        self.root = root

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: every write opens and closes its own files."""

    def append_review(
        self,
        result: ReviewResult,
        *,
        repository: str,
        scan_id: str,
        commit: str | None,
        ref: str | None,
        scanned_at: datetime,
        triage: Mapping[str, str] | None = None,
        gate_passed: bool | None = None,
    ) -> ScanRecord:
        """Append a review as a scan (see ``scan_record``) and return the record (written or already there)."""
        record = scan_record(
            result,
            repository=repository,
            scan_id=scan_id,
            commit=commit,
            ref=ref,
            scanned_at=scanned_at,
            triage=triage,
            gate_passed=gate_passed,
        )
        self.append_scan(record)
        return record

    def append_scan(self, scan: ScanRecord) -> bool:
        """Write ``scan``; False (and nothing written) when its scan id is already recorded for its repository."""
        if self.has_scan(scan.repository, scan.scan_id):
            return False
        name = f"part-{scan_key(scan.scan_id)}.parquet"
        day = scan.scanned_at.date()
        for table, frame in (
            ("findings", findings_frame(scan)),
            ("file_metrics", file_metrics_frame(scan)),
            ("scans", scans_frame(scan)),
        ):
            if table == "scans" or frame.height:
                write_atomic(frame, partition_dir(self.root, table, scan.repository, day) / name)
        mark_changed(self.root)
        return True

    def has_scan(self, repository: str, scan_id: str) -> bool:
        """Whether ``scan_id`` is recorded for ``repository``."""
        directory = self.root / "scans" / f"repository={repository_slug(repository)}"
        files = [file for day in sorted(directory.glob("date=*")) for file in parquet_files(day)]
        recorded = read_table(files, SCANS, ["scan_id"])
        return bool(recorded.filter(pl.col("scan_id") == scan_id).height)

    def repositories(self) -> list[str]:
        """The slugs of the repositories with at least one recorded scan, sorted."""
        scans = self.root / "scans"
        if not scans.is_dir():
            return []
        return sorted(
            path.name.partition("=")[2]
            for path in scans.glob("repository=*")
            if any(parquet_files(day) for day in path.glob("date=*"))
        )

    def compact(self, repository: str | None = None, before: date | None = None) -> Compaction:
        """Merge each partition's part files into one (see ``reviewlab.warehouse.compaction``)."""
        return compact(self.root, None if repository is None else repository_slug(repository), before)


def scans_frame(scan: ScanRecord) -> pl.DataFrame:
    counts = scan.severity_counts()
    row: dict[str, Any] = {
        "scan_id": scan.scan_id,
        "commit": scan.commit,
        "ref": scan.ref,
        "scanned_at": scan.scanned_at,
        "rule_pack_version": scan.rule_pack_version,
        "files": len(scan.files),
        "lines": scan.lines,
        "findings": len(scan.findings),
        **{severity: counts.get(severity, 0) for severity in ("critical", "high", "medium", "low", "info")},
        "duration_s": scan.duration_s,
        "gate_passed": scan.gate_passed,
    }
    return pl.DataFrame({name: [value] for name, value in row.items()}, schema=SCANS)


def findings_frame(scan: ScanRecord) -> pl.DataFrame:
    columns: dict[str, list[Any]] = {name: [] for name in FINDINGS.names()}
    for row in scan.findings:
        columns["scan_id"].append(scan.scan_id)
        columns["scanned_at"].append(scan.scanned_at)
        columns["commit"].append(scan.commit)
        for name in FINDINGS.names()[3:]:
            columns[name].append(getattr(row, name))
    return pl.DataFrame(columns, schema=FINDINGS)


def file_metrics_frame(scan: ScanRecord) -> pl.DataFrame:
    columns: dict[str, list[Any]] = {name: [] for name in FILE_METRICS.names()}
    for row in scan.files:
        columns["scan_id"].append(scan.scan_id)
        columns["scanned_at"].append(scan.scanned_at)
        for name in FILE_METRICS.names()[2:]:
            columns[name].append(getattr(row, name))
    return pl.DataFrame(columns, schema=FILE_METRICS)
