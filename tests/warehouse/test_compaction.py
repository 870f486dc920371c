"""Compaction merges each partition's part files into one, keeping every row exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from reviewlab.warehouse import Compaction, Warehouse, WarehouseQueries
from tests.warehouse.test_queries import T0, build_history, review_of


def answers(queries: WarehouseQueries) -> list[pl.DataFrame]:
    return [
        queries.scans(),
        queries.findings_by_scan("category"),
        queries.findings_by_period("severity", "day"),
        queries.new_and_fixed(),
        queries.time_to_fix("rule_id"),
        queries.hotspots(scope="window"),
        queries.complexity_trends(),
        queries.false_positive_rules(),
    ]


def add_same_day_scans(warehouse: Warehouse) -> None:
    # Three more alpha scans on the first day, so that its partitions hold several part files.
    for index, hours in enumerate((2, 3, 4)):
        warehouse.append_review(
            review_of(("F1", "F2", "F3"), 1),
            repository="alpha",
            scan_id=f"extra-{index}",
            commit=None,
            ref=None,
            scanned_at=T0 + timedelta(hours=hours),
        )


def test_compaction_keeps_every_row_once_and_the_answers_unchanged(tmp_path: Path) -> None:
    warehouse = build_history(tmp_path)
    add_same_day_scans(warehouse)
    with WarehouseQueries(tmp_path) as queries:
        before = answers(queries)
        result = warehouse.compact()
        after = answers(queries)
    # alpha 2024-03-04 has a1 + 3 extra scans; beta 2024-03-04 has b1 and b2: 2 partitions per table.
    assert result == Compaction(partitions=6, files_merged=18, rows=4 + 2 + 12 + 3 + 8 + 4)
    for old, new in zip(before, after, strict=True):
        assert new.equals(old)
    for table in ("scans", "findings", "file_metrics"):
        for partition in (tmp_path / table).glob("*/*"):
            assert len(list(partition.glob("*.parquet"))) == 1, partition
    assert warehouse.compact() == Compaction()


def test_compaction_of_one_repository_before_a_date(tmp_path: Path) -> None:
    warehouse = build_history(tmp_path)
    add_same_day_scans(warehouse)
    assert warehouse.compact(repository="alpha", before=date(2024, 3, 4)) == Compaction()
    result = warehouse.compact(repository="alpha", before=date(2024, 3, 5))
    assert result.partitions == 3
    assert len(list((tmp_path / "scans" / "repository=beta" / "date=2024-03-04").glob("*.parquet"))) == 2
