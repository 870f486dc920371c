"""queued -> running -> completed for each kind of input, with its events in order and its findings stored."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from reviewlab.jobs.errors import AnalysisNotFound
from reviewlab.jobs.service import Analyses, Upload
from reviewlab.store import Store
from reviewlab.store.models import SessionStatus
from tests.jobs.conftest import VULNERABLE, RecordingQueue, Runner


def _store(engine: Engine) -> Store:
    return Store(engine)


def test_a_snippet_runs_from_queued_to_completed(
    analyses: Analyses, queue: RecordingQueue, run: Runner, engine: Engine
) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner_id="u1")

    queued = analyses.get(session_id)
    assert (queued.status, queued.stage, queued.owner_id, queued.kind, queued.attempts) == (
        SessionStatus.QUEUED, "queued", "u1", "snippet", 0
    )  # fmt: skip
    assert queue.ids == [session_id]

    assert run(session_id) is SessionStatus.COMPLETED

    state = analyses.get(session_id)
    assert (state.status, state.stage, state.error, state.attempts, state.findings_count) == (
        SessionStatus.COMPLETED, "done", None, 1, 2
    )  # fmt: skip
    assert state.finished_at is not None
    assert state.lease_expires_at is None
    events = analyses.events(session_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.kind for e in events] == ["queued", "started", "stage", "finding", "finding", "done"]
    assert {(e.data["rule_id"], e.data["start_line"]) for e in events if e.kind == "finding"} == {
        ("PY-S002", 3),
        ("PY-S001", 4),
    }
    assert events[-1].data["findings_count"] == 2
    stored = _store(engine).findings(session_id)
    assert {(f.rule_id, f.span.start_line) for f in stored} == {("PY-S002", 3), ("PY-S001", 4)}
    summary = _store(engine).get_session(session_id)
    assert summary is not None
    assert summary.root == "<snippet>"
    assert summary.source_kind == "snippet"


def test_a_view_is_the_state_the_summary_and_the_readers_role_in_one_query(
    analyses: Analyses, run: Runner, engine: Engine
) -> None:
    from reviewlab.accounts import Accounts, Role
    from reviewlab.projects import ProjectRole, Projects

    accounts = Accounts(engine)
    owner = accounts.create_user("view-owner@example.com", "a long enough password", Role.REVIEWER).id
    member = accounts.create_user("view-member@example.com", "a long enough password", Role.VIEWER).id
    stranger = accounts.create_user("view-stranger@example.com", "a long enough password", Role.VIEWER).id
    project = Projects(engine).create(owner, "viewed")
    Projects(engine).add_member(project.id, member, ProjectRole.VIEWER, owner)
    session_id = analyses.submit({"kind": "snippet", "code": VULNERABLE, "language": "python"}, owner, project.id)
    assert run(session_id) is SessionStatus.COMPLETED
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)  # every engine: reads on PostgreSQL have a pool of their own
    try:
        view = analyses.view(session_id, member)
    finally:
        event.remove(Engine, "before_cursor_execute", count)

    assert len(statements) == 1
    assert view.state == analyses.get(session_id)
    assert view.summary == _store(engine).get_session(session_id)
    assert (view.summary.findings_count, view.summary.root) == (2, "<snippet>")
    assert view.role == "viewer"
    assert analyses.view(session_id, owner).role == "owner"
    assert analyses.view(session_id, stranger).role is None
    with pytest.raises(AnalysisNotFound):
        analyses.view("no-such-analysis", member)


def test_options_select_and_ignore_rules(analyses: Analyses, run: Runner, engine: Engine) -> None:
    request = {"kind": "snippet", "code": VULNERABLE, "language": "python", "options": {"ignore": ["PY-S001"]}}
    session_id = analyses.submit(request, owner_id=None)
    run(session_id)
    assert [f.rule_id for f in _store(engine).findings(session_id)] == ["PY-S002"]


def test_files_are_reviewed_as_a_tree_with_progress(analyses: Analyses, run: Runner, engine: Engine) -> None:
    files = [{"path": f"pkg/m{i}.py", "content": "x = 1\n"} for i in range(5)]
    files.append({"path": "pkg/bad.py", "content": VULNERABLE})
    session_id = analyses.submit({"kind": "files", "files": files}, owner_id="u1", project_id="p1")

    assert run(session_id) is SessionStatus.COMPLETED

    events = analyses.events(session_id)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["queued", "started"]
    assert kinds[-1] == "done"
    stages = [e.data["stage"] for e in events if e.kind == "stage"]
    assert stages == ["fetch", "discover", "analyze", "project"]
    assert next(e.data for e in events if e.kind == "input")["files"] == 6
    progress = [e.data for e in events if e.kind == "progress" and e.data["stage"] == "analyze"]
    assert progress[-1]["done"] == progress[-1]["total"] == 6
    findings = [e.data for e in events if e.kind == "finding"]
    assert {(f["path"], f["rule_id"]) for f in findings} == {("pkg/bad.py", "PY-S002"), ("pkg/bad.py", "PY-S001")}
    state = analyses.get(session_id)
    assert (state.project_id, state.findings_count) == ("p1", 2)
    summary = _store(engine).get_session(session_id)
    assert summary is not None
    assert (summary.files, summary.root) == (6, "<files>")


def _tar(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_an_archive_is_stored_as_an_artifact_and_unpacked_by_the_worker(
    analyses: Analyses, run: Runner, engine: Engine
) -> None:
    upload = Upload("src.tar.gz", _tar({"app/main.py": VULNERABLE, "app/ok.py": "y = 2\n"}), "application/gzip")
    session_id = analyses.submit({"kind": "archive", "filename": "src.tar.gz"}, owner_id="u1", upload=upload)

    assert run(session_id) is SessionStatus.COMPLETED

    assert {(f.path, f.rule_id) for f in _store(engine).findings(session_id)} == {
        ("app/main.py", "PY-S002"),
        ("app/main.py", "PY-S001"),
    }


def test_a_broken_archive_fails_with_the_reason(analyses: Analyses, run: Runner) -> None:
    upload = Upload("src.zip", b"not an archive at all")
    session_id = analyses.submit({"kind": "archive", "filename": "src.zip"}, owner_id="u1", upload=upload)

    assert run(session_id) is SessionStatus.FAILED

    state = analyses.get(session_id)
    assert state.error is not None
    assert "not a zip or tar archive" in state.error
    assert analyses.events(session_id)[-1].kind == "failed"


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, str, str]:
    """A git repository: v1 (tagged) is clean, the main branch's head adds a vulnerable file."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "ok.py").write_text("x = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "one")
    _git(repo, "tag", "v1")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "bad.py").write_text(VULNERABLE)
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "two")
    return repo, first, _git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("ref", ["main", None, "head"])
def test_a_repository_is_checked_out_at_a_branch(
    analyses: Analyses, run: Runner, engine: Engine, repository: tuple[Path, str, str], ref: str | None
) -> None:
    repo, _, head = repository
    wanted = head if ref == "head" else ref
    session_id = analyses.submit({"kind": "repository", "repo": str(repo), "ref": wanted}, owner_id="u1")

    assert run(session_id) is SessionStatus.COMPLETED, analyses.get(session_id).error

    state = analyses.get(session_id)
    assert state.source_commit == head
    assert {f.rule_id for f in _store(engine).findings(session_id)} == {"PY-S001", "PY-S002"}
    assert analyses.events(session_id)[-1].data["commit"] == head


def test_a_repository_is_checked_out_at_a_tag_or_commit(
    analyses: Analyses, run: Runner, engine: Engine, repository: tuple[Path, str, str]
) -> None:
    repo, first, _ = repository
    for ref in ("v1", first):
        session_id = analyses.submit({"kind": "repository", "repo": str(repo), "ref": ref}, owner_id="u1")
        assert run(session_id) is SessionStatus.COMPLETED, analyses.get(session_id).error
        assert analyses.get(session_id).source_commit == first
        assert _store(engine).findings(session_id) == []


def test_an_unknown_ref_fails_with_gits_reason(
    analyses: Analyses, run: Runner, repository: tuple[Path, str, str]
) -> None:
    repo, _, _ = repository
    session_id = analyses.submit({"kind": "repository", "repo": str(repo), "ref": "no-such-branch"}, owner_id="u1")

    assert run(session_id) is SessionStatus.FAILED

    error = analyses.get(session_id).error
    assert error is not None
    assert error.startswith("git fetch failed:")
    assert "no-such-branch" in error


def test_a_hook_in_the_repository_never_runs(
    analyses: Analyses, run: Runner, repository: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, _, _ = repository
    marker = tmp_path / "hook-ran"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    session_id = analyses.submit({"kind": "repository", "repo": str(repo), "ref": "main"}, owner_id="u1")

    assert run(session_id) is SessionStatus.COMPLETED
    assert not marker.exists()


def test_a_second_worker_cannot_claim_a_running_or_finished_session(analyses: Analyses, run: Runner) -> None:
    session_id = analyses.submit({"kind": "snippet", "code": "x = 1\n", "language": "python"}, owner_id=None)
    assert run(session_id) is SessionStatus.COMPLETED
    assert run(session_id, "worker-2") is None
    assert analyses.get(session_id).attempts == 1


def test_the_cli_review_still_saves_completed_sessions(engine: Engine) -> None:
    from tests.store.conftest import make_review

    session_id = Store(engine).save_review(make_review())
    summary = Store(engine).get_session(session_id)
    assert summary is not None
    assert summary.status == "completed"


def test_a_spooled_review_is_removed_from_disk_once_stored(
    analyses: Analyses, run: Runner, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    import reviewlab.jobs.runner
    from reviewlab.engine.model import ReviewResult
    from reviewlab.engine.pipeline import review

    spools = tmp_path / "spools"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    kept: list[ReviewResult] = []  # held here, so only an explicit close can remove the spool
    found: list[int] = []

    def spooled_review(*args: object, **kwargs: object) -> ReviewResult:
        kept.append(review(*args, spool_from=1, **kwargs))  # type: ignore[arg-type]
        assert list(spools.glob("reviewlab-spool-*"))  # the review is on disk while it runs
        found.append(len(kept[-1].findings))
        return kept[-1]

    monkeypatch.setattr(reviewlab.jobs.runner, "review", spooled_review)
    files = [{"path": f"m{i}.py", "content": VULNERABLE} for i in range(3)]
    session_id = analyses.submit({"kind": "files", "files": files}, owner_id="u1")

    assert run(session_id) is SessionStatus.COMPLETED
    assert len(kept) == 1
    assert not list(spools.glob("reviewlab-spool-*"))
    assert found[0] >= 6
    assert len(_store(engine).findings(session_id)) == found[0]  # stored from the spool before it went
