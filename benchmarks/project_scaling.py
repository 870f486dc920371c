"""Scaling of the project-wide analyses: clone detection and the module graph at 1/8, 1/4, 1/2 and all of a corpus.

Both analyses run in two phases (see ``reviewlab.engine.clones`` and ``reviewlab.engine.architecture``):
per-file facts, computed in the review's workers, and one cross-file pass in the parent. The
per-file phase is linear by construction (each file on its own); the question is the cross-file
pass, which must not compare every file with every other. This script computes every file's facts
once, then times the cross-file passes on growing prefixes of a fixed shuffle of the files, and
reports the cost per MB of source at each size: linear scaling keeps that cost flat.

Usage: python benchmarks/project_scaling.py [--corpus DIR ...] [--language FAMILY ...] [--repeat K]
(prints a Markdown table). The default corpus is every Python file of the installed site-packages (a
large, varied corpus with real duplication: vendored copies, generated code, parallel implementations).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import sysconfig
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from reviewlab.engine.architecture import ArchitectureConfig, build_graph, module_facts
from reviewlab.engine.clones import clone_facts, find_clones
from reviewlab.engine.languages import FAMILY, language_for_path, parser_for

FRACTIONS = (8, 4, 2, 1)
MAX_FILE = 1024 * 1024  # the review's default max_file_size


def corpus_files(roots: list[Path], families: set[str]) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            language = language_for_path(path.name)
            if language is None or FAMILY[language] not in families:
                continue
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_FILE:
                files.append((path, language))
    # A fixed shuffle, so that each prefix samples the whole corpus rather than its first directories.
    random.Random(20261130).shuffle(files)  # noqa: S311 - reproducible sampling, not security
    return files


def gather(files: list[tuple[Path, str]], root: Path) -> tuple[list[dict[str, Any]], float, float, float]:
    """Each file's facts (relpath, size, clone and import facts) and the seconds spent parsing and in each."""
    facts: list[dict[str, Any]] = []
    parse = clones = imports = 0.0
    for path, language in files:
        source = path.read_bytes()
        relpath = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        started = time.perf_counter()
        tree = parser_for(language).parse(source)
        parsed = time.perf_counter()
        clone = clone_facts(tree, source, language)
        cloned = time.perf_counter()
        imported = module_facts(relpath, language, tree, source)
        done = time.perf_counter()
        parse, clones, imports = parse + parsed - started, clones + cloned - parsed, imports + done - cloned
        facts.append({"path": relpath, "bytes": len(source), "clones": clone, "imports": imported})
    return facts, parse, clones, imports


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - started)
    return min(times), value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--language",
        action="append",
        choices=sorted(set(FAMILY.values())),
        help="language families to include (default: python; minified JavaScript bundles would dominate a mix)",
    )
    args = parser.parse_args(argv)
    roots = [p.resolve() for p in (args.corpus or [Path(sysconfig.get_paths()["purelib"])])]
    root = roots[0] if len(roots) == 1 else Path("/")
    files = corpus_files(roots, set(args.language or ["python"]))
    if not files:
        print("no supported files in the corpus", file=sys.stderr)
        return 2
    facts, parse, clone_time, import_time = gather(files, root)
    total_mb = sum(f["bytes"] for f in facts) / 1e6
    print(
        f"corpus: {len(facts)} files, {total_mb:.1f} MB; per-file phase (all files): parse {parse:.1f} s, "
        f"clone facts {clone_time:.1f} s, import facts {import_time:.1f} s",
        file=sys.stderr,
    )
    rows = []
    for fraction in FRACTIONS:
        part = facts[: max(1, len(facts) // fraction)]
        megabytes = sum(f["bytes"] for f in part) / 1e6
        clone_input = {f["path"]: f["clones"] for f in part}
        graph_input = {f["path"]: f["imports"] for f in part}
        clone_seconds, groups = best_of(args.repeat, partial(find_clones, clone_input))
        graph_seconds, report = best_of(args.repeat, partial(build_graph, graph_input, root, ArchitectureConfig()))
        imports = sum(len(f["imports"]["imports"]) for f in part)
        rows.append(
            (
                f"1/{fraction}" if fraction > 1 else "all",
                len(part),
                megabytes,
                clone_seconds,
                len(groups),
                graph_seconds,
                imports,
                len(report.edges),
                len(report.cycles),
            )
        )
    header = (
        "| share | files | MB | clone pass (s) | s/MB | clone groups | graph pass (s) | imports | edges "
        "| µs per import + edge | cycles |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    )
    lines = [*header]
    for share, count, mb, clone_s, groups_n, graph_s, imports, edges, cycles in rows:
        lines.append(
            f"| {share} | {count} | {mb:.1f} | {clone_s:.2f} | {clone_s / mb:.3f} | {groups_n} | {graph_s:.2f} "
            f"| {imports} | {edges} | {graph_s / (imports + edges) * 1e6:.1f} | {cycles} |"
        )
    clone_cost = [r[3] / r[2] for r in rows]
    graph_cost = [r[5] / (r[6] + r[7]) for r in rows]
    summary = (
        f"From 1/8 to the whole corpus the clone pass's cost per MB varies by a factor of "
        f"{max(clone_cost) / min(clone_cost):.2f} and the graph pass's cost per import and edge by "
        f"{max(graph_cost) / min(graph_cost):.2f} (1.0 = perfectly linear; quadratic would be 8.0). The graph's "
        "input is the imports; its edges grow faster than the files in a random sample, since an edge needs both "
        f"ends in the sample. Medians: {statistics.median(clone_cost):.3f} s/MB, "
        f"{statistics.median(graph_cost) * 1e6:.1f} µs per import and edge."
    )
    print("\n".join(lines))
    print()
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
