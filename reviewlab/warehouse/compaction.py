"""Compaction: merge the part files of each partition into one, keeping every row exactly once.

Only committed files are merged: a ``findings`` or ``file_metrics`` file joins the merge when every scan id in
it has its ``scans`` row, so a scan being appended concurrently is left alone until the next compaction. The
merged file is written atomically before the files it replaces are removed; a reader listing files in between
may see a partition's rows twice or miss a removed file, so run compaction when the dashboards are quiet (e.g.
in the nightly job). Two compactions never run at once on one root (an exclusive lock file).
"""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from reviewlab.warehouse.files import mark_changed, parquet_files, read_table, write_atomic
from reviewlab.warehouse.schema import SCANS, TABLES, partition_value


@dataclass(frozen=True, slots=True)
class Compaction:
    """What a compaction did: partitions rewritten, files merged into them, and the rows those files held."""

    partitions: int = 0
    files_merged: int = 0
    rows: int = 0

    def __add__(self, other: Compaction) -> Compaction:
        return Compaction(
            self.partitions + other.partitions, self.files_merged + other.files_merged, self.rows + other.rows
        )


def compact(root: Path, repository: str | None = None, before: date | None = None) -> Compaction:
    """Compact the partitions of ``repository`` (a slug; every one when None) dated before ``before`` (every
    date when None)."""
    total = Compaction()
    with _exclusive(root / ".compaction.lock"):
        for table in ("scans", "findings", "file_metrics"):
            committed: dict[str, set[str]] = {}
            for partition in _partitions(root / table, repository, before):
                slug = partition_value(partition.parent)
                if table != "scans" and slug not in committed:
                    committed[slug] = _committed_scans(root, slug)
                total += _compact_partition(partition, TABLES[table], None if table == "scans" else committed[slug])
        if total.partitions:
            mark_changed(root)
    return total


def _partitions(table_dir: Path, repository: str | None, before: date | None) -> Iterator[Path]:
    pattern = "repository=*" if repository is None else f"repository={repository}"
    for repository_dir in sorted(table_dir.glob(pattern)):
        for partition in sorted(repository_dir.glob("date=*")):
            if before is None or date.fromisoformat(partition_value(partition)) < before:
                yield partition


def _committed_scans(root: Path, slug: str) -> set[str]:
    days = sorted((root / "scans" / f"repository={slug}").glob("date=*"))
    frame = read_table([file for day in days for file in parquet_files(day)], SCANS, ["scan_id"])
    return set(frame["scan_id"].to_list())


def _compact_partition(partition: Path, schema: pl.Schema, committed: set[str] | None) -> Compaction:
    files = parquet_files(partition)
    if committed is not None:
        files = [file for file in files if set(read_table([file], schema, ["scan_id"])["scan_id"]) <= committed]
    if len(files) < 2:
        return Compaction()
    merged = read_table(files, schema)
    target = partition / f"part-{uuid.uuid4().hex}.parquet"
    write_atomic(merged, target)
    for file in files:
        file.unlink()
    return Compaction(partitions=1, files_merged=len(files), rows=merged.height)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
