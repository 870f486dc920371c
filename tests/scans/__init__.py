"""Tests of the scans, and what they share: git repositories with a history, a git daemon, users."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from reviewlab.accounts.models import UserRow

VULNERABLE_LINE = 3
APP_V1 = "import sys\n\nprint(sys.argv)\n"
APP_V2 = "import sys\n\neval(sys.argv[1])\n"  # PY-S001 on line 3
APP_V3 = "import sys\n\nprint(sys.argv[1])\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass(frozen=True)
class Repo:
    """A repository whose main branch is clean (1), then vulnerable (2), then fixed (3); ``feature`` branches
    off commit 1 with a file of its own."""

    path: Path
    commits: tuple[str, str, str]
    feature: str

    def commit(self, name: str, content: str, message: str = "more") -> str:
        (self.path / name).write_text(content)
        git(self.path, "add", ".")
        git(self.path, "commit", "--quiet", "-m", message)
        return git(self.path, "rev-parse", "HEAD")


def make_repo(where: Path) -> Repo:
    path = where / "repo"
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "t")
    repo = Repo(path, ("", "", ""), "")
    (path / "README.md").write_text("# demo\n")
    (path / "lib.js").write_text("const a = 1;\nmodule.exports = a;\n")
    first = repo.commit("app.py", APP_V1, "one")
    git(path, "checkout", "--quiet", "-b", "feature")
    feature = repo.commit("feature.py", "x = 2\n", "feature")
    git(path, "checkout", "--quiet", "main")
    second = repo.commit("app.py", APP_V2, "two: vulnerable")
    third = repo.commit("app.py", APP_V3, "three: fixed")
    return Repo(path, (first, second, third), feature)


def add_user(engine: Engine, role: str = "admin", *, active: bool = True, created: int = 1) -> tuple[str, str]:
    """The id and email of a new account (inserted directly: hashing passwords is not under test)."""
    user_id, email = str(uuid.uuid4()), f"{uuid.uuid4().hex[:12]}@example.org"
    with engine.begin() as connection:
        connection.execute(
            insert(UserRow).values(
                id=user_id,
                email=email,
                password_hash="not-a-hash",
                role=role,
                is_active=active,
                created_at=datetime(2027, 1, created, tzinfo=UTC),
                last_login_at=None,
            )
        )
    return user_id, email


@contextmanager
def git_daemon(base: Path) -> Iterator[str]:
    """A real ``git daemon`` on loopback exporting the repositories under ``base``; yields ``git://host:port``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        "git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", f"--port={port}",
        f"--base-path={base}", str(base),
    ]  # fmt: skip
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or daemon.poll() is not None:
                    pytest.fail("git daemon did not start")
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
