"""Reviewing a change: which lines of which files a git diff adds or changes (``reviewlab review --diff``).

``--diff BASE`` compares the working tree with ``BASE`` (files not yet added to git count as new);
``--diff BASE..HEAD`` compares two commits and reviews the files as they are at ``HEAD`` (exported with
``git archive`` into a temporary directory, so the working tree is never touched). Only added and
modified lines count: findings elsewhere are old code, as in SonarQube's new-code period.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reviewlab.engine.model import Diagnostic, DiagnosticKind, Finding, ReviewResult
from reviewlab.errors import InputError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_GIT_TIMEOUT = 60


@dataclass(slots=True)
class ChangedLines:
    """Per file (relative to the repository root), the 1-based line numbers the change adds or modifies."""

    files: dict[str, set[int]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every file the change adds or modifies, binary ones too


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments are refs checked by git itself
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, like every git tool
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as err:
        raise InputError("git is not installed; --diff needs it") from err
    except subprocess.TimeoutExpired as err:
        raise InputError(f"git {' '.join(args)} took longer than {_GIT_TIMEOUT} s") from err
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise InputError(f"git {' '.join(args[:2])}: {message}")
    return done.stdout


def parse_range(spec: str) -> tuple[str, str | None]:
    """``BASE..HEAD`` -> (BASE, HEAD); ``BASE`` -> (BASE, None) for the working tree."""
    if "..." in spec:
        raise InputError(f"--diff takes BASE or BASE..HEAD, not {spec!r}")
    base, sep, head = spec.partition("..")
    if not base or (sep and not head):
        raise InputError(f"--diff takes BASE or BASE..HEAD, not {spec!r}")
    return base, head or None


def changed_lines(repo: Path, base: str, head: str | None) -> ChangedLines:
    """The lines ``head`` (or the working tree) adds or changes relative to ``base``."""
    _git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if head is not None:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{head}^{{commit}}")
    heads = [head] if head else []
    diff = _git(repo, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames", base, *heads)
    changed = ChangedLines()
    current: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = target[2:] if target.startswith("b/") else None
            if current is not None:
                changed.files.setdefault(current, set())
        elif line.startswith("deleted file mode"):
            current = None
        elif (match := _HUNK.match(line)) is not None and current is not None:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            changed.files[current].update(range(start, start + count))
    changed.deleted = _git(repo, "diff", "--name-only", "--diff-filter=D", base, *heads).splitlines()
    changed.names = _git(repo, "diff", "--name-only", "--diff-filter=d", base, *heads).splitlines()
    if head is None:  # files not yet added are new in the working tree: every line of them is new
        for name in _git(repo, "ls-files", "--others", "--exclude-standard").splitlines():
            try:
                count = (repo / name).read_bytes().count(b"\n") + 1
            except OSError:
                continue
            changed.files[name] = set(range(1, count + 1))
            changed.names.append(name)
    return changed


def repository_root(path: Path) -> Path:
    """The top of the git work tree ``path`` is in (an ``InputError`` when it is not in one)."""
    directory = path if path.is_dir() else path.parent
    return Path(_git(directory, "rev-parse", "--show-toplevel").strip())


@contextmanager
def snapshot(repo: Path, commit: str) -> Iterator[Path]:
    """The tree of ``commit`` exported into a temporary directory (removed afterwards)."""
    directory = Path(tempfile.mkdtemp(prefix="reviewlab-diff-"))
    archive = directory / "tree.tar"
    try:
        _git(repo, "archive", "--format=tar", f"--output={archive}", commit)
        tree = directory / "tree"
        tree.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
        archive.unlink()
        yield tree
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def restrict(result: ReviewResult, changed: ChangedLines, prefix: str) -> None:
    """Keep the findings on changed lines; say which changed files were analysed and which were not.

    ``prefix`` is the reviewed directory relative to the repository root ("" for the root itself)."""

    def repo_path(path: str) -> str:
        return f"{prefix}/{path}" if prefix else path

    result.findings = [f for f in result.findings if _touches(changed, repo_path(f.path), f)]
    analysed = {repo_path(f.path) for f in result.files}
    for path in sorted(changed.names):
        if prefix and not path.startswith(prefix + "/"):
            continue
        if path not in analysed:
            result.diagnostics.append(
                Diagnostic(
                    DiagnosticKind.NOT_ANALYSED, path, "changed, but not analysed (not a supported or reviewed file)"
                )
            )
    for path in changed.deleted:
        result.diagnostics.append(Diagnostic(DiagnosticKind.NOT_ANALYSED, path, "deleted by the change"))


def _touches(changed: ChangedLines, path: str, finding: Finding) -> bool:
    lines = changed.files.get(path) or set()
    return any(line in lines for line in range(finding.span.start_line, finding.span.end_line + 1))
