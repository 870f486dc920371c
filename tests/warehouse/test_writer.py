"""Appending scans: the layout on disk, idempotency, atomic commits, concurrency and clear errors."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from reviewlab.settings import Settings
from reviewlab.warehouse import (
    FINDINGS,
    SCANS,
    CorruptWarehouse,
    InvalidScan,
    Warehouse,
    WarehouseNotFound,
    WarehouseQueries,
    default_root,
    repository_slug,
    scan_record,
)
from reviewlab.warehouse.schema import scan_key
from reviewlab.warehouse.writer import findings_frame
from tests.warehouse.test_queries import HISTORY, T0, build_history, review_of


def test_partitions_by_repository_and_utc_date(tmp_path: Path) -> None:
    build_history(tmp_path)
    files = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.parquet"))
    assert f"scans/repository=alpha/date=2024-03-12/part-{scan_key('a4')}.parquet" in files
    assert f"findings/repository=beta/date=2024-03-04/part-{scan_key('b2')}.parquet" in files
    assert f"file_metrics/repository=alpha/date=2024-03-05/part-{scan_key('a2')}.parquet" in files
    assert len(files) == 3 * len(HISTORY)
    # The partition columns live in the path only; each file holds exactly the table's schema.
    scans_file = tmp_path / "scans" / "repository=alpha" / "date=2024-03-12" / f"part-{scan_key('a4')}.parquet"
    assert pl.read_parquet_schema(scans_file) == dict(SCANS)
    findings_file = next((tmp_path / "findings").rglob("*.parquet"))
    assert pl.read_parquet_schema(findings_file) == dict(FINDINGS)
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_scan_row_holds_its_counts(tmp_path: Path) -> None:
    build_history(tmp_path)
    with WarehouseQueries(tmp_path) as queries:
        scan = queries.scans(repository="alpha").row(0, named=True)
    assert scan["scan_id"] == "a1"
    assert (scan["findings"], scan["critical"], scan["high"], scan["low"], scan["files"]) == (3, 1, 1, 1, 2)
    assert (scan["commit"], scan["ref"], scan["gate_passed"], scan["lines"]) == ("c-a1", "main", False, 50)


def test_appending_a_recorded_scan_again_writes_nothing(tmp_path: Path) -> None:
    warehouse = build_history(tmp_path)
    record = scan_record(review_of(("F1",), 1), repository="alpha", scan_id="a1", commit=None, ref=None, scanned_at=T0)
    files = sorted(tmp_path.rglob("*.parquet"))
    assert warehouse.append_scan(record) is False
    warehouse.compact()
    assert warehouse.append_scan(record) is False
    assert warehouse.has_scan("alpha", "a1")
    with WarehouseQueries(tmp_path) as queries:
        assert queries.scans().height == len(HISTORY)
        assert queries.findings_by_scan(repository="alpha").filter(pl.col("scan_id") == "a1")["findings"].sum() == 3
    assert files  # sanity: the history was there to compare with


def test_findings_of_a_scan_without_its_scans_row_are_not_visible(tmp_path: Path) -> None:
    # What a writer that died between the findings file and the scans file leaves behind.
    build_history(tmp_path)
    record = scan_record(review_of(("F1",), 1), repository="alpha", scan_id="a9", commit=None, ref=None, scanned_at=T0)
    orphan = tmp_path / "findings" / "repository=alpha" / "date=2024-03-04" / f"part-{scan_key('a9')}.parquet"
    findings_frame(record).write_parquet(orphan)
    with WarehouseQueries(tmp_path) as queries:
        before = queries.findings_by_scan()
        assert "a9" not in before["scan_id"].to_list()
        Warehouse(tmp_path).compact()
        assert orphan.exists()  # compaction leaves uncommitted files alone
        # The retry replaces the orphan (same file name) and commits the scan.
        assert Warehouse(tmp_path).append_scan(record)
        assert queries.findings_by_scan().filter(pl.col("scan_id") == "a9")["findings"].sum() == 1


def test_repositories_lists_the_slugs_with_scans(tmp_path: Path) -> None:
    warehouse = build_history(tmp_path)
    assert warehouse.repositories() == ["alpha", "beta"]
    assert Warehouse(tmp_path / "new").repositories() == []


def test_repository_slugs() -> None:
    assert repository_slug("0f3c-Project_1.x") == "0f3c-Project_1.x"
    assert repository_slug("acme/app").startswith("acme-app-")
    assert repository_slug("acme/app") != repository_slug("acme_app")
    assert repository_slug("../..").isalnum()
    assert "/" not in repository_slug("a=b/c d")
    with pytest.raises(InvalidScan):
        repository_slug("  ")


def test_invalid_scans_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    review = review_of(("F1",), 1)
    with pytest.raises(InvalidScan, match="timezone-aware"):
        scan_record(review, repository="r", scan_id="s", commit=None, ref=None, scanned_at=datetime(2024, 1, 1))
    with pytest.raises(InvalidScan, match="triage status"):
        scan_record(review, repository="r", scan_id="s", commit=None, ref=None, scanned_at=T0, triage={"F1": "meh"})
    with pytest.raises(InvalidScan, match="scan id"):
        scan_record(review, repository="r", scan_id=" ", commit=None, ref=None, scanned_at=T0)
    assert not list(tmp_path.rglob("*.parquet"))


def _append_many(root: str, worker: int, count: int) -> None:
    warehouse = Warehouse(Path(root))
    for index in range(count):
        warehouse.append_review(
            review_of(("F1", "F2"), index + 1),
            repository="shared",
            scan_id=f"w{worker}-{index}",
            commit=None,
            ref=None,
            scanned_at=T0 + timedelta(minutes=worker * 100 + index),
        )


def test_threads_append_different_scans_concurrently(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(_append_many, [str(tmp_path)] * 4, range(4), [5] * 4))
    with WarehouseQueries(tmp_path) as queries:
        assert queries.scans().height == 20
        assert queries.findings_by_scan()["findings"].sum() == 40


def test_processes_append_different_scans_concurrently(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        list(pool.map(_append_many, [str(tmp_path)] * 2, range(2), [6] * 2))
    with WarehouseQueries(tmp_path) as queries:
        assert queries.scans().height == 12
        new_and_fixed = queries.new_and_fixed()
        assert new_and_fixed["new"].to_list() == [2] + [0] * 11


def test_a_corrupt_parquet_file_is_a_clear_error(tmp_path: Path) -> None:
    warehouse = build_history(tmp_path)
    queries = WarehouseQueries(tmp_path)
    corrupt = tmp_path / "findings" / "repository=alpha" / "date=2024-03-04" / "part-corrupt.parquet"
    corrupt.write_bytes(b"not parquet at all, definitely not")
    with pytest.raises(CorruptWarehouse, match="part-corrupt"):
        queries.refresh()
    queries.close()
    with pytest.raises(CorruptWarehouse, match="part-corrupt"):
        WarehouseQueries(tmp_path)
    (tmp_path / "scans" / "repository=alpha" / "date=2024-03-04" / "part-bad.parquet").write_bytes(b"junk")
    with pytest.raises(CorruptWarehouse, match="part-bad"):
        warehouse.has_scan("alpha", "a1")
    with pytest.raises(CorruptWarehouse):
        warehouse.compact()


def test_a_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseNotFound, match="no warehouse"):
        WarehouseQueries(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(WarehouseNotFound):
        WarehouseQueries(tmp_path / "file")
    with pytest.raises(WarehouseNotFound):
        Warehouse(tmp_path / "file")


def test_the_default_root_is_under_reviewlab_home(tmp_path: Path) -> None:
    assert default_root().name == "warehouse"
    assert default_root(Settings(reviewlab_home=tmp_path)) == tmp_path / "warehouse"
    assert default_root(Settings(reviewlab_home=tmp_path, reviewlab_warehouse_dir=tmp_path / "w")) == tmp_path / "w"
