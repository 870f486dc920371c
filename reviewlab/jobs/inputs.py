"""Materialise a job's input into a directory: uploaded files, an archive (from its artifact) or a git checkout.

Git runs with no hooks (an empty template and ``core.hooksPath=/dev/null``), no prompts, ``--`` before every
URL and path, a timeout, and the ``file`` protocol allowed only for a local path the server registered.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from reviewlab.jobs.db import reading, table_of
from reviewlab.jobs.errors import JobError
from reviewlab.jobs.models import ArtifactRow
from reviewlab.jobs.spec import ArchiveRequest, FilesRequest, RepositoryRequest
from reviewlab.settings import Settings

COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
GIT_OUTPUT_CHARS = 400


class GitError(JobError):
    """The repository could not be fetched at the requested ref."""


@dataclass(frozen=True, slots=True)
class Materialised:
    """What was written: the file count, what was skipped (links, devices) and, for a repository, the commit."""

    files: int
    skipped: tuple[dict[str, Any], ...] = ()
    commit: str | None = None


def write_files(request: FilesRequest, dest: Path, settings: Settings) -> Materialised:
    """Write a files request's files under ``dest`` with the upload rules and limits."""
    from reviewlab.uploads import ArchiveLimits, write_files

    pairs = [(item.path, item.content.encode("utf-8", "surrogatepass")) for item in request.files]
    written = write_files(pairs, dest, ArchiveLimits.from_settings(settings))
    return Materialised(len(written.files), _skipped(written.skipped))


def extract_archive(request: ArchiveRequest, engine: Engine, dest: Path, settings: Settings) -> Materialised:
    """Fetch the request's artifact from the store and unpack it under ``dest``."""
    from reviewlab.uploads import ArchiveLimits, extract_archive

    table = table_of(ArtifactRow)
    with reading(engine, "reading an uploaded archive") as connection:
        data = connection.execute(select(table.c.content).where(table.c.id == request.artifact_id)).scalar_one_or_none()
    if data is None:
        raise JobError(f"the uploaded archive {request.filename!r} is no longer stored")
    written = extract_archive(bytes(data), request.filename, dest, ArchiveLimits.from_settings(settings))
    return Materialised(len(written.files), _skipped(written.skipped))


def _skipped(skipped: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    return tuple({"path": s.path.as_posix(), "kind": s.kind, "target": s.target} for s in skipped)


def checkout(request: RepositoryRequest, dest: Path, timeout: float) -> Materialised:
    """Fetch ``request.repo`` at ``request.ref`` (default: its HEAD) into ``dest`` with depth 1; returns the commit."""
    dest.mkdir(parents=True, exist_ok=True)
    run = _Git(dest, timeout, local=request.is_local)
    run("init", "--quiet", "--template=", "--", str(dest))
    wanted = request.ref or "HEAD"
    try:
        run("fetch", "--quiet", "--depth=1", "--no-tags", "--", request.repo, wanted)
    except GitError:
        if request.ref is None or not COMMIT.fullmatch(request.ref):
            raise
        # A server that refuses a commit id in a shallow fetch: fetch everything and look it up.
        run("fetch", "--quiet", "--no-tags", "--", request.repo, "+refs/heads/*:refs/remotes/origin/*")
        wanted = request.ref
        run("checkout", "--quiet", "--detach", wanted, "--")
    else:
        run("checkout", "--quiet", "--detach", "FETCH_HEAD", "--")
    commit = run("rev-parse", "--verify", "HEAD^{commit}").strip()
    files = sum(1 for p in dest.rglob("*") if p.is_file() and ".git" not in p.relative_to(dest).parts)
    return Materialised(files, (), commit)


def branch_commit(repo: str, branch: str, timeout: float) -> str:
    """The commit at the head of ``branch`` in ``repo`` without fetching anything: ``git ls-remote`` for a URL,
    ``git rev-parse`` inside a local repository (an absolute path); ``GitError`` says why when there is none."""
    request = RepositoryRequest(kind="repository", repo=repo, ref=branch)
    if request.is_local:
        return _local_branch_commit(Path(repo), branch, timeout)
    with tempfile.TemporaryDirectory(prefix="reviewlab-ls-remote-") as tmp:  # no repository's config applies
        run = _Git(Path(tmp), timeout, local=False, ceiling=Path(tmp).parent)
        listed = run("ls-remote", "--heads", "--", repo, f"refs/heads/{branch}")
    for line in listed.splitlines():
        commit, _, name = line.partition("\t")
        if name == f"refs/heads/{branch}":
            return commit.strip().lower()
    raise GitError(f"the repository has no branch {branch!r}")


def _local_branch_commit(path: Path, branch: str, timeout: float) -> str:
    if not path.is_dir():
        raise GitError(f"the repository path {path} is not a directory")
    run = _Git(path, timeout, local=True, ceiling=path.parent)  # never the repository of a parent directory
    run("rev-parse", "--git-dir")  # "not a git repository" when it is none
    try:
        return run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}").strip().lower()
    except GitError:
        raise GitError(f"the repository has no branch {branch!r}") from None


class _Git:
    def __init__(self, cwd: Path, timeout: float, *, local: bool, ceiling: Path | None = None) -> None:
        self.cwd = cwd
        self.timeout = timeout
        self.options = [
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "advice.detachedHead=false",
        ]
        self.options += ["-c", "protocol.ext.allow=never"]
        if local:
            self.options += ["-c", "protocol.file.allow=always"]
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/nonexistent"),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "/bin/false",
            "SSH_ASKPASS": "/bin/false",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROTOCOL_FROM_USER": "0",
            "LC_ALL": "C",
        }
        if ceiling is not None:
            self.env["GIT_CEILING_DIRECTORIES"] = str(ceiling)

    def __call__(self, *args: str) -> str:
        command = ["git", *self.options, *args]
        try:
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                command, cwd=self.cwd, env=self.env, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise GitError(f"git {args[0]} took longer than {self.timeout:.0f} s") from err
        except OSError as err:
            raise GitError(f"cannot run git: {err.strerror}") from err
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = " ".join(message[-3:])[:GIT_OUTPUT_CHARS] or f"exit status {done.returncode}"
            raise GitError(f"git {args[0]} failed: {reason}")
        return done.stdout.decode("utf-8", "replace")
