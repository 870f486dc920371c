"""Review a tree: discover files, reuse cached results, analyse the rest in parallel, assemble the result.

The parent process reads and hashes each file (so the cache can answer before any parsing), and
sends the misses in chunks to a pool of worker processes, each of which compiles the rule pack
once. Small reviews never start a pool. One file's failure is a diagnostic, never the run's.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewlab.engine.cache import Analysed, NullCache, ResultCache, cache_key, options_digest
from reviewlab.engine.config import ReviewConfig, discover_config
from reviewlab.engine.discovery import SourceFile, discover
from reviewlab.engine.languages import LANGUAGES
from reviewlab.engine.model import Diagnostic, DiagnosticKind, FileRecord, Finding, ReviewResult
from reviewlab.engine.outcomes import InMemory, Outcomes, SpooledOutcomes, with_severity_overrides
from reviewlab.engine.packversion import rule_pack_version
from reviewlab.engine.project import Project, set_project, using_project
from reviewlab.engine.secrets import RULE_IDS as SECRET_RULE_IDS
from reviewlab.engine.spool import Spool
from reviewlab.errors import InputError

if TYPE_CHECKING:
    # Imported where used: a review answered from the cache never loads tree-sitter or the rules.
    from reviewlab.engine.analyzer import RulePack

BINARY_SNIFF_BYTES = 8192
CHUNK_BYTES = 256 * 1024
CHUNK_FILES = 64
SPOOL_FROM = 2000  # files from which a review keeps its outcomes on disk
_DISCOVERED_BATCH = 512  # files found written to the spool at a time

# (relpath, language, source) in; (relpath, what the analysis keeps of the file) out.
WorkItem = tuple[str, str, bytes]
WorkResult = tuple[str, Analysed]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Progress of a review: ``stage`` is "discover", "analyze", "project" (the project-wide analyses) or "done".

    An "analyze" event carries the file's findings (before the project's severity overrides)."""

    stage: str
    done: int
    total: int
    path: str | None = None
    findings: tuple[Finding, ...] = ()


ProgressCallback = Callable[[ProgressEvent], None]

_worker_pack: RulePack | None = None


def _init_worker(config_data: dict[str, Any], project_root: str | None) -> None:
    global _worker_pack  # one compiled pack per worker process, set by the pool initializer
    from reviewlab.engine.analyzer import RulePack

    config = ReviewConfig.model_validate(config_data)
    _worker_pack = RulePack.from_config(config)
    set_project(Project(Path(project_root), config.max_file_size) if project_root is not None else None)


def _analyze_chunk_in_worker(items: list[WorkItem]) -> list[WorkResult]:
    assert _worker_pack is not None  # noqa: S101 - set by the pool initializer
    return analyze_items(items, _worker_pack)


def analyze_items(items: list[WorkItem], pack: RulePack) -> list[WorkResult]:
    """Analyse files' bytes; a failure in one file becomes a diagnostic for that file."""
    from reviewlab.engine.analyzer import analyze_source

    results: list[WorkResult] = []
    for relpath, language, source in items:
        diagnostics: list[Diagnostic] = []
        if not source.isascii():
            try:
                source.decode("utf-8")
            except UnicodeDecodeError as err:
                line = source.count(b"\n", 0, err.start) + 1
                diagnostics.append(
                    Diagnostic(
                        DiagnosticKind.DECODE_ERROR,
                        relpath,
                        f"invalid UTF-8 at byte {err.start} (line {line}); analysed with replacement characters",
                        line,
                    )
                )
        try:
            analysis = analyze_source(relpath, language, source, pack)
        except Exception as err:  # noqa: BLE001 - a rule's bug must not abort the whole review
            diagnostics.append(
                Diagnostic(DiagnosticKind.INTERNAL_ERROR, relpath, f"analysis failed: {type(err).__name__}: {err}")
            )
            results.append((relpath, Analysed([], diagnostics, source.count(b"\n"))))
            continue
        results.append(
            (relpath, Analysed(analysis.findings, diagnostics + analysis.diagnostics, analysis.lines, analysis.facts))
        )
    return results


class _Runner:
    """Runs chunks of work in-process or on a lazily started process pool."""

    def __init__(self, config: ReviewConfig, jobs: int, project: Project | None = None) -> None:
        self.config = config
        self.jobs = jobs
        self.project = project
        self.pool: ProcessPoolExecutor | None = None
        self.pending: dict[Future[list[WorkResult]], list[WorkItem]] = {}
        self._local_pack: RulePack | None = None

    def local_pack(self) -> RulePack:
        if self._local_pack is None:
            from reviewlab.engine.analyzer import RulePack

            self._local_pack = RulePack.from_config(self.config)
        return self._local_pack

    def submit(self, chunk: list[WorkItem], final: bool) -> list[WorkResult]:
        """Start a chunk; returns whatever results are ready now."""
        if self.jobs <= 1 or (final and self.pool is None):
            with using_project(self.project):
                return analyze_items(chunk, self.local_pack())
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_init_worker,
                initargs=(
                    self.config.model_dump(mode="json"),
                    str(self.project.root) if self.project is not None else None,
                ),
            )
        self.pending[self.pool.submit(_analyze_chunk_in_worker, chunk)] = chunk
        if len(self.pending) >= 2 * self.jobs:
            return self.harvest(block=True)
        return []

    def harvest(self, block: bool) -> list[WorkResult]:
        if not self.pending:
            return []
        done, _ = wait(self.pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        results: list[WorkResult] = []
        for future in done:
            chunk = self.pending.pop(future)
            try:
                results.extend(future.result())
            except BrokenProcessPool:
                self._discard_pool()
                results.extend(
                    (relpath, Analysed([], [_crash_diagnostic(relpath)], source.count(b"\n")))
                    for relpath, _, source in chunk
                )
        return results

    def drain(self) -> list[WorkResult]:
        results: list[WorkResult] = []
        while self.pending:
            results.extend(self.harvest(block=True))
        return results

    def _discard_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _crash_diagnostic(relpath: str) -> Diagnostic:
    return Diagnostic(DiagnosticKind.INTERNAL_ERROR, relpath, "the analysis worker crashed on this file's batch")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def review(
    path: Path | str,
    config: ReviewConfig | None = None,
    *,
    jobs: int | None = None,
    cache: ResultCache | None = None,
    progress: ProgressCallback | None = None,
    spool_from: int = SPOOL_FROM,
) -> ReviewResult:
    """Review every supported file under ``path``. Raises ``InputError`` only for an unusable ``path``.

    A review of ``spool_from`` files or more keeps its outcomes on disk as they arrive (``engine.spool``): its
    result lists them from there, and its memory does not grow with the number of files."""
    started = time.perf_counter()
    root = Path(path).expanduser()
    config = config if config is not None else discover_config(root)
    cache = cache if cache is not None else NullCache()
    result = ReviewResult(root=str(root.resolve()), rule_pack_version=rule_pack_version(), started_at=_now())
    text_files = any(config.rule_enabled(rule_id) for rule_id in SECRET_RULE_IDS)
    met: list[Diagnostic] = []  # diagnostics of discovering and reading files, in the order met
    files = _Discovered(spool_from)
    try:
        for found in discover(root, config, met, text_files=text_files):
            files.append((found.relpath, found.language, found.size))
    except BaseException:
        files.discard()
        raise
    if progress is not None:
        progress(ProgressEvent("discover", len(files), len(files)))
    if not len(files):
        met.append(Diagnostic(DiagnosticKind.NO_FILES, ".", "no files of a supported language found"))
    outcomes: Outcomes = files.outcomes(config)
    try:
        _analyse(root, config, files, cache, outcomes, met, result.rule_pack_version, jobs, progress)
        if progress is not None:
            progress(ProgressEvent("project", 0, 1))
        outcomes.finish(result, root if root.is_dir() else root.parent)
    except BaseException:
        outcomes.discard()
        raise
    result.finished_at = _now()
    result.duration_seconds = round(time.perf_counter() - started, 3)
    if progress is not None:
        progress(ProgressEvent("done", len(files), len(files)))
    return result


class _Discovered:
    """What is kept of each file found until it is read (path, language, size; a SourceFile's Path would be most of
    a spooled review's memory): a list, moved to the review's spool once there are ``spool_from`` files, from
    where they are read back in the order found."""

    def __init__(self, spool_from: int) -> None:
        self.spool_from = spool_from
        self.held: list[tuple[str, str, int]] = []
        self.spool: Spool | None = None
        self.count = 0

    def append(self, file: tuple[str, str, int]) -> None:
        self.count += 1
        self.held.append(file)
        if self.count >= self.spool_from and len(self.held) >= _DISCOVERED_BATCH:
            self._spill()

    def _spill(self) -> None:
        if self.spool is None:
            self.spool = Spool()
        self.spool.add_discovered(self.held)
        self.held = []

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        return iter(self.held) if self.spool is None else self.spool.discovered()

    def outcomes(self, config: ReviewConfig) -> Outcomes:
        """Where the review's outcomes go: its spool once it has one (``spool_from`` files or more)."""
        if self.count >= self.spool_from:
            if self.held:
                self._spill()
            return SpooledOutcomes(config, self.spool)
        return InMemory(config)

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.close()


def _analyse(
    root: Path,
    config: ReviewConfig,
    files: _Discovered,
    cache: ResultCache,
    outcomes: Outcomes,
    met: list[Diagnostic],
    pack_version: str,
    jobs: int | None,
    progress: ProgressCallback | None,
) -> None:
    """Read, look up and analyse every file, handing each outcome to ``outcomes`` as it arrives."""
    digest = options_digest(config.model_dump(mode="json", include={"select", "ignore", "rules", "taint", "metrics"}))
    # The facts gathered follow from select/ignore and ``metrics``, so the options digest covers them too.
    pending: dict[str, tuple[str, str, str]] = {}  # relpath -> (cache key, sha256, language) until analysed
    done = 0

    def record(relpath: str, outcome: Analysed, cached: bool) -> None:
        nonlocal done
        _, sha, language = pending.pop(relpath)
        outcomes.add(FileRecord(relpath, language, outcome.lines, sha, cached, outcome.facts.get("metrics")), outcome)
        done += 1
        if progress is not None:
            progress(ProgressEvent("analyze", done, len(files), relpath, tuple(outcome.findings)))

    def finish_batch(batch: list[WorkResult]) -> None:
        keyed = [(pending[relpath][0], outcome) for relpath, outcome in batch]
        for relpath, outcome in batch:
            record(relpath, outcome, cached=False)
        cache.put_many(keyed)
        outcomes.add_met(met)

    directory = root.is_dir()
    project = Project(root if directory else root.parent, config.max_file_size)
    runner = _Runner(config, max(1, jobs if jobs is not None else default_jobs()), project)
    try:
        chunk: list[WorkItem] = []
        chunk_bytes = 0
        for relpath, language, size in files:
            source_file = SourceFile(root / relpath if directory else root, relpath, language, size)
            source = _read(source_file, config, met)
            if source is None:
                done += 1
                continue
            sha = hashlib.sha256(source).hexdigest()
            depends = project.dependency_digest(source_file.relpath, source) if source_file.language == "python" else ""
            key = cache_key(sha, source_file.relpath, source_file.language, pack_version, digest + depends)
            pending[source_file.relpath] = (key, sha, source_file.language)
            hit = cache.get(key)
            if hit is not None:
                record(source_file.relpath, hit, cached=True)
                continue
            chunk.append((source_file.relpath, source_file.language, source))
            chunk_bytes += len(source)
            if chunk_bytes >= CHUNK_BYTES or len(chunk) >= CHUNK_FILES:
                finish_batch(runner.submit(chunk, final=False))
                finish_batch(runner.harvest(block=False))
                chunk, chunk_bytes = [], 0
        if chunk:
            finish_batch(runner.submit(chunk, final=True))
        finish_batch(runner.drain())
    finally:
        runner.close()


def _read(source_file: SourceFile, config: ReviewConfig, diagnostics: list[Diagnostic]) -> bytes | None:
    """The file's bytes, or None with a diagnostic saying why it is skipped."""
    if source_file.size > config.max_file_size:
        diagnostics.append(
            Diagnostic(
                DiagnosticKind.SKIPPED_TOO_LARGE,
                source_file.relpath,
                f"{source_file.size} bytes is over the {config.max_file_size}-byte limit (max_file_size); skipped",
            )
        )
        return None
    try:
        with open(source_file.path, "rb") as handle:
            source = handle.read(config.max_file_size + 1)
    except OSError as err:
        diagnostics.append(Diagnostic(DiagnosticKind.UNREADABLE, source_file.relpath, f"cannot read: {err.strerror}"))
        return None
    if len(source) > config.max_file_size:
        diagnostics.append(
            Diagnostic(DiagnosticKind.SKIPPED_TOO_LARGE, source_file.relpath, "grew over the size limit; skipped")
        )
        return None
    if b"\0" in source[:BINARY_SNIFF_BYTES]:
        diagnostics.append(Diagnostic(DiagnosticKind.SKIPPED_BINARY, source_file.relpath, "binary content; skipped"))
        return None
    return source


def review_snippet(code: str, language: str, config: ReviewConfig | None = None) -> ReviewResult:
    """Review a piece of code given as text (not cached, nothing read from disk)."""
    if language not in LANGUAGES:
        raise InputError(f"unsupported language {language!r}; choose one of {', '.join(sorted(LANGUAGES))}")
    started = time.perf_counter()
    config = config or ReviewConfig()
    relpath = "snippet" + LANGUAGES[language].extensions[0]
    source = code.encode("utf-8")
    result = ReviewResult(root="<snippet>", rule_pack_version=rule_pack_version(), started_at=_now())
    from reviewlab.engine.analyzer import RulePack

    [(_, outcome)] = analyze_items([(relpath, language, source)], RulePack.from_config(config))
    sha = hashlib.sha256(source).hexdigest()
    result.files.append(FileRecord(relpath, language, outcome.lines, sha, metrics=outcome.facts.get("metrics")))
    result.findings.extend(with_severity_overrides(outcome.findings, config))
    result.diagnostics.extend(outcome.diagnostics)
    result.finished_at = _now()
    result.duration_seconds = round(time.perf_counter() - started, 3)
    return result
