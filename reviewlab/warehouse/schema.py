"""The warehouse's tables: explicit Polars schemas, the on-disk layout and the repository slug.

Each table is a hive-partitioned Parquet dataset::

    <root>/<table>/repository=<slug>/date=<YYYY-MM-DD>/part-<hex>.parquet

``repository`` and ``date`` (the UTC date of ``scanned_at``) live in the path only, never in the files, so a
reader with hive partitioning gets them as columns and prunes partitions on them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Final

import polars as pl

from reviewlab.warehouse.errors import InvalidScan

UTC_TIMESTAMP: Final = pl.Datetime("us", "UTC")

SCANS: Final = pl.Schema(
    {
        "scan_id": pl.String(),
        "commit": pl.String(),
        "ref": pl.String(),
        "scanned_at": UTC_TIMESTAMP,
        "rule_pack_version": pl.String(),
        "files": pl.Int64(),
        "lines": pl.Int64(),
        "findings": pl.Int64(),
        "critical": pl.Int64(),
        "high": pl.Int64(),
        "medium": pl.Int64(),
        "low": pl.Int64(),
        "info": pl.Int64(),
        "duration_s": pl.Float64(),
        "gate_passed": pl.Boolean(),
    }
)

FINDINGS: Final = pl.Schema(
    {
        "scan_id": pl.String(),
        "scanned_at": UTC_TIMESTAMP,
        "commit": pl.String(),
        "fingerprint": pl.String(),
        "rule_id": pl.String(),
        "category": pl.String(),
        "severity": pl.String(),
        "confidence": pl.String(),
        "cwe": pl.Int32(),
        "path": pl.String(),
        "start_line": pl.Int32(),
        "message": pl.String(),
        "triage_status": pl.String(),
    }
)

FILE_METRICS: Final = pl.Schema(
    {
        "scan_id": pl.String(),
        "scanned_at": UTC_TIMESTAMP,
        "path": pl.String(),
        "language": pl.String(),
        "lines": pl.Int64(),
        "code_lines": pl.Int64(),
        "comment_lines": pl.Int64(),
        "cyclomatic": pl.Int64(),
        "functions": pl.Int64(),
        "max_cyclomatic": pl.Int64(),
        "mean_cyclomatic": pl.Float64(),
        "max_cognitive": pl.Int64(),
        "mean_cognitive": pl.Float64(),
        "maintainability_index": pl.Float64(),
        "has_errors": pl.Boolean(),
    }
)

TABLES: Final[dict[str, pl.Schema]] = {"scans": SCANS, "findings": FINDINGS, "file_metrics": FILE_METRICS}
"""Every table by name, in the order a scan is written: ``scans`` last, as the scan's commit record."""

PARTITION_COLUMNS: Final = ("repository", "date")
MAX_MESSAGE_LENGTH: Final = 500
MAX_SLUG_LENGTH: Final = 80

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def repository_slug(repository: str) -> str:
    """The partition value of a repository: itself when already made of ``[A-Za-z0-9._-]``, else a readable form
    with a short hash of the original appended, so two names never share a slug."""
    if not repository.strip():
        raise InvalidScan("a repository name must not be empty")
    readable = _UNSAFE.sub("-", repository).strip(".-")[:MAX_SLUG_LENGTH]
    if readable == repository:
        return repository
    digest = hashlib.sha256(repository.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}" if readable else digest


def scan_key(scan_id: str) -> str:
    """The name part of the files one scan writes: the same for every write of the scan, so a retry replaces."""
    return hashlib.sha256(scan_id.encode("utf-8")).hexdigest()[:32]


def partition_dir(root: Path, table: str, slug: str, day: date) -> Path:
    return root / table / f"repository={slug}" / f"date={day.isoformat()}"


def partition_value(directory: Path) -> str:
    """The value of a ``name=value`` partition directory."""
    return directory.name.partition("=")[2]
