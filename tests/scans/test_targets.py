"""Registering repositories, listing targets, branch heads, snapshots and inventories (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.jobs.inputs import checkout
from reviewlab.jobs.spec import RepositoryRequest
from reviewlab.scans import (
    DuplicateTarget,
    InvalidTarget,
    NoOwner,
    RepositoryUnavailable,
    ScanTarget,
    UnknownTarget,
    branch_head,
    fetch_snapshot,
    find_target,
    inventory,
    register_repository,
    scan_targets,
)
from tests.scans import APP_V1, APP_V3, Repo, add_user, git_daemon


def test_register_list_and_find_targets(engine: Engine, repo: Repo) -> None:
    admin, _ = add_user(engine)
    main = register_repository(engine, str(repo.path))
    feature = register_repository(engine, str(repo.path) + "/", branch="feature")
    remote = register_repository(engine, "https://example.org/org/tool.git/", name="the tool")

    assert main == ScanTarget(main.project_id, "repo", str(repo.path), "main")
    assert (feature.name, feature.branch) == ("repo@feature", "feature")  # the default name was taken
    assert (remote.name, remote.repo_url) == ("the tool", "https://example.org/org/tool.git")
    assert scan_targets(engine) == [main, feature, remote]
    assert find_target(engine, main.project_id) == main
    assert find_target(engine, "the tool") == remote
    with pytest.raises(UnknownTarget, match="no registered repository"):
        find_target(engine, "nothing")
    from reviewlab.projects import Projects

    assert Projects(engine).get(main.project_id).owner_id == admin  # type: ignore[union-attr]


def test_a_repository_and_branch_are_registered_once(engine: Engine, repo: Repo) -> None:
    add_user(engine)
    first = register_repository(engine, str(repo.path), branch="main")
    with pytest.raises(DuplicateTarget, match=f"registered already as 'repo' \\({first.project_id}\\)"):
        register_repository(engine, str(repo.path / "." / ""), name="other")
    assert scan_targets(engine) == [first]


@pytest.mark.parametrize(
    ("repo_url", "branch", "message"),
    [
        ("relative/path", "main", "git URL .* or an absolute local path"),
        ("file:///srv/repo", "main", "absolute path, not a file: URL"),
        ("/no/such/directory", "main", "no directory at /no/such/directory"),
        ("-uhttps://x", "main", "git URL"),
        ("https://example.org/r.git", "-x", "branch: a ref must not start with '-'"),
        ("https://example.org/r.git", "a..b", "must not contain '..'"),
    ],
)
def test_invalid_repositories_and_branches_are_refused(
    engine: Engine, repo_url: str, branch: str, message: str
) -> None:
    add_user(engine)
    with pytest.raises(InvalidTarget, match=message):
        register_repository(engine, repo_url, branch=branch)
    assert scan_targets(engine) == []


def test_the_owner_is_the_named_user_or_the_first_active_admin(engine: Engine, repo: Repo) -> None:
    from reviewlab.projects import Projects

    add_user(engine, active=False, created=1)
    admin, _ = add_user(engine, created=2)
    add_user(engine, created=3)
    reviewer, email = add_user(engine, "reviewer")
    by_default = register_repository(engine, str(repo.path))
    named = register_repository(engine, str(repo.path), branch="feature", owner_email=email.upper())

    projects = Projects(engine)
    assert projects.get(by_default.project_id).owner_id == admin  # type: ignore[union-attr]
    assert projects.get(named.project_id).owner_id == reviewer  # type: ignore[union-attr]
    with pytest.raises(NoOwner, match="no active user has the email"):
        register_repository(engine, "https://example.org/r.git", owner_email="nobody@example.org")


def test_without_an_admin_registration_says_how_to_get_one(engine: Engine, repo: Repo) -> None:
    add_user(engine, "reviewer")
    with pytest.raises(NoOwner, match="start the API once"):
        register_repository(engine, str(repo.path))


def test_branch_head_follows_the_branch_without_cloning(repo: Repo, tmp_path: Path) -> None:
    target = ScanTarget("p", "repo", str(repo.path), "main")
    assert branch_head(target, 30) == repo.commits[2]
    assert branch_head(ScanTarget("p", "repo", str(repo.path), "feature"), 30) == repo.feature

    newer = repo.commit("more.py", "y = 3\n")
    assert branch_head(target, 30) == newer


def test_branch_head_of_a_remote_repository(repo: Repo) -> None:
    with git_daemon(repo.path.parent) as base:
        target = ScanTarget("p", "repo", f"{base}/repo", "main")
        assert branch_head(target, 30) == repo.commits[2]
        with pytest.raises(RepositoryUnavailable, match="has no branch 'gone'"):
            branch_head(ScanTarget("p", "repo", f"{base}/repo", "gone"), 30)


@pytest.mark.parametrize(
    ("where", "branch", "message"),
    [
        ("repo", "gone", "has no branch 'gone'"),
        ("plain", "main", "not a git repository"),
        ("missing", "main", "is not a directory"),
        ("git://127.0.0.1:1/repo", "main", "git ls-remote failed"),
    ],
)
def test_branch_head_says_why_there_is_none(repo: Repo, tmp_path: Path, where: str, branch: str, message: str) -> None:
    (repo.path.parent / "plain").mkdir()
    url = where if "://" in where else str(repo.path.parent / where)
    with pytest.raises(RepositoryUnavailable, match=message):
        branch_head(ScanTarget("p", "r", url, branch), 30)


def test_a_snapshot_of_the_head_is_fetched_once_and_reused(repo: Repo, tmp_path: Path) -> None:
    target = ScanTarget("project-1", "repo", str(repo.path), "main")
    workspace = tmp_path / "workspace"

    first = fetch_snapshot(target, workspace, timeout_s=30)
    again = fetch_snapshot(target, workspace, timeout_s=30)
    old = fetch_snapshot(target, workspace, ref=repo.commits[0], timeout_s=30)

    assert (first.path, first.commit, first.ref, first.reused) == (
        workspace / "project-1" / repo.commits[2],
        repo.commits[2],
        "main",
        False,
    )
    assert (first.path / "app.py").read_text() == APP_V3
    assert (again.path, again.commit, again.reused) == (first.path, first.commit, True)
    assert (old.path / "app.py").read_text() == APP_V1
    assert sorted(p.name for p in (workspace / "project-1").iterdir()) == sorted([repo.commits[0], repo.commits[2]])


def test_a_snapshot_of_a_remote_branch(repo: Repo, tmp_path: Path) -> None:
    with git_daemon(repo.path.parent) as base:
        snapshot = fetch_snapshot(ScanTarget("p", "r", f"{base}/repo", "feature"), tmp_path / "ws", timeout_s=30)
    assert snapshot.commit == repo.feature
    assert (snapshot.path / "feature.py").is_file()


@pytest.mark.parametrize("ref", ["gone", "v9"])
def test_a_failed_snapshot_leaves_nothing_behind(repo: Repo, tmp_path: Path, ref: str) -> None:
    target = ScanTarget("project-1", "repo", str(repo.path), ref if ref == "gone" else "main")
    workspace = tmp_path / "workspace"
    with pytest.raises(RepositoryUnavailable, match=r"gone|v9"):
        fetch_snapshot(target, workspace, ref=None if ref == "gone" else ref, timeout_s=30)
    assert not (workspace / "project-1").exists()


def test_an_incomplete_directory_named_by_the_commit_is_replaced(repo: Repo, tmp_path: Path) -> None:
    target = ScanTarget("project-1", "repo", str(repo.path), "main")
    fake = tmp_path / "ws" / "project-1" / repo.commits[2]
    fake.mkdir(parents=True)
    snapshot = fetch_snapshot(target, tmp_path / "ws", timeout_s=30)
    assert (snapshot.path, snapshot.reused) == (fake, False)
    assert (fake / "app.py").read_text() == APP_V3


def test_inventory_counts_files_lines_and_bytes_by_language(repo: Repo, tmp_path: Path) -> None:
    dest = tmp_path / "checkout"
    checkout(RepositoryRequest(kind="repository", repo=str(repo.path), ref="main"), dest, 30)
    (dest / "big.py").write_text("x = 1\n" * 10)
    (dest / ".reviewlab.toml").write_text("[reviewlab]\nmax_file_size = 40\n")

    found = inventory(dest)

    assert {name: (c.files, c.lines) for name, c in found.languages.items()} == {
        "javascript": (1, 2),
        "python": (1, 3),
    }
    assert found.files == 2
    assert found.lines == 5
    assert found.total_bytes == len(APP_V3) + len("const a = 1;\nmodule.exports = a;\n")
    assert [(d.kind.value, d.path) for d in found.skipped] == [("skipped-too-large", "big.py")]
    assert found.to_dict()["languages"]["python"] == {"files": 1, "lines": 3, "bytes": len(APP_V3)}
