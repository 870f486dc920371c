"""Taint throughput: what the taint-driven rules cost a cold review of a large real corpus.

Reviews each corpus in this process, with no result cache, twice per round: once with every rule,
once with the taint-driven rules deselected through ``ReviewConfig(ignore=...)``. The taint rules
are found, not listed: the Python rules of every pack module that imports ``reviewlab.engine.taint``
(directly or through another rules module) or whose name has "flow" or "inject" in it, plus
PY-S001..S004 and PY-S012..S018. (The corpora are Python, so only Python rules run; the packs of
other languages also use the shared taint core, and deselecting their quality rules would change
nothing but the rule count.)

The two runs alternate; of ``--repeat`` rounds the fastest counts (by CPU time with ``--jobs 1``,
else by wall time), and a small warm-up review first loads tree-sitter and the rules so neither
run pays for the imports. Prints lines, wall seconds, lines/s and the ratio all / without taint
(target: <= 2.0); with ``--jobs 1`` also this process's CPU seconds and their ratio, which other
load on the machine disturbs far less than wall time.

Usage: python benchmarks/taint_throughput.py [--corpus DIR ...] [--jobs N] [--repeat K] [--markdown]
       [--json OUT]
The default corpora are SQLAlchemy and pandas from this environment's site-packages (whichever are
installed; if neither, the largest installed package).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import json
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.packversion import rule_pack_version
from reviewlab.engine.pipeline import review
from reviewlab.engine.rules import all_rules

TARGET_RATIO = 2.0
LISTED_TAINT_RULES = (*(f"PY-S{n:03d}" for n in range(1, 5)), *(f"PY-S{n:03d}" for n in range(12, 19)))
RULES_PACKAGE = "reviewlab.engine.rules"
TAINT_PACKAGE = "reviewlab.engine.taint"


@dataclass
class Measurement:
    corpus: str
    files: int
    lines: int
    rules: int
    findings: int
    seconds: float
    cpu_seconds: float

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds


# --- which rules are the taint rules -----------------------------------------------------------


def _imported_modules(module: ModuleType) -> set[str]:
    """Absolute module names a module imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def uses_taint(name: str, seen: set[str] | None = None) -> bool:
    """Whether the module imports reviewlab.engine.taint, directly or through other reviewlab modules."""
    seen = set() if seen is None else seen
    if name in seen:
        return False
    seen.add(name)
    module = sys.modules.get(name)
    if module is None:
        return False
    for imported in _imported_modules(module):
        if imported == TAINT_PACKAGE or imported.startswith(TAINT_PACKAGE + "."):
            return True
        if imported.startswith(RULES_PACKAGE + ".") and uses_taint(imported, seen):
            return True
    return False


def rule_packs() -> dict[str, tuple[str, ...]]:
    """Each loaded rules module with a ``RULES`` tuple: its rule ids."""
    all_rules()  # loads every pack
    packs = {}
    for name, module in sorted(sys.modules.items()):
        if name.startswith(RULES_PACKAGE + ".") and isinstance(getattr(module, "RULES", None), tuple | list):
            packs[name] = tuple(rule.id for rule in module.RULES)
    return packs


def taint_rule_ids(language: str = "python") -> tuple[tuple[str, ...], list[str]]:
    """(the taint rule ids among the rules for ``language``, the pack modules they come from)."""
    for_language = {rule.id for rule in all_rules() if language in rule.languages}
    ids = {rule_id for rule_id in LISTED_TAINT_RULES if rule_id in for_language}
    packs = []
    for name, rule_ids in rule_packs().items():
        short = name.rsplit(".", 1)[-1]
        selected = for_language.intersection(rule_ids)
        if selected and (uses_taint(name) or "flow" in short or "inject" in short):
            packs.append(short)
            ids.update(selected)
    return tuple(sorted(ids)), packs


# --- corpora and measurement -------------------------------------------------------------------


def default_corpora() -> list[Path]:
    corpora = []
    for package in ("sqlalchemy", "pandas"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            corpora.append(Path(spec.origin).parent)
    return corpora or [largest_installed_package()]


def largest_installed_package() -> Path:
    site = Path(sysconfig.get_paths()["purelib"])
    packages = [p for p in site.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    if not packages:
        raise SystemExit(f"no installed package to review under {site}")
    return max(packages, key=lambda p: sum(f.stat().st_size for f in p.rglob("*.py")))


def measure(corpus: Path, config: ReviewConfig, jobs: int) -> Measurement:
    started, cpu_started = time.perf_counter(), time.process_time()
    result = review(corpus, config, jobs=jobs)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    rules = sum(1 for rule in all_rules() if "python" in rule.languages and config.rule_enabled(rule.id))
    return Measurement(corpus.name, len(result.files), result.lines, rules, len(result.findings), seconds, cpu_seconds)


def warm_up(configs: Iterable[ReviewConfig]) -> None:
    with tempfile.TemporaryDirectory(prefix="reviewlab-taint-warmup-") as tmp:
        sample = Path(tmp) / "sample.py"
        sample.write_text("import os\n\n\ndef f(request):\n    return open(os.path.join('/srv', request.args['p']))\n")
        for config in configs:
            review(sample, config, jobs=1)


def compare(corpus: Path, jobs: int, repeat: int, ignore: tuple[str, ...]) -> tuple[Measurement, Measurement]:
    with_taint, without_taint = ReviewConfig(), ReviewConfig(ignore=ignore)
    warm_up([with_taint, without_taint])
    alls: list[Measurement] = []
    bases: list[Measurement] = []
    for _ in range(repeat):
        alls.append(measure(corpus, with_taint, jobs))
        bases.append(measure(corpus, without_taint, jobs))
    fastest = "cpu_seconds" if jobs == 1 else "seconds"
    return min(alls, key=lambda m: getattr(m, fastest)), min(bases, key=lambda m: getattr(m, fastest))


def _verdict(ratio: float) -> str:
    return f"{ratio:.2f}x ({'within' if ratio <= TARGET_RATIO else 'OVER'} the {TARGET_RATIO:.0f}x budget)"


def print_plain(full: Measurement, base: Measurement, row: dict[str, Any], cpu: bool) -> None:
    for label, m in (("all rules", full), ("without taint", base)):
        cpu_text = f" cpu {m.cpu_seconds:7.2f} s" if cpu else ""
        print(
            f"{m.corpus:<12} {label:<14} {m.rules:3d} rules {m.files:5d} files {m.lines:9,d} lines "
            f"{m.seconds:8.2f} s{cpu_text} {m.lines_per_second:10,.0f} lines/s {m.findings:6d} findings"
        )
    print(f"{full.corpus:<12} wall time, all / without taint: {_verdict(row['wall_ratio'])}")
    if cpu:
        print(f"{full.corpus:<12} CPU time, all / without taint: {_verdict(row['cpu_ratio'])}")


def print_markdown(rows: list[dict[str, Any]], cpu: bool) -> None:
    cpu_head, cpu_rule = (" CPU (s) |", " ---: |") if cpu else ("", "")
    ratio_head, ratio_rule = (" wall ratio | CPU ratio |", " ---: | ---: |") if cpu else (" ratio |", " ---: |")
    print(f"| corpus | rules (Python) | files | lines | wall (s) |{cpu_head} lines/s | findings |{ratio_head}")
    print(f"| --- | --- | ---: | ---: | ---: |{cpu_rule} ---: | ---: |{ratio_rule}")
    for row in rows:
        for label, key in (("all", "all_rules"), ("without taint", "without_taint")):
            m = Measurement(**row[key])
            first = key == "all_rules"
            cpu_cell = f" {m.cpu_seconds:.2f} |" if cpu else ""
            ratios = f" **{row['wall_ratio']:.2f}x** |" if first else " |"
            if cpu:
                ratios += f" **{row['cpu_ratio']:.2f}x** |" if first else " |"
            print(
                f"| {m.corpus} | {label} ({m.rules}) | {m.files:,} | {m.lines:,} | {m.seconds:.2f} |{cpu_cell} "
                f"{m.lines_per_second:,.0f} | {m.findings:,} |{ratios}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, action="append", help="directory to review (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1: the engine alone)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest run of each kind counts")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for docs/benchmarks.md")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the figures as JSON")
    args = parser.parse_args()

    ignore, packs = taint_rule_ids()
    print(f"taint rules deselected ({len(ignore)}, from packs {', '.join(packs)}): {' '.join(ignore)}")
    print(f"rule pack {rule_pack_version()}; jobs: {args.jobs}; fastest of {args.repeat} round(s); cold, in-process")
    cpu = args.jobs == 1  # with worker processes, this process's CPU time is not the review's
    rows = []
    for corpus in [c.resolve() for c in (args.corpus or default_corpora())]:
        full, base = compare(corpus, args.jobs, args.repeat, ignore)
        row = {
            "corpus": str(corpus),
            "all_rules": asdict(full),
            "without_taint": asdict(base),
            "wall_ratio": round(full.seconds / base.seconds, 3),
            "cpu_ratio": round(full.cpu_seconds / base.cpu_seconds, 3) if cpu else None,
        }
        rows.append(row)
        if not args.markdown:
            print_plain(full, base, row, cpu)
    if args.markdown:
        print_markdown(rows, cpu)
    if args.json is not None:
        document = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "rule_pack_version": rule_pack_version(),
            "jobs": args.jobs,
            "repeat": args.repeat,
            "taint_rules": list(ignore),
            "taint_packs": packs,
            "target_ratio": TARGET_RATIO,
            "corpora": rows,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
