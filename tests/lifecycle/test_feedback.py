"""Reviewer triage becomes partial cases: analyses run through the jobs service, triaged as the API does."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.jobs.events import MemoryNotifier
from reviewlab.jobs.runner import run_analysis
from reviewlab.jobs.service import Analyses
from reviewlab.lifecycle.dataset import Label, load_dataset, write_dataset
from reviewlab.lifecycle.feedback import cases_from_triage
from reviewlab.projects import Projects, user_scope
from reviewlab.settings import Settings, get_settings
from reviewlab.store import Store
from reviewlab.store.models import SessionStatus
from tests.jobs.conftest import VULNERABLE, migrated_engine
from tests.lifecycle.support import small_dataset

RUN = "import subprocess\n\n\ndef go(cmd):\n    return subprocess.run(cmd, shell=True)\n"
"""A file the engine flags on line 5 (PY-S002, command injection)."""
REPO_CODE = "import os\n\n\ndef go():\n    os.system(input())\n"
OWNER = "u1"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    yield from migrated_engine(f"sqlite:///{tmp_path / 'store.db'}")


class Lab:
    """Analyses submitted and run in-process, and triage in the owner's scope (the API's scope without a project)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.notifier = MemoryNotifier()
        self.analyses = Analyses(engine, self.notifier, None)
        self.projects = Projects(engine, clock=lambda: datetime(2027, 3, 4, 5, 6, tzinfo=UTC))

    def analyse(self, request: dict[str, object]) -> dict[tuple[str, int], str]:
        """Run ``request``; the fingerprint of each finding by (rule, line)."""
        session_id = self.analyses.submit(request, owner_id=OWNER)
        status = run_analysis(session_id, "worker-1", self.settings, engine=self.engine, notifier=self.notifier)
        assert status is SessionStatus.COMPLETED, self.analyses.get(session_id).error
        return {(f.rule_id, f.span.start_line): f.fingerprint for f in Store(self.engine).findings(session_id)}

    def triage(self, fingerprint: str, status: str) -> None:
        self.projects.triage(user_scope(OWNER), fingerprint, status, None, None)


@pytest.fixture
def lab(engine: Engine) -> Lab:
    return Lab(engine, get_settings())


def git_repository(root: Path) -> Path:
    root.mkdir()
    for args in (
        ["init", "--quiet", "--initial-branch=main"],
        ["config", "user.email", "t@example.com"],
        ["config", "user.name", "t"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    (root / "tool.py").write_text(REPO_CODE, encoding="utf-8")
    subprocess.run(["git", "add", "."], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "commit", "--quiet", "-m", "one"], cwd=root, check=True, capture_output=True)
    return root


def test_triaged_findings_become_partial_cases_with_their_file(lab: Lab, tmp_path: Path) -> None:
    snippet = lab.analyse({"kind": "snippet", "code": VULNERABLE, "language": "python"})
    files = lab.analyse(
        {
            "kind": "files",
            "files": [{"path": "pkg/run.py", "content": RUN}, {"path": "pkg/ok.py", "content": "x = 1\n"}],
        }
    )
    repository = lab.analyse({"kind": "repository", "repo": str(git_repository(tmp_path / "repo")), "ref": "main"})
    rejected, ignored = snippet[("PY-S001", 4)], snippet[("PY-S002", 3)]
    accepted = files[("PY-S002", 5)]
    [from_repository] = repository.values()
    lab.triage(rejected, "false_positive")
    lab.triage(ignored, "open")
    lab.triage(accepted, "accepted")
    lab.triage(from_repository, "accepted")

    feedback = cases_from_triage(lab.engine, lab.settings)

    cases = {case.id: case for case in feedback.cases}
    assert set(cases) == {f"triage-{rejected[:16].lower()}", f"triage-{accepted[:16].lower()}"}
    false_positive = cases[f"triage-{rejected[:16].lower()}"]
    assert (false_positive.language, dict(false_positive.files)) == ("python", {"snippet.py": VULNERABLE.encode()})
    assert false_positive.expected == ()
    assert false_positive.not_expected == (Label("snippet.py", 4, "security", 95, "PY-S001", "triaged false_positive"),)
    assert (false_positive.complete, false_positive.clean, false_positive.origin) == (False, False, "triage")
    assert false_positive.categories == frozenset({"security"})
    assert false_positive.description == "PY-S001 triaged false positive on 2027-03-04"

    found = cases[f"triage-{accepted[:16].lower()}"]
    assert (found.language, dict(found.files)) == ("python", {"pkg/run.py": RUN.encode()})
    assert found.expected == (Label("pkg/run.py", 5, "security", 78, "PY-S002", "triaged accepted"),)
    assert found.not_expected == ()
    assert found.description == "PY-S002 triaged accepted on 2027-03-04"

    assert feedback.skipped == [
        {"fingerprint": from_repository, "reason": "the code of a repository analysis is not kept"}
    ]

    # The cases are valid dataset cases: they extend a dataset, and survive writing and reading it.
    extended = small_dataset().extended(feedback.cases)
    loaded = load_dataset(write_dataset(extended, tmp_path / "dataset"))
    assert loaded.version == extended.version
    assert loaded.summary()["from_triage"] == 2


def test_only_accepted_and_false_positive_triage_counts_and_the_limit_holds(lab: Lab) -> None:
    snippet = lab.analyse({"kind": "snippet", "code": VULNERABLE, "language": "python"})
    assert cases_from_triage(lab.engine, lab.settings).cases == []

    first, second = snippet[("PY-S002", 3)], snippet[("PY-S001", 4)]
    lab.triage(first, "fixed")
    lab.triage(second, "open")
    assert cases_from_triage(lab.engine, lab.settings).cases == []

    lab.triage(first, "accepted")
    lab.triage(second, "accepted")
    assert len(cases_from_triage(lab.engine, lab.settings).cases) == 2
    assert len(cases_from_triage(lab.engine, lab.settings, limit=1).cases) == 1

    lab.triage(second, "open")  # the current triage counts, not the history
    [only] = cases_from_triage(lab.engine, lab.settings).cases
    assert only.id == f"triage-{first[:16].lower()}"


def test_a_finding_in_several_analyses_is_one_case(lab: Lab) -> None:
    request = {"kind": "snippet", "code": VULNERABLE, "language": "python"}
    first = lab.analyse(request)[("PY-S001", 4)]
    again = lab.analyse(request)[("PY-S001", 4)]
    assert first == again
    lab.triage(first, "false_positive")

    feedback = cases_from_triage(lab.engine, lab.settings)

    assert [case.id for case in feedback.cases] == [f"triage-{first[:16].lower()}"]
    assert feedback.skipped == []


def test_the_current_dataset_is_the_curated_one_plus_triage_and_each_version_is_kept(
    lab: Lab, tmp_path: Path, mlflow_uri: str
) -> None:
    from reviewlab.errors import ConfigError
    from reviewlab.lifecycle.lab import current_dataset, dataset_version, lifecycle_for
    from tests.lifecycle.support import lab_directory

    settings = lab.settings.model_copy(
        update={"reviewlab_experiments_dir": lab_directory(tmp_path), "mlflow_tracking_uri": mlflow_uri}
    )
    lifecycle = lifecycle_for(lab.engine, settings)
    curated, nothing = current_dataset(lifecycle, settings)
    assert curated.version == small_dataset().version
    assert nothing.cases == []

    found = lab.analyse({"kind": "snippet", "code": VULNERABLE, "language": "python"})
    lab.triage(found[("PY-S001", 4)], "false_positive")
    grown, feedback = current_dataset(lifecycle, settings)

    assert len(feedback.cases) == 1
    assert grown.parent == curated.version
    assert len(grown.cases) == len(curated.cases) + 1
    assert [d["version"] for d in lifecycle.datasets()] == [grown.version, curated.version]
    assert dataset_version(lifecycle, grown.version) == grown  # read back from its snapshot
    snapshot = Path(next(d["location"] for d in lifecycle.datasets() if d["version"] == grown.version))
    assert snapshot == settings.reviewlab_home / "datasets" / grown.version
    sample = next((snapshot / "samples").glob("triage-*/*"))
    sample.write_text(sample.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="has been changed"):
        dataset_version(lifecycle, grown.version)
