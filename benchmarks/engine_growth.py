"""Engine cost growth: a review's time and peak memory at 1/8, 1/4, 1/2 and all of a corpus, and at up to 100k files.

Two measurements, each review its own ``reviewlab review --no-store --format json`` process with an empty result
cache (a cold review: every file parsed and analysed), its wall time, the engine's own time (``duration_seconds``)
and the peak resident memory of its largest process (the parent, which gathers what the workers send back):

1. **growth** (default): a fixed shuffle of the installed site-packages' packages (real, varied code; each package
   whole, ``--sample files`` shuffles single files instead), cut to ``--max-mb`` of source (default 96 MB) as "the
   whole"; the review runs on the first 1/8, 1/4, 1/2 and all of it by bytes, each a tree of hard links (copies
   across file systems) keeping the files' relative paths. Linear growth keeps the seconds per MB flat; the table
   also gives each size's ratio to the 1/8 run next to the size ratio, and the CPU time of the review process
   (all of the work with ``--jobs 1``, the parent's share with more).
2. **files** (``--files 12500,25000,50000,100000``): synthetic Python modules (about 2.5 KB each: a few functions
   with arithmetic, branches and loops, every local used, one shell call in 50 files), generated once into
   ``--workdir``, reviewed at each count. What must not happen is memory growing with the *source* (holding
   sources or syntax trees) or with the records and findings (a review of that many files spools them to disk);
   the table gives how much the peak grows per file.

Usage: python benchmarks/engine_growth.py [--max-mb 96] [--sample packages|files] [--parts] [--jobs N] [--json F]
       python benchmarks/engine_growth.py --files 12500,25000,50000,100000 [--workdir DIR] [--jobs N] [--json F]
(prints Markdown tables for docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
MAX_FILE = 1024 * 1024  # the review's default max_file_size: larger files would be skipped, so are not sampled
FRACTIONS = (8, 4, 2, 1)


@dataclass
class Run:
    label: str
    files: int
    megabytes: float
    seconds: float
    engine_seconds: float
    cpu_seconds: float  # user + system time of the review and its workers: the work done, whatever else ran
    peak_rss_mib: float
    findings: int


# --- measuring one review -------------------------------------------------------------------------


def measure(command: list[str]) -> None:
    """(In a wrapper process) run ``command``; print the peak RSS (KiB) of its largest process."""
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if proc.returncode not in (0, 1):  # 1: findings at or above the failing severity
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(proc.returncode)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def review(label: str, tree: Path, files: int, megabytes: float, jobs: int) -> Run:
    """A cold review of ``tree`` in its own process (under a fresh wrapper, so the peak RSS is this review's)."""
    with tempfile.TemporaryDirectory(prefix="reviewlab-growth-") as home:
        report = Path(home) / "review.json"
        command = [str(BIN / "reviewlab"), "review", str(tree), "--no-store", "--format", "json"]
        command += ["--output", str(report), "--jobs", str(jobs)]
        env = {**os.environ, "REVIEWLAB_HOME": home}
        started = time.perf_counter()
        wrapper = [sys.executable, __file__, "--measure", "--", *command]
        proc = subprocess.run(wrapper, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"the review of {label} failed:\n{proc.stderr[-3000:]}")
        data = json.loads(report.read_text())
    maxrss, cpu = proc.stdout.strip().splitlines()[-1].split()
    peak = int(maxrss) / 1024
    run = Run(label, files, megabytes, seconds, data["duration_seconds"], float(cpu), peak, len(data["findings"]))
    print(
        f"  {label}: {files:,} files, {megabytes:.1f} MB -> {seconds:.1f} s (engine {run.engine_seconds:.1f} s, "
        f"CPU {run.cpu_seconds:.1f} s), peak {peak:.0f} MiB, {run.findings:,} findings",
        file=sys.stderr,
    )
    return run


# --- the corpora ----------------------------------------------------------------------------------


def site_packages_sample(max_bytes: int, unit: str = "packages") -> list[tuple[Path, Path]]:
    """(root, file) pairs of site-packages' Python files in a fixed shuffle, cut to ``max_bytes`` of source.

    ``unit`` is what is shuffled: whole ``packages`` (each top-level directory or module of site-packages with all
    its files, in path order), so any share of the sample is a set of complete projects whose imports of each other
    resolve as in the whole; or single ``files``, so a share holds that fraction of each package and fewer of a
    file's imports resolve to a module the review sees (the cross-module analyses then do less per file in a small
    share than in the whole)."""
    root = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in root.rglob("*.py") if p.is_file() and not p.is_symlink() and p.stat().st_size <= MAX_FILE)
    rng = random.Random(20261130)  # noqa: S311 - reproducible sampling, not security
    if unit == "files":
        rng.shuffle(files)
    else:
        packages: dict[str, list[Path]] = {}
        for path in files:
            packages.setdefault(path.relative_to(root).parts[0], []).append(path)
        names = sorted(packages)
        rng.shuffle(names)
        files = [path for name in names for path in packages[name]]
    chosen: list[tuple[Path, Path]] = []
    total = 0
    for path in files:
        size = path.stat().st_size
        if total + size > max_bytes:
            break
        chosen.append((root, path))
        total += size
    return chosen


def _prefix_of_bytes(sizes: list[int], wanted: float) -> int:
    """How many of the first files make ``wanted`` bytes (the first that reaches it included)."""
    total = 0
    for count, size in enumerate(sizes, start=1):
        total += size
        if total >= wanted:
            return count
    return len(sizes)


def linked_tree(files: list[tuple[Path, Path]], into: Path) -> None:
    """``files`` under ``into`` at their paths relative to their roots, hard-linked where possible."""
    for root, path in files:
        target = into / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)


WORDS = ("total", "count", "index", "value", "item", "row", "name", "size", "limit", "offset", "result", "data")


def synthetic_module(rng: random.Random, number: int) -> str:
    """A plausible Python module: imports it uses, a few functions whose locals are all read, branches and loops."""
    lines = ["import logging", "import math", "", "log = logging.getLogger(__name__)", ""]
    for function in range(rng.randrange(2, 5)):
        params = [f"{rng.choice(WORDS)}_{k}" for k in range(rng.randrange(1, 4))]
        known = list(params)
        lines.append(f"def {rng.choice(WORDS)}_{number}_{function}({', '.join(params)}):")
        lines.append(f'    """Compute the {rng.choice(WORDS)} of {", ".join(params)}."""')
        for step in range(rng.randrange(3, 9)):
            local = f"{rng.choice(WORDS)}_{function}{step}"
            left, right = rng.choice(known), rng.choice(known)
            shape = rng.random()
            if shape < 0.2:
                lines += [f"    {local} = 0", f"    for item in range(len(str({left}))):"]
                lines.append(f"        {local} += item * 2")
            elif shape < 0.4:
                lines += [
                    f"    if {left} > {right}:",
                    f"        {local} = {left} - {right}",
                    "    else:",
                    f"        {local} = math.floor({right} / 2)",
                ]
            elif shape < 0.5:
                lines += [f"    {local} = {left} * {rng.randrange(2, 99)}", f'    log.debug("{local}=%s", {local})']
            else:
                lines.append(f"    {local} = {left} + {right} * {rng.randrange(1, 999)}")
            known.append(local)
        lines += [f"    return {' + '.join(known[len(params) :]) or params[0]}", "", ""]
    if number % 50 == 0:
        lines = ["import os", *lines, "def run(command):", "    return os.system(command)", ""]
    return "\n".join(lines)


def synthetic_tree(into: Path, count: int) -> None:
    """``count`` synthetic modules under ``into`` (1,000 per package directory); kept if already there."""
    marker = into / f".complete-{count}"
    if marker.exists():
        return
    shutil.rmtree(into, ignore_errors=True)
    for number in range(count):
        rng = random.Random(number)  # noqa: S311 - reproducible: module n is the same in every tree
        package = into / f"pkg{number // 1000:03d}"
        if number % 1000 == 0:
            package.mkdir(parents=True)
            (package / "__init__.py").write_text("")
        (package / f"mod{number % 1000:03d}.py").write_text(synthetic_module(rng, number))
    marker.touch()


def tree_size(tree: Path) -> tuple[int, float]:
    files = [p for p in tree.rglob("*.py") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files) / 1e6


# --- tables ---------------------------------------------------------------------------------------


def growth_table(runs: list[Run]) -> str:
    base = runs[0]
    lines = [
        "| share | files | MB | findings | wall s | engine s | engine s/MB | CPU s | CPU s/MB | peak RSS MiB | size x"
        " | engine x | CPU x | memory x |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        lines.append(
            f"| {run.label} | {run.files:,} | {run.megabytes:.1f} | {run.findings:,} | {run.seconds:.1f} | "
            f"{run.engine_seconds:.1f} | {run.engine_seconds / run.megabytes:.3f} | {run.cpu_seconds:.1f} | "
            f"{run.cpu_seconds / run.megabytes:.3f} | {run.peak_rss_mib:.0f} | "
            f"{run.megabytes / base.megabytes:.2f} | {run.engine_seconds / base.engine_seconds:.2f} | "
            f"{run.cpu_seconds / base.cpu_seconds:.2f} | "
            f"{run.peak_rss_mib / base.peak_rss_mib:.2f} |"
        )
    return "\n".join(lines)


def parts_table(parts: list[Run], whole: Run) -> str:
    """The whole against its eighths reviewed apart: linear growth makes the whole cost what its parts cost."""
    lines = [
        "| review | files | MB | engine s | CPU s | engine s/MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in parts:
        lines.append(
            f"| {run.label} | {run.files:,} | {run.megabytes:.1f} | {run.engine_seconds:.1f} | {run.cpu_seconds:.1f} | "
            f"{run.engine_seconds / run.megabytes:.3f} |"
        )
    engine, cpu = sum(r.engine_seconds for r in parts), sum(r.cpu_seconds for r in parts)
    megabytes, files = sum(r.megabytes for r in parts), sum(r.files for r in parts)
    lines.append(
        f"| sum of the eighths | {files:,} | {megabytes:.1f} | {engine:.1f} | {cpu:.1f} | {engine / megabytes:.3f} |"
    )
    lines.append(
        f"| the whole at once | {whole.files:,} | {whole.megabytes:.1f} | {whole.engine_seconds:.1f} | "
        f"{whole.cpu_seconds:.1f} | {whole.engine_seconds / whole.megabytes:.3f} |"
    )
    lines.append(f"| whole / sum | | | {whole.engine_seconds / engine:.2f} | {whole.cpu_seconds / cpu:.2f} | |")
    return "\n".join(lines)


def files_table(runs: list[Run]) -> str:
    lines = [
        "| files | MB | findings | wall s | engine s | ms/file | peak RSS MiB | KiB/file (peak over the first) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = runs[0]
    for run in runs:
        marginal = (
            (run.peak_rss_mib - base.peak_rss_mib) * 1024 / (run.files - base.files) if run.files > base.files else None
        )
        lines.append(
            f"| {run.files:,} | {run.megabytes:.0f} | {run.findings:,} | {run.seconds:.0f} | "
            f"{run.engine_seconds:.0f} | "
            f"{1000 * run.engine_seconds / run.files:.2f} | {run.peak_rss_mib:.0f} | "
            f"{'-' if marginal is None else f'{marginal:.2f}'} |"
        )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-mb", type=float, default=96.0, help="size of 'the whole' corpus in MB (default: 96)")
    parser.add_argument("--files", help="synthetic file counts, comma-separated (the 100k-file measurement)")
    parser.add_argument("--workdir", type=Path, help="where synthetic trees are kept (default: temp)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--sample",
        choices=["packages", "files"],
        default="packages",
        help="shuffle whole site-packages packages (default) or single files; see site_packages_sample",
    )
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also review the other seven eighths one by one: the whole against the sum of its eighths",
    )
    parser.add_argument("--json", type=Path, help="also write the runs here")
    args = parser.parse_args()

    runs: list[Run] = []
    parts: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="reviewlab-growth-trees-") as scratch:
        if args.files:
            counts = sorted(int(n) for n in args.files.split(","))
            workdir = args.workdir or Path(scratch)
            for count in counts:
                tree = workdir / f"synthetic-{count}"
                print(f"generating {count:,} modules in {tree} ...", file=sys.stderr)
                synthetic_tree(tree, count)
                files, megabytes = tree_size(tree)
                runs.append(review(f"{count:,} files", tree, files, megabytes, args.jobs))
            print(files_table(runs))
        else:
            sample = site_packages_sample(int(args.max_mb * 1e6), args.sample)
            sizes = [path.stat().st_size for _, path in sample]
            for fraction in FRACTIONS:
                part = sample[: _prefix_of_bytes(sizes, sum(sizes) / fraction)]
                tree = Path(scratch) / f"share-{fraction}"
                linked_tree(part, tree)
                files, megabytes = tree_size(tree)
                runs.append(review("all" if fraction == 1 else f"1/{fraction}", tree, files, megabytes, args.jobs))
                shutil.rmtree(tree)
            print(growth_table(runs))
            if args.parts:
                bounds = [_prefix_of_bytes(sizes, sum(sizes) * k / 8) for k in range(9)]
                bounds[0] = 0
                parts.append(runs[0])  # the first eighth is the 1/8 share
                for k in range(1, 8):
                    tree = Path(scratch) / f"eighth-{k + 1}"
                    linked_tree(sample[bounds[k] : bounds[k + 1]], tree)
                    files, megabytes = tree_size(tree)
                    parts.append(review(f"eighth {k + 1}", tree, files, megabytes, args.jobs))
                    shutil.rmtree(tree)
                print()
                print(parts_table(parts, runs[-1]))
    if args.json:
        report = {
            "jobs": args.jobs,
            "cores": os.cpu_count(),
            "runs": [asdict(run) for run in runs],
            "parts": [asdict(run) for run in parts],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
