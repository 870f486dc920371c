"""Engine throughput: reviewlab beside bandit on the same large real Python corpus.

Runs, each as its own process on the same files:
  1. reviewlab cold (empty result cache), ``--jobs N`` (default: all cores);
  2. reviewlab warm (the same tree again, every file answered by the cache);
  3. bandit (``bandit -r``; single process, as bandit has no parallel mode).
and prints lines per second, wall time and peak memory, plus the ratios the targets are set in:
reviewlab cold lines/s over bandit's, and cold over warm — both for the whole command (which
includes about half a second of interpreter start and imports) and for the engine's own review
time (``duration_seconds`` in the JSON report: what a long-running API or Dagster worker pays).

Usage: python benchmarks/engine_throughput.py [--corpus DIR] [--jobs N] [--repeat K] [--markdown]
The default corpus is the SQLAlchemy package installed in this environment.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass
class Run:
    name: str
    seconds: float
    peak_rss_mib: float
    lines: int
    engine_seconds: float | None = None  # reviewlab's own review() time, from its JSON report

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds


def default_corpus() -> Path:
    import sqlalchemy

    return Path(sqlalchemy.__file__).parent


def count_lines(corpus: Path) -> tuple[int, int]:
    files = lines = 0
    for path in corpus.rglob("*.py"):
        files += 1
        with path.open("rb") as handle:
            lines += sum(1 for _ in handle)
    return files, lines


def timed(name: str, command: list[str], env: dict[str, str], lines: int, report: Path | None = None) -> Run:
    """Run a command to completion; wall time, and the peak RSS of its largest process (via a fresh wrapper)."""
    wrapper = [sys.executable, __file__, "--measure", "--", *command]
    start = time.perf_counter()
    proc = subprocess.run(wrapper, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-2000:]}")
    engine = json.loads(report.read_text())["duration_seconds"] if report is not None else None
    return Run(name, seconds, int(proc.stdout.strip().splitlines()[-1]) / 1024, lines, engine)


def measure(command: list[str]) -> None:
    """Run ``command``; print the peak RSS (KiB) of its largest process. Exit codes 0 and 1 both mean done."""
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(proc.returncode)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.seconds)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for docs/benchmarks.md")
    args = parser.parse_args()
    corpus = (args.corpus or default_corpus()).resolve()
    files, lines = count_lines(corpus)
    print(f"corpus: {corpus} ({files} Python files, {lines} lines); cores used by reviewlab: {args.jobs}")

    report = Path(tempfile.mkdtemp(prefix="reviewlab-bench-report-")) / "review.json"
    reviewlab = [str(BIN / "reviewlab"), "review", str(corpus), "--no-store", "--format", "json"]
    reviewlab += ["--output", str(report), "--jobs", str(args.jobs)]
    bandit = [str(BIN / "bandit"), "-r", str(corpus), "-q", "-f", "json", "-o", os.devnull]
    cold: list[Run] = []
    warm: list[Run] = []
    peers: list[Run] = []
    for _ in range(args.repeat):
        home = tempfile.mkdtemp(prefix="reviewlab-bench-")
        env = {**os.environ, "REVIEWLAB_HOME": home}
        try:
            cold.append(timed("reviewlab cold", reviewlab, env, lines, report))
            warm.append(timed("reviewlab warm", reviewlab, env, lines, report))
        finally:
            shutil.rmtree(home, ignore_errors=True)
        peers.append(timed("bandit", bandit, dict(os.environ), lines))
    shutil.rmtree(report.parent, ignore_errors=True)

    rows = [best(cold), best(warm), best(peers)]
    ratios = {
        "reviewlab_over_bandit_lines_per_second": round(rows[0].lines_per_second / rows[2].lines_per_second, 2),
        "cold_over_warm_command": round(rows[0].seconds / rows[1].seconds, 2),
        "cold_over_warm_engine": round((rows[0].engine_seconds or 0) / (rows[1].engine_seconds or 1), 2),
    }
    if args.markdown:
        print("| run | wall time (s) | engine time (s) | lines/s | peak RSS (MiB) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for run in rows:
            engine = f"{run.engine_seconds:.2f}" if run.engine_seconds is not None else "-"
            print(
                f"| {run.name} | {run.seconds:.2f} | {engine} | {run.lines_per_second:,.0f} | {run.peak_rss_mib:.0f} |"
            )
    else:
        for run in rows:
            engine = f"(engine {run.engine_seconds:.2f} s)" if run.engine_seconds is not None else ""
            print(
                f"{run.name:<16} {run.seconds:8.2f} s {engine:<18} {run.lines_per_second:12,.0f} lines/s "
                f"peak {run.peak_rss_mib:7.0f} MiB"
            )
    print(json.dumps(ratios))


if __name__ == "__main__":
    main()
