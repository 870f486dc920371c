"""A project's reviewed versions, baseline, quality-gate policy and history, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from reviewlab.engine.config import GateConfig
from reviewlab.projects import InvalidPolicy, InvalidProject, Projects, UnknownProject
from tests.accounts import Now
from tests.projects import add_user, projects_engine

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from projects_engine(request, tmp_path)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def projects(engine: Engine, now: Now) -> Projects:
    return Projects(engine, clock=now)


def test_versions_are_recorded_and_paged_newest_first(projects: Projects, engine: Engine, now: Now) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    recorded = []
    for index in range(3):
        now.advance(timedelta(minutes=1))
        recorded.append(
            projects.record_version(project.id, f"s{index}", " main ", COMMIT.upper(), index, {"high": index}, True)
        )

    version = recorded[0]
    assert (version.session_id, version.ref, version.commit, version.findings_count) == ("s0", "main", COMMIT, 0)
    assert (version.counts_by_severity, version.gate_passed, version.project_id) == ({"high": 0}, True, project.id)
    page = projects.versions(project.id, limit=2)
    assert (page.items, page.total) == (tuple(recorded[:0:-1]), 3)
    assert projects.versions(project.id, limit=2, offset=2).items == (recorded[0],)
    unreviewed = projects.record_version(project.id, "s3", None, None, 0, {}, None)
    assert (unreviewed.ref, unreviewed.commit, unreviewed.gate_passed) == (None, None, None)
    entry = projects.history(project.id).items[0]
    assert (entry.action, entry.actor_id, entry.detail) == (
        "version",
        None,
        {"version_id": unreviewed.id, "session_id": "s3", "findings_count": 0},
    )


def test_version_refusals(projects: Projects, engine: Engine) -> None:
    project = projects.create(add_user(engine, "ada"), "api")
    with pytest.raises(InvalidProject, match="40 hexadecimal digits, not 'abc'"):
        projects.record_version(project.id, "s", "main", "abc", 0, {}, None)
    with pytest.raises(InvalidProject, match="0 or more"):
        projects.record_version(project.id, "s", "main", None, -1, {}, None)
    with pytest.raises(UnknownProject):
        projects.record_version("no-such-project", "s", "main", None, 0, {}, None)
    assert projects.versions(project.id).total == 0


def test_the_baseline_is_set_and_replaced(projects: Projects, engine: Engine, now: Now) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    assert projects.baseline(project.id) is None

    first = projects.set_baseline(project.id, "s1", ["b", "a", "b"], ada)
    assert (first.session_id, first.fingerprints, first.set_by, first.set_at) == ("s1", ("a", "b"), ada, now())
    now.advance(timedelta(hours=1))
    second = projects.set_baseline(project.id, "s2", iter(["c"]), None)
    assert projects.baseline(project.id) == second
    assert (second.session_id, second.fingerprints, second.set_by, second.set_at) == ("s2", ("c",), None, now())
    assert [entry.detail for entry in projects.history(project.id, limit=2).items] == [
        {"session_id": "s2", "fingerprints": 1},
        {"session_id": "s1", "fingerprints": 2},
    ]
    with pytest.raises(UnknownProject):
        projects.set_baseline("no-such-project", "s", [], ada)


def test_the_policy_is_a_validated_quality_gate(projects: Projects, engine: Engine) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    assert projects.policy(project.id) is None

    gate = {"fail_on": "high", "max_per_severity": {"medium": 10}, "forbidden_rules": "PY-Q003"}
    policy = projects.set_policy(project.id, gate, ada)
    assert policy.gate == GateConfig(fail_on="high", max_per_severity={"medium": 10}, forbidden_rules=("PY-Q003",))
    assert projects.policy(project.id) == policy
    assert projects.history(project.id).items[0].detail == {
        "gate": {"fail_on": "high", "max_per_severity": {"medium": 10}, "forbidden_rules": ["PY-Q003"]}
    }
    assert projects.set_policy(project.id, {}, ada).gate == GateConfig()


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"fail_on": "severe"}, "fail_on: Value error, unknown severity 'severe'"),
        ({"max_findings": -1}, "max_findings: Input should be greater than or equal to 0"),
        ({"max_findings": 1, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"max_complexity": 0, "max_per_severity": {"bad": 1}}, "max_per_severity: .*; max_complexity: "),
    ],
)
def test_an_invalid_policy_is_refused_with_every_problem(
    projects: Projects, engine: Engine, gate: dict[str, Any], message: str
) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    with pytest.raises(InvalidPolicy, match=f"invalid quality gate: {message}"):
        projects.set_policy(project.id, gate, ada)
    assert projects.policy(project.id) is None


def test_policy_of_an_unknown_project(projects: Projects, engine: Engine) -> None:
    with pytest.raises(UnknownProject):
        projects.set_policy("no-such-project", {}, add_user(engine, "ada"))


def test_history_pages_newest_first(projects: Projects, engine: Engine) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    for index in range(4):
        projects.update(project.id, ada, description=f"d{index}")

    page = projects.history(project.id, limit=3, offset=1)
    assert page.total == 5
    assert [entry.action for entry in page.items] == ["updated", "updated", "updated"]
    assert [entry.id for entry in page.items] == sorted((entry.id for entry in page.items), reverse=True)
    assert projects.history(project.id, limit=3, offset=4).items[0].action == "created"
    assert projects.history("no-such-project").total == 0
    with pytest.raises(ValueError, match="must not be negative"):
        projects.history(project.id, offset=-1)
