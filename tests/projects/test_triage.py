"""Finding triage by fingerprint, per project or per user, with its history, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.projects import InvalidTriage, Projects, TriageStatus, UnknownProject, project_scope, user_scope
from tests.accounts import Now
from tests.projects import add_user, projects_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from projects_engine(request, tmp_path)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def projects(engine: Engine, now: Now) -> Projects:
    return Projects(engine, clock=now)


def test_project_triage_is_kept_with_its_events_and_history(projects: Projects, engine: Engine, now: Now) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    project = projects.create(ada, "api")
    scope = project_scope(project.id)

    first = projects.triage(scope, "fp1", "false_positive", "  test code  ", ada)
    assert (first.status, first.comment, first.updated_by, first.updated_at) == (
        TriageStatus.FALSE_POSITIVE,
        "test code",
        ada,
        now(),
    )
    now.advance(timedelta(days=1))
    second = projects.triage(scope, "fp1", TriageStatus.OPEN, "", bob)
    projects.triage(scope, "fp2", "accepted", None, bob)

    states = projects.triage_states(scope, ["fp1", "fp2", "fp3", "fp1"])
    assert states == {"fp1": second, "fp2": states["fp2"]}
    assert (second.status, second.comment, second.updated_by) == (TriageStatus.OPEN, None, bob)
    events = projects.triage_events(scope, "fp1")
    assert [(event.status, event.comment, event.actor_id, event.at) for event in events] == [
        (TriageStatus.FALSE_POSITIVE, "test code", ada, now() - timedelta(days=1)),
        (TriageStatus.OPEN, None, bob, now()),
    ]
    assert [(entry.action, entry.detail) for entry in projects.history(project.id, limit=3).items] == [
        ("triage", {"fingerprint": "fp2", "status": "accepted"}),
        ("triage", {"fingerprint": "fp1", "status": "open"}),
        ("triage", {"fingerprint": "fp1", "status": "false_positive"}),
    ]


def test_user_scopes_are_separate_and_have_no_project_history(projects: Projects, engine: Engine) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    projects.triage(user_scope(ada), "fp", "fixed", None, ada)
    assert projects.triage_states(user_scope(ada), ["fp"])["fp"].status is TriageStatus.FIXED
    assert projects.triage_states(user_scope(bob), ["fp"]) == {}
    assert projects.triage_states(user_scope(ada), []) == {}
    assert len(projects.triage_events(user_scope(ada), "fp")) == 1
    assert projects.triage_events(user_scope(bob), "fp") == []


@pytest.mark.parametrize(
    ("scope", "fingerprint", "status", "comment", "message"),
    [
        ("user:u", "fp", "wontfix", None, "unknown triage status 'wontfix'; use one of open, accepted"),
        ("team:t", "fp", "open", None, "unknown triage scope 'team:t'"),
        ("project:", "fp", "open", None, "unknown triage scope"),
        ("user", "fp", "open", None, "unknown triage scope"),
        ("user:u", "", "open", None, "fingerprint has 1 to 128"),
        ("user:u", "f" * 129, "open", None, "fingerprint has 1 to 128"),
        ("user:u", "fp", "open", "x" * 2001, "at most 2000 characters, not 2001"),
    ],
)
def test_invalid_triage_is_refused(
    projects: Projects, scope: str, fingerprint: str, status: str, comment: str | None, message: str
) -> None:
    with pytest.raises(InvalidTriage, match=message):
        projects.triage(scope, fingerprint, status, comment, None)


def test_triage_of_an_unknown_project_is_refused(projects: Projects) -> None:
    with pytest.raises(UnknownProject):
        projects.triage(project_scope("no-such-project"), "fp", "open", None, None)
    assert projects.triage_events(project_scope("no-such-project"), "fp") == []
