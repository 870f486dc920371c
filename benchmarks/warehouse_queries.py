"""Dashboard queries over a synthetic warehouse of 1,000,000 findings: each must answer in under 200 ms.

Builds 20 repositories x 100 scans x 500 findings (three scans a day; each scan fixes about 3% of the
previous findings, introduces as many new ones and brings a few old ones back; about 4% of findings triaged
false positive) with ``Warehouse.append_scan``, compacts, then times every query warm (median of 5 runs after
one warm-up) and prints a Markdown table.

Usage: python benchmarks/warehouse_queries.py [--root DIR] [--repositories N] [--scans N] [--findings N]
(a temp dir by default, removed afterwards; a --root that already holds scans is queried as it is).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from reviewlab.warehouse import FileMetricsRow, FindingRow, ScanRecord, Warehouse, WarehouseQueries

TARGET_MS = 200.0
RUNS = 5
START = datetime(2025, 1, 6, tzinfo=UTC)
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_WEIGHTS = (1, 8, 30, 40, 21)
RULES = tuple(f"PY-{kind}{number:03d}" for kind in "SQP" for number in range(1, 21))
FILES = 100


def fingerprint_kind(rng: random.Random) -> tuple[str, str, str]:
    rule = rng.choice(RULES)
    category = {"S": "security", "Q": "quality", "P": "performance"}[rule[3]]
    severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
    return rule, category, severity


class Fingerprints:
    """The findings one repository has ever had: fingerprint -> (rule, category, severity, path, false positive)."""

    def __init__(self, repository: str, rng: random.Random) -> None:
        self.repository = repository
        self.rng = rng
        self.kinds: dict[str, tuple[str, str, str, str, bool]] = {}

    def new(self) -> str:
        fingerprint = f"{self.repository}-{len(self.kinds) + 1:07d}"
        rule, category, severity = fingerprint_kind(self.rng)
        path = f"src/module_{int(self.rng.paretovariate(1.2)) % FILES:03d}.py"
        self.kinds[fingerprint] = (rule, category, severity, path, self.rng.random() < 0.04)
        return fingerprint


def history(warehouse: Warehouse, repositories: int, scans: int, per_scan: int) -> None:
    rng = random.Random(20260101)  # noqa: S311 - reproducible data, not security
    for repo_index in range(repositories):
        repository = f"repo-{repo_index:02d}"
        pool = Fingerprints(repository, rng)
        kinds = pool.kinds
        current = [pool.new() for _ in range(per_scan)]
        gone: list[str] = []
        for scan_index in range(scans):
            if scan_index:
                churn = max(1, per_scan * 3 // 100)
                fixed = set(rng.sample(current, churn))
                current = [fp for fp in current if fp not in fixed]
                back = [gone.pop(rng.randrange(len(gone))) for _ in range(min(2, len(gone)))]
                gone.extend(fixed)
                current += back + [pool.new() for _ in range(churn - len(back))]
            findings = tuple(
                FindingRow(
                    fingerprint=fp,
                    rule_id=kinds[fp][0],
                    category=kinds[fp][1],
                    severity=kinds[fp][2],
                    confidence="high",
                    cwe=78 if kinds[fp][1] == "security" else None,
                    path=kinds[fp][3],
                    start_line=1 + int(fp[-7:]) % 400,
                    message=f"problem {fp}",
                    triage_status="false_positive" if kinds[fp][4] else None,
                )
                for fp in current
            )
            files = tuple(
                FileMetricsRow(
                    path=f"src/module_{index:03d}.py",
                    language="python",
                    lines=200 + index,
                    code_lines=150 + index,
                    comment_lines=20,
                    cyclomatic=40 + scan_index % 7,
                    functions=10,
                    max_cyclomatic=5 + (index + scan_index) % 20,
                    mean_cyclomatic=3.0 + (scan_index % 5) / 10,
                    max_cognitive=8 + (index + scan_index) % 30,
                    mean_cognitive=4.0 + (scan_index % 3) / 10,
                    maintainability_index=60.0 + (index % 30),
                    has_errors=False,
                )
                for index in range(FILES)
            )
            warehouse.append_scan(
                ScanRecord(
                    scan_id=f"{repository}-scan-{scan_index:04d}",
                    repository=repository,
                    scanned_at=START + timedelta(hours=8 * scan_index, minutes=repo_index),
                    commit=f"{scan_index:040x}",
                    ref="main",
                    lines=30_000,
                    duration_s=12.5,
                    findings=findings,
                    files=files,
                )
            )


def timed(query: Callable[[], pl.DataFrame]) -> tuple[float, int]:
    rows = query().height  # warm-up
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        query()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="build the warehouse here (kept) instead of a temp dir")
    parser.add_argument("--repositories", type=int, default=20)
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--findings", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warehouse-bench-") as temp:
        root = args.root or Path(temp)
        warehouse = Warehouse(root)
        if not warehouse.repositories():
            started = time.perf_counter()
            history(warehouse, args.repositories, args.scans, args.findings)
            built = time.perf_counter()
            compaction = warehouse.compact()
            compacted = time.perf_counter()
            print(
                f"built {args.repositories * args.scans * args.findings:,} findings in {built - started:.1f} s; "
                f"compacted {compaction.files_merged} files into {compaction.partitions} in {compacted - built:.1f} s"
            )
        last_repository = f"repo-{args.repositories - 1:02d}"
        since = START + timedelta(days=10)
        opened = time.perf_counter()
        with WarehouseQueries(root) as queries:
            print(f"opened (snapshot loaded) in {time.perf_counter() - opened:.1f} s")
            cases: list[tuple[str, Callable[[], pl.DataFrame]]] = [
                ("findings_by_scan(severity)", lambda: queries.findings_by_scan("severity")),
                (
                    "findings_by_scan(category, repository)",
                    lambda: queries.findings_by_scan("category", repository=last_repository),
                ),
                ("findings_by_period(severity, week)", lambda: queries.findings_by_period("severity", "week")),
                ("new_and_fixed()", queries.new_and_fixed),
                (
                    "new_and_fixed(repository, since)",
                    lambda: queries.new_and_fixed(repository=last_repository, since=since),
                ),
                ("time_to_fix(all)", queries.time_to_fix),
                ("time_to_fix(severity)", lambda: queries.time_to_fix("severity")),
                ("time_to_fix(rule_id)", lambda: queries.time_to_fix("rule_id")),
                ("hotspots(latest)", queries.hotspots),
                ("hotspots(window, since)", lambda: queries.hotspots(scope="window", since=since)),
                ("complexity_trends()", queries.complexity_trends),
                ("false_positive_rules()", queries.false_positive_rules),
            ]
            print(f"\n| query | rows | median of {RUNS} (ms) | target (ms) | |")
            print("| --- | ---: | ---: | ---: | --- |")
            for name, query in cases:
                median, rows = timed(query)
                verdict = "ok" if median < TARGET_MS else "SLOW"
                print(f"| {name} | {rows} | {median:.1f} | {TARGET_MS:.0f} | {verdict} |")


if __name__ == "__main__":
    main()
