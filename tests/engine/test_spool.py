"""A large review's spool: the same result as the in-memory path, on disk, and never left behind."""

from __future__ import annotations

import gc
import os
import tempfile
import tracemalloc
from collections.abc import Iterator
from multiprocessing import forkserver
from pathlib import Path

import pytest

from reviewlab.engine.cache import SqliteResultCache
from reviewlab.engine.clone_spool import (
    each_spooled_clone_finding,
    find_clones_spooled,
    store_groups,
    stored_clone_findings,
)
from reviewlab.engine.clones import CloneGroup, CloneLocation, each_clone_finding, find_clones, sort_groups
from reviewlab.engine.config import ReviewConfig, load_config
from reviewlab.engine.model import FileRecord, ReviewResult
from reviewlab.engine.outcomes import InMemory, SpooledOutcomes
from reviewlab.engine.pipeline import ProgressEvent, _Discovered, review
from reviewlab.engine.spool import Spool, Spooled
from reviewlab.reports import FORMATS, render, render_chunks
from reviewlab.reports.ordering import sorted_diagnostics, sorted_files, sorted_findings
from tests.engine.test_clones import GO, JAVASCRIPT, PARSE, SUMMARIZE, SUMMARIZE_RELAID, SUMMARIZE_RENAMED, facts_of

IN_MEMORY, SPOOLED = 10**9, 0  # ``spool_from`` for either path

CONFIG = """
[reviewlab]
max_file_size = 4000

[reviewlab.severity]
"GEN-Q002" = "medium"
"PY-S002" = "critical"

[reviewlab.architecture]
layers = [{name = "domain", paths = ["app/domain/"], must_not_import = ["api"]}, {name = "api", paths = ["app/api/"]}]
"""


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Spools go under the test's own temporary directory, so what they leave behind can be seen. The pools'
    fork server is started first: its socket, made in the temporary directory, must not get a path too long."""
    forkserver.ensure_running()
    spools = tmp_path / "spools"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    return spools


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Clones across files (type-1, type-2, other languages), an import cycle and a layering violation, a
    suppression, severity overrides, and files the review skips or only partly reads."""
    root = tmp_path / "shop"
    for package in ("app/domain", "app/api", "web", "lib"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / ".reviewlab.toml").write_text(CONFIG)
    (root / "app/domain/orders.py").write_text(
        f"from app.domain import prices\nfrom app.api.views import render\n\n\n{SUMMARIZE}\n"
        "def total(o):\n    return render(o)\n"
    )
    (root / "app/domain/prices.py").write_text(f"from app.domain import orders\n\nVAT = 0.2\n\n\n{SUMMARIZE_RENAMED}")
    (root / "app/api/views.py").write_text(f"import os\n\n\ndef render(o):\n    return os.system(o)\n\n\n{SUMMARIZE}")
    (root / "lib/relaid.py").write_text(f"X = 1\n\n\n{SUMMARIZE_RELAID}\n\n{SUMMARIZE_RENAMED}")
    ignored = SUMMARIZE.replace("def summarize(orders, threshold):", "def again(a, b):  # reviewlab: ignore[GEN-Q002]")
    (root / "lib/ignored.py").write_text(ignored)
    (root / "web/a.js").write_text(JAVASCRIPT % {"name": "a"} + "\n" + JAVASCRIPT % {"name": "b"})
    (root / "web/b.js").write_text(JAVASCRIPT % {"name": "c"})
    (root / "lib/report.go").write_text(GO)
    (root / "lib/parse.py").write_text(f"import re\n\n\n{PARSE}")
    (root / "web/parse.py").write_text(f"VERSION = 2\n\n\n{PARSE}")
    (root / "lib/latin1.py").write_bytes(b"NAME = '\xe9t\xe9'\nexec(NAME)\n")
    (root / "lib/broken.py").write_text("def broken(:\n    pass\n")
    (root / "lib/binary.py").write_bytes(b"\0\1\2" * 10)
    (root / "lib/huge.py").write_text("x = 1\n" * 1000)
    (root / "lib/link.py").symlink_to(root / "lib/relaid.py")
    return root


def _reports(result: ReviewResult) -> dict[str, str]:
    """Every report format, with the times (which differ from run to run) fixed."""
    result.started_at, result.finished_at, result.duration_seconds = "2026-01-01T00:00:00+00:00", "", 1.0
    return {fmt: render(result, fmt) for fmt in FORMATS} | {
        f"{fmt} chunks": "".join(render_chunks(result, fmt)) for fmt in FORMATS
    }


def _review(root: Path, spool_from: int, cache: SqliteResultCache | None = None, jobs: int = 1) -> ReviewResult:
    return review(root, load_config(root / ".reviewlab.toml"), jobs=jobs, cache=cache, spool_from=spool_from)


def test_a_spooled_review_equals_the_in_memory_one(project: Path) -> None:
    memory, spooled = _review(project, IN_MEMORY), _review(project, SPOOLED)
    assert isinstance(spooled.findings, Spooled)
    assert not isinstance(memory.findings, Spooled)
    rules = {f.rule_id for f in memory.findings}
    assert {"GEN-Q002", "GEN-A001", "GEN-A002", "PY-S002"} <= rules
    clones = [f for f in memory.findings if f.rule_id == "GEN-Q002"]
    assert {f.severity.value for f in clones} == {"medium"}
    assert {f.severity.value for f in memory.findings if f.rule_id == "PY-S002"} == {"critical"}
    assert not any(f.path == "lib/ignored.py" and f.rule_id == "GEN-Q002" for f in memory.findings)
    assert any("type-1" in f.message for f in clones)
    assert any("type-2" in f.message for f in clones)
    assert {f.path for f in clones} >= {"app/domain/prices.py", "lib/relaid.py", "web/a.js"}
    kinds = {d.kind.value for d in memory.diagnostics}
    assert {"decode-error", "syntax-error", "skipped-binary", "skipped-too-large", "skipped-symlink"} <= kinds

    assert list(spooled.files) == list(memory.files)
    assert list(spooled.findings) == list(memory.findings)
    assert list(spooled.diagnostics) == list(memory.diagnostics)
    assert list(sorted_findings(spooled)) == list(sorted_findings(memory))
    assert list(sorted_diagnostics(spooled)) == list(sorted_diagnostics(memory))
    assert list(sorted_files(spooled)) == list(sorted_files(memory))
    assert (spooled.lines, spooled.cache_hits, spooled.worst_severity()) == (
        memory.lines,
        memory.cache_hits,
        memory.worst_severity(),
    )
    assert spooled.counts_by_severity() == memory.counts_by_severity()
    assert spooled.counts_by_category() == memory.counts_by_category()
    assert spooled.architecture == memory.architecture
    assert _reports(spooled) == _reports(memory)


def test_warm_spooled_reviews_equal_warm_in_memory_ones(project: Path, tmp_path: Path) -> None:
    cache = SqliteResultCache(tmp_path / "cache.sqlite3")
    try:
        cold = _review(project, SPOOLED, cache, jobs=2)
        warm_spooled, warm_memory = _review(project, SPOOLED, cache), _review(project, IN_MEMORY, cache)
    finally:
        cache.close()
    assert warm_spooled.cache_hits == warm_memory.cache_hits == len(warm_memory.files) > 10
    assert _reports(warm_spooled) == _reports(warm_memory)
    for result in (cold, warm_spooled, warm_memory):
        result.files = [FileRecord(f.path, f.language, f.lines, f.sha256) for f in result.files]  # cached or not
    assert _reports(cold) == _reports(warm_memory)


def test_changing_a_spooled_result_loads_it_once(project: Path) -> None:
    memory, spooled = _review(project, IN_MEMORY), _review(project, SPOOLED)
    first = spooled.findings[0]  # indexing loads the list
    assert first == memory.findings[0]
    assert isinstance(spooled.findings, Spooled)
    assert spooled.findings.loaded
    spooled.diagnostics.append(memory.diagnostics[0])
    memory.diagnostics.append(memory.diagnostics[0])
    del spooled.findings[0], memory.findings[0]
    assert _reports(spooled) == _reports(memory)


def test_the_spool_is_removed_when_the_result_is_closed_or_collected(project: Path, private_temp: Path) -> None:
    with _review(project, SPOOLED) as result:
        assert len(os.listdir(private_temp)) == 1
        assert len(result.findings) > 0
    assert os.listdir(private_temp) == []
    _review(project, SPOOLED)  # not kept
    gc.collect()
    assert os.listdir(private_temp) == []


def test_the_spool_is_removed_when_the_review_fails(project: Path, private_temp: Path) -> None:
    def fail(event: ProgressEvent) -> None:
        if event.stage == "project":
            assert len(os.listdir(private_temp)) == 1  # the spool is there, written
            raise RuntimeError("interrupted")

    config = load_config(project / ".reviewlab.toml")
    with pytest.raises(RuntimeError, match="interrupted"):
        review(project, config, jobs=1, progress=fail, spool_from=SPOOLED)
    assert os.listdir(private_temp) == []


def _copies(count: int) -> dict[str, str]:
    """Files with many copies of one function (more than an index bucket holds), renamed, relaid, shifted, and
    repeated within one file, plus other languages."""
    sources: dict[str, str] = {}
    for number in range(count):
        body = (SUMMARIZE, SUMMARIZE_RENAMED, SUMMARIZE_RELAID)[number % 3]
        sources[f"pkg{number % 4}/m{number:03d}.py"] = "X = 1\n" * (number % 5) + body + "\n" + body * (number % 2)
    sources["web/a.js"] = JAVASCRIPT % {"name": "a"} + "\n" + JAVASCRIPT % {"name": "b"}
    sources["web/b.js"] = JAVASCRIPT % {"name": "c"}
    sources["go/report.go"] = GO
    sources["lib/parse.py"] = sources["lib/parse_copy.py"] = PARSE
    sources["go/copy.go"] = GO.replace("package report", "package copy")
    return sources


@pytest.mark.parametrize(("count", "min_tokens", "min_lines"), [(23, 100, 6), (23, 50, 3), (23, 240, 6), (300, 100, 6)])
def test_clone_groups_from_the_spool_equal_the_in_memory_detector(count: int, min_tokens: int, min_lines: int) -> None:
    """(Over 254 files, the index's eras span several files.)"""
    sources = _copies(count)
    facts = {
        path: facts_of(text, {"js": "javascript", "go": "go"}.get(path.rpartition(".")[2], "python"))
        for path, text in sources.items()
    }
    expected = find_clones(facts, min_tokens=min_tokens, min_lines=min_lines)
    spool = Spool()
    try:
        for path in sorted(facts, reverse=True):  # arrival order is not path order
            spool.add_file(FileRecord(path, "python", 1, ""), [], [], {"clones": facts[path]})
        assert find_clones_spooled(spool, min_tokens=min_tokens, min_lines=min_lines) == expected
        findings = list(each_spooled_clone_finding(spool, min_tokens=min_tokens, min_lines=min_lines))
        assert findings == list(each_clone_finding(expected))
    finally:
        spool.close()
    assert len(expected) >= 2
    if min_tokens == 100:
        assert {group.kind for group in expected} == {"type-1", "type-2"}
        assert max(len(group.locations) for group in expected) > 8


def _module(number: int) -> str:
    """A small module with imports, metrics, a finding, and a function that has type-2 copies elsewhere."""
    names = ("total", "count", "limit", "offset")
    first, second = names[number % 4], names[(number + 1) % 4]
    return (
        f"import os\nimport math\n\n\ndef run_{number}(command):\n    return os.system(command)\n\n\n"
        + SUMMARIZE.replace("summarize", f"summarize_{number}").replace("totals", f"{first}s")
        + f"\n\ndef scale_{number}({first}, {second}):\n    if {first} > {second}:\n"
        f"        return math.floor({first} / {second} + {number})\n    return {second} * {number % 7}\n"
    )


def _peak_growth_per_file(tmp_path: Path, small: int, large: int) -> float:
    """Bytes per file by which the parent's traced peak during a spooled review grows from ``small`` files to
    ``large`` (the analysis runs in worker processes: the parent holds only what the review gathers)."""
    peaks = []
    for count in (4, small, large):  # the first only imports what a review imports
        root = tmp_path / f"tree{count}"
        for number in range(count):
            (root / f"pkg{number // 100}").mkdir(parents=True, exist_ok=True)
            (root / f"pkg{number // 100}" / f"mod{number % 100}.py").write_text(_module(number))
        tracemalloc.start()
        with review(root, jobs=2, spool_from=SPOOLED) as result:
            assert len(result.files) == count
            assert len(result.findings) >= count
            peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return (peaks[2] - peaks[1]) / (large - small)


@pytest.mark.slow
def test_the_peak_memory_of_a_spooled_review_does_not_grow_with_the_files(tmp_path: Path) -> None:
    growth = _peak_growth_per_file(tmp_path, 100, 400)
    # In memory, a file of this test costs over 10 KB at the peak; spooled, with the module graph and the clones'
    # pairs and groups held (before 2026-12-01), 2.3 KB. Now about 1 KB remains: all the files of this test are
    # copies of one function, so its one clone group names every file, and each copy's finding relates all the
    # others (the report's own size, one group and one finding at a time).
    assert growth < 1600, f"{growth:.0f} bytes per file"


def test_spooled_clone_findings_are_ordered_and_counted_like_the_held_ones() -> None:
    """Groups stored in any order come back in report order; a copy's fingerprint counts the earlier copies of the
    same digest in its file, across groups, as in memory."""

    def group(digest: str, tokens: int, *copies: tuple[str, int]) -> CloneGroup:
        return CloneGroup("type-2", tokens, tuple(CloneLocation(path, line, line + 9) for path, line in copies), digest)

    groups = [
        group("d1", 80, ("b.py", 40), ("a.py", 1), ("a.py", 90)),
        group("d1", 80, ("a.py", 1), ("b.py", 1), ("b.py", 200), ("a/x.py", 5)),
        group("d2", 60, ("a.py", 1), ("b.py", 1)),
        group("d1", 90, ("a.py", 1), ("b.py", 1), ("b.py", 200), ("a/x.py", 5)),
        group("d1", 80, ("a", 3), ("a.py", 300)),
        group("d3", 70, ("c.py", 1), ("c.py", 1000), ("c.py", 20)),
    ]
    spool = Spool()
    try:
        store_groups(spool, groups)
        findings = list(stored_clone_findings(spool))
    finally:
        spool.close()
    assert findings == list(each_clone_finding(sort_groups(groups)))
    assert len({f.fingerprint for f in findings}) == len(findings)


def test_the_files_found_wait_in_the_spool_once_there_are_enough() -> None:
    """A small review holds its files found in a list; a large one moves them to its spool in batches, and reads
    them back in the order found (the surrogate of an undecodable name included)."""
    found = [(f"d{n % 7}/f{n}.py", "python", n) for n in range(5000)] + [("bad\udce9.py", "python", 1)]
    small = _Discovered(spool_from=10**9)
    for file in found[:100]:
        small.append(file)
    assert isinstance(small.outcomes(ReviewConfig()), InMemory)
    assert list(small) == found[:100]
    large = _Discovered(spool_from=1000)
    for number, file in enumerate(found, start=1):
        large.append(file)
        assert len(large.held) <= max(1000, 512), number
    outcomes = large.outcomes(ReviewConfig())
    try:
        assert isinstance(outcomes, SpooledOutcomes)
        assert outcomes.spool is large.spool
        assert not large.held
        assert len(large) == len(found)
        assert list(large) == found
    finally:
        outcomes.discard()
    assert large.spool.closed
