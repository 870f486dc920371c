"""A repository's branch head without cloning, and snapshots: checkouts of one commit kept in a workspace.

A snapshot lives in ``workspace_root/<project id>/<commit>``. It is checked out into a hidden ``.partial-*``
directory beside it and renamed into place only when complete, so a directory named by a commit is always a
whole checkout: a later fetch of the same commit reuses it, and a failed one leaves nothing behind.
Git runs as the jobs run it (:mod:`reviewlab.jobs.inputs`): no hooks, no prompts, a timeout.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reviewlab.jobs.inputs import GitError, branch_commit, checkout
from reviewlab.jobs.spec import RepositoryRequest, validate_ref
from reviewlab.scans.errors import InvalidTarget, RepositoryUnavailable
from reviewlab.scans.targets import ScanTarget

DEFAULT_GIT_TIMEOUT_SECONDS = 120.0
FULL_COMMIT = re.compile(r"[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A checkout of ``commit`` (what ``ref`` named when it was fetched) at ``path``."""

    path: Path
    commit: str
    ref: str
    fetched_at: datetime
    reused: bool = False


def branch_head(target: ScanTarget, timeout_s: float = DEFAULT_GIT_TIMEOUT_SECONDS) -> str:
    """The commit (40 hex digits) at the head of the target's branch, read without cloning.

    :class:`RepositoryUnavailable` when the repository cannot be reached, is not a git repository or has no
    such branch."""
    try:
        return branch_commit(target.repo_url, target.branch, timeout_s)
    except GitError as err:
        raise RepositoryUnavailable(f"{target.repo_url} (branch {target.branch}): {err}") from err


def fetch_snapshot(
    target: ScanTarget,
    workspace_root: Path,
    *,
    ref: str | None = None,
    timeout_s: float = DEFAULT_GIT_TIMEOUT_SECONDS,
) -> Snapshot:
    """A checkout of the target at ``ref`` (default: its branch head) under ``workspace_root``, reusing the
    checkout of the same commit if there is one; :class:`RepositoryUnavailable` says why it cannot be had."""
    wanted = ref or target.branch
    try:
        validate_ref(wanted)
    except ValueError as err:
        raise InvalidTarget(f"ref: {err}") from None
    home = workspace_root / target.project_id
    known = branch_head(target, timeout_s) if ref is None else (ref.lower() if FULL_COMMIT.fullmatch(ref) else None)
    if known is not None and _complete(home / known):
        return _reused(home / known, known, wanted)
    home.mkdir(parents=True, exist_ok=True)
    partial = home / f".partial-{uuid.uuid4().hex}"
    try:
        request = RepositoryRequest(kind="repository", repo=target.repo_url, ref=wanted)
        commit = checkout(request, partial, timeout_s).commit
        if commit is None:  # pragma: no cover - checkout always reads HEAD's commit
            raise RepositoryUnavailable(f"{target.repo_url}: git gave no commit for {wanted!r}")
        final = home / commit
        if _complete(final):  # fetched meanwhile, e.g. by a concurrent run
            return _reused(final, commit, wanted)
        if final.exists():  # not a snapshot (no .git): never reuse it
            shutil.rmtree(final)
        partial.rename(final)
    except GitError as err:
        raise RepositoryUnavailable(f"{target.repo_url} at {wanted}: {err}") from err
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        with contextlib.suppress(OSError):
            home.rmdir()  # only when the project has no snapshot at all
    return Snapshot(final, commit, wanted, datetime.now(UTC))


def _complete(path: Path) -> bool:
    return path.is_dir() and (path / ".git").is_dir()


def _reused(path: Path, commit: str, ref: str) -> Snapshot:
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return Snapshot(path, commit, ref, fetched_at, reused=True)
