"""The ``reviewlab`` command.

Exit codes: 0 done; 1 findings at or above ``--fail-on``; 2 usage or input error (one line on
stderr, never a traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reviewlab import __version__
from reviewlab.engine import baseline, fixes, gate, gitdiff, sarif_import
from reviewlab.engine.cache import NullCache, ResultCache, SqliteResultCache
from reviewlab.engine.config import ReviewConfig, discover_config, load_config
from reviewlab.engine.model import ReviewResult, Severity
from reviewlab.engine.pipeline import ProgressEvent, review
from reviewlab.errors import InputError, ReviewlabError
from reviewlab.reports import FORMATS, render_chunks
from reviewlab.reports.terminal import print_summary
from reviewlab.settings import Settings, get_settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
REPORT_SUFFIXES = {"json": "json", "sarif": "sarif", "markdown": "md", "text": "txt"}
PROGRESS_MIN_FILES = 50


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reviewlab", description="Self-hosted AI code review lab.")
    parser.add_argument("--version", action="version", version=f"reviewlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    rev = commands.add_parser("review", help="review a file or a directory tree")
    rev.add_argument("path", type=Path, help="file or directory to review")
    rev.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default: text)")
    rev.add_argument("--output", "-o", type=Path, help="write the report here instead of standard output")
    rev.add_argument("--reports-dir", type=Path, help="also write every report format into this directory")
    rev.add_argument("--jobs", "-j", type=_positive_int, help="parallel worker processes (default: CPU count)")
    rev.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity] + ["none"],
        default="none",
        help="exit 1 when a finding is at or above this severity (default: none)",
    )
    rev.add_argument("--config", type=Path, help="configuration file (default: PATH/.reviewlab.toml)")
    rev.add_argument("--no-cache", action="store_true", help="analyse every file, ignoring cached results")
    rev.add_argument("--no-store", action="store_true", help="do not record the review in the history")
    rev.add_argument(
        "--baseline", type=Path, help="report only findings not in this baseline file, and the ones fixed since"
    )
    rev.add_argument(
        "--diff",
        metavar="BASE[..HEAD]",
        help="review a git change: findings on lines it adds or changes only (BASE: against the working tree)",
    )
    rev.add_argument(
        "--import",
        dest="imports",
        action="append",
        type=Path,
        default=[],
        metavar="SARIF",
        help=(
            "merge another tool's SARIF 2.1.0 findings into the review (repeatable); the config's ignore, exclude, "
            'include and severity apply to them, select only when an entry has a ":" (e.g. "ruff:")'
        ),
    )
    rev.add_argument(
        "--ai",
        action="store_true",
        help="also ask the AI providers (Ollama first; see `reviewlab providers`) to review the code",
    )
    fixing = rev.add_mutually_exclusive_group()
    fixing.add_argument("--fix", action="store_true", help="apply the findings' safe fixes to the files")
    fixing.add_argument("--fix-diff", action="store_true", help="print the safe fixes as a unified diff; write nothing")
    rev.set_defaults(handler=cmd_review)

    base = commands.add_parser("baseline", help="accept the current findings as a baseline")
    base_commands = base.add_subparsers(dest="baseline_command", required=True, parser_class=_Parser)
    create = base_commands.add_parser("create", help="write the fingerprints of the current findings")
    create.add_argument("path", type=Path, help="file or directory to review")
    create.add_argument(
        "--output", "-o", type=Path, help=f"baseline file to write (default: PATH/{baseline.DEFAULT_BASELINE})"
    )
    create.add_argument("--config", type=Path, help="configuration file (default: PATH/.reviewlab.toml)")
    create.add_argument("--jobs", "-j", type=_positive_int, help="parallel worker processes (default: CPU count)")
    create.add_argument("--no-cache", action="store_true", help="analyse every file, ignoring cached results")
    create.add_argument(
        "--import",
        dest="imports",
        action="append",
        type=Path,
        default=[],
        metavar="SARIF",
        help="accept another tool's SARIF 2.1.0 findings into the baseline too, as review --import merges them",
    )
    create.set_defaults(handler=cmd_baseline_create)

    hist = commands.add_parser("history", help="list past reviews")
    hist.add_argument("--limit", type=_positive_int, default=20)
    hist.add_argument("--format", choices=["text", "json"], default="text")
    hist.set_defaults(handler=cmd_history)

    from reviewlab.ai.cli import add_providers_parser
    from reviewlab.audit.cli import add_audit_parser
    from reviewlab.events.cli import add_events_parser
    from reviewlab.jobs.cli import add_worker_parser
    from reviewlab.lifecycle.cli import add_models_parser
    from reviewlab.scans.cli import add_scan_parser
    from reviewlab.serve import add_serve_parser

    add_providers_parser(commands)
    add_audit_parser(commands)
    add_events_parser(commands)
    add_worker_parser(commands)
    add_scan_parser(commands)
    add_models_parser(commands)
    add_serve_parser(commands)
    return parser


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return number


def _open_cache(settings: Settings, disabled: bool) -> ResultCache:
    if disabled:
        return NullCache()
    return SqliteResultCache(settings.cache_dir / "results.sqlite3")


def _run_with_progress(
    run: Callable[[Callable[[ProgressEvent], None] | None], ReviewResult], console: Console | None = None
) -> ReviewResult:
    """Run a review with a progress bar on stderr when it is a terminal and the review is long."""
    console = console if console is not None else Console(stderr=True)
    if not console.is_terminal:
        return run(None)
    with Progress(
        TextColumn("reviewing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("review", total=None, visible=False)

        def on_progress(event: ProgressEvent) -> None:
            if event.stage == "discover":
                bar.update(task, total=event.total, visible=event.total >= PROGRESS_MIN_FILES)
            elif event.stage == "analyze":
                bar.update(task, completed=event.done)

        return run(on_progress)


def _review(args: argparse.Namespace, settings: Settings) -> tuple[ReviewConfig, ReviewResult]:
    config = load_config(args.config) if args.config else discover_config(args.path)
    cache = _open_cache(settings, args.no_cache)
    try:
        result = _run_with_progress(
            lambda progress: review(args.path, config, jobs=args.jobs, cache=cache, progress=progress)
        )
    finally:
        cache.close()
    return config, result


def _review_diff(
    args: argparse.Namespace, settings: Settings, imports: Sequence[sarif_import.ImportedReport] = ()
) -> tuple[ReviewConfig, ReviewResult]:
    """Review the change ``--diff`` names and keep the findings (imported ones too) on the lines it adds or changes."""
    base, head = gitdiff.parse_range(args.diff)
    if head is not None and (args.fix or args.fix_diff):
        raise InputError("--fix and --fix-diff apply to the working tree: use --diff BASE, not BASE..HEAD")
    repo = gitdiff.repository_root(args.path)
    target = args.path.resolve()
    prefix = "" if target == repo else target.relative_to(repo).as_posix()
    changed = gitdiff.changed_lines(repo, base, head)
    if head is None:
        config, result = _review(args, settings)
        if args.ai:
            _add_ai(result, target, config, settings, changed, prefix)
    else:
        with gitdiff.snapshot(repo, head) as tree:
            at_head = argparse.Namespace(**{**vars(args), "path": tree / prefix if prefix else tree})
            config, result = _review(at_head, settings)
            if args.ai:
                _add_ai(result, at_head.path, config, settings, changed, prefix)
        result.root = str(target)
    _merge_imports(result, imports, config)
    gitdiff.restrict(result, changed, prefix)
    return config, result


def _add_ai(
    result: ReviewResult,
    root: Path,
    config: ReviewConfig,
    settings: Settings,
    changed: gitdiff.ChangedLines | None = None,
    prefix: str = "",
) -> None:
    from reviewlab.ai.cli import add_review

    add_review(result, root, config, settings, changed=changed, prefix=prefix)


def _load_imports(args: argparse.Namespace) -> list[sarif_import.ImportedReport]:
    """The SARIF logs ``--import`` names, about the tree at ``args.path``; read before the review, to fail early."""
    root = args.path.expanduser().resolve()
    return [sarif_import.load_sarif(path, root) for path in args.imports]


def _merge_imports(result: ReviewResult, imports: Sequence[sarif_import.ImportedReport], config: ReviewConfig) -> None:
    """Add the imported findings the configuration keeps and that are not duplicates to the result, and say what
    each log contributed."""
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    for imported in imports:
        report = sarif_import.apply_config(imported, config)
        result.findings, duplicates = sarif_import.merge_findings(result.findings, report.findings)
        tools = ", ".join(report.tools) or "no tool"
        err.print(
            f"imported {len(report.findings) - duplicates} finding(s) from {report.source} ({tools}); "
            f"{duplicates} duplicate(s) of other findings left out"
        )
        for reason, count in sorted(report.skipped.items()):
            err.print(f"{report.source}: {count} result(s) skipped: {reason}")
        for warning in report.warnings:
            err.print(warning)


def cmd_baseline_create(args: argparse.Namespace, settings: Settings) -> int:
    imports = _load_imports(args)
    config, result = _review(args, settings)
    _merge_imports(result, imports, config)
    target = args.output or (
        args.path / baseline.DEFAULT_BASELINE if args.path.is_dir() else args.path.parent / baseline.DEFAULT_BASELINE
    )
    entries = baseline.from_result(result)
    baseline.save(entries, result, target)
    Console(highlight=False).print(f"baseline of {len(entries)} finding(s) written to {target}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    accepted = baseline.load(args.baseline) if args.baseline is not None else None
    imports = _load_imports(args)
    if args.diff is not None:
        config, result = _review_diff(args, settings, imports)
    else:
        config, result = _review(args, settings)
        _merge_imports(result, imports, config)
        if args.ai:
            _add_ai(result, args.path.expanduser().resolve(), config, settings)
    if accepted is not None:
        baseline.apply(result, accepted)
    verdict = gate.evaluate(result, config.gate)

    out = Console(highlight=False, soft_wrap=True)
    if args.output is not None:
        _write(args.output, render_chunks(result, args.format))
        print_summary(result, out)
        out.print(f"report written to {args.output}")
    elif args.format == "text":
        # Every finding is listed below the summary, so the summary's top-findings table is left out.
        print_summary(result, out, top=0)
        _print(render_chunks(result, "text"), end_line=True)
    else:
        _print(render_chunks(result, args.format))
        print_summary(result, Console(stderr=True, highlight=False))
    if args.reports_dir is not None:
        for fmt, suffix in REPORT_SUFFIXES.items():
            _write(args.reports_dir / f"reviewlab.{suffix}", render_chunks(result, fmt))
        Console(stderr=args.output is None and args.format != "text").print(f"reports written to {args.reports_dir}/")

    if not args.no_store:
        from reviewlab.store import open_store

        store = open_store(settings)
        try:
            session_id = store.save_review(result)
        finally:
            store.close()
        Console(stderr=True, highlight=False).print(f"review stored as {session_id}")

    if args.fix or args.fix_diff:
        _apply_fixes(args, result)
    if verdict is not None and not verdict.passed:
        return EXIT_FINDINGS
    if args.fail_on != "none":
        threshold = Severity(args.fail_on).rank
        if any(f.severity.rank >= threshold for f in result.findings):
            return EXIT_FINDINGS
    return EXIT_OK


def _apply_fixes(args: argparse.Namespace, result: ReviewResult) -> None:
    """``--fix`` writes the fixes; ``--fix-diff`` prints them. Either way, say what was left out and why."""
    planned = fixes.plan(args.path, result.findings)
    err = Console(stderr=True, highlight=False)
    for file_fix in planned:
        for fix, reason in file_fix.skipped:
            err.print(f"{file_fix.path}: not fixed ({reason}): {fix.description}")
    if args.fix_diff:
        sys.stdout.write("".join(f.diff() for f in planned))
        return
    written = fixes.write(args.path, planned)
    applied = sum(len(f.applied) for f in planned if f.changed)
    err.print(f"{applied} fix(es) applied in {written} file(s)")


def _print(pieces: Iterable[str], end_line: bool = False) -> None:
    """Write a report to standard output a piece at a time; ``end_line`` ends a non-empty one with a newline."""
    last = ""
    for piece in pieces:
        if piece:
            sys.stdout.write(piece)
            last = piece
    if end_line and last and not last.endswith("\n"):
        sys.stdout.write("\n")


def _write(path: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (or its pieces, one at a time) to ``path`` as UTF-8."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines([text] if isinstance(text, str) else text)
    except OSError as err:
        raise ReviewlabError(f"cannot write {path}: {err.strerror}") from err


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from reviewlab.store import open_store

    store = open_store(settings)
    try:
        sessions = store.list_sessions(limit=args.limit)
    finally:
        store.close()
    if args.format == "json":
        sys.stdout.write(json.dumps([dataclasses.asdict(s) for s in sessions], indent=2, default=str) + "\n")
        return EXIT_OK
    console = Console(highlight=False, soft_wrap=True)
    if not sessions:
        console.print("no reviews yet: run `reviewlab review PATH`")
        return EXIT_OK
    for s in sessions:
        worst = s.worst_severity or "-"
        console.print(
            f"{s.created_at:%Y-%m-%d %H:%M:%S}  {s.id}  {s.files:>6} files {s.lines:>8} lines "
            f"{s.findings_count:>5} findings  worst={worst:<8}  {s.root}"
        )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        code: int = args.handler(args, settings)
        return code
    except ReviewlabError as err:
        sys.stderr.write(f"reviewlab: error: {err}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("reviewlab: interrupted\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
