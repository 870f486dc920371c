"""Project members and roles: adding, changing, removing, the last-owner refusal and what each role may do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from reviewlab.accounts import UnknownUser
from reviewlab.projects import (
    AlreadyMember,
    InvalidProject,
    LastOwner,
    ProjectRole,
    Projects,
    UnknownMember,
    UnknownProject,
    at_least,
    can_edit,
    can_read,
    can_triage,
)
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


def test_add_change_and_remove_members(projects: Projects, engine: Engine, now: Now) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    project = projects.create(ada, "api")
    now.advance(timedelta(minutes=1))

    bob_member = projects.add_member(project.id, bob, "reviewer", ada)
    assert (bob_member.user_id, bob_member.role, bob_member.added_at) == (bob, ProjectRole.REVIEWER, now())
    assert [(member.user_id, member.role) for member in projects.members(project.id)] == [
        (ada, ProjectRole.OWNER),
        (bob, ProjectRole.REVIEWER),
    ]
    assert projects.visible(project.id, bob, is_admin=False) == project

    assert projects.set_member_role(project.id, bob, ProjectRole.MAINTAINER, ada).role is ProjectRole.MAINTAINER
    assert projects.set_member_role(project.id, bob, "maintainer", ada).role is ProjectRole.MAINTAINER  # no change
    assert projects.member_role(project.id, bob) is ProjectRole.MAINTAINER

    projects.remove_member(project.id, bob, ada)
    assert projects.member_role(project.id, bob) is None
    assert projects.visible(project.id, bob, is_admin=False) is None
    assert [(entry.action, entry.detail) for entry in reversed(projects.history(project.id).items)] == [
        ("created", {"name": "api"}),
        ("member_added", {"user_id": bob, "role": "reviewer"}),
        ("member_role", {"user_id": bob, "from": "reviewer", "to": "maintainer"}),
        ("member_removed", {"user_id": bob}),
    ]


def test_the_last_owner_can_be_neither_removed_nor_demoted(projects: Projects, engine: Engine) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    project = projects.create(ada, "api")

    with pytest.raises(LastOwner, match="cannot remove the last owner"):
        projects.remove_member(project.id, ada, ada)
    with pytest.raises(LastOwner, match="cannot demote the last owner"):
        projects.set_member_role(project.id, ada, "maintainer", ada)
    assert projects.member_role(project.id, ada) is ProjectRole.OWNER

    projects.add_member(project.id, bob, "owner", ada)
    projects.set_member_role(project.id, ada, "viewer", bob)
    with pytest.raises(LastOwner):
        projects.remove_member(project.id, bob, bob)
    projects.set_member_role(project.id, ada, "owner", bob)
    projects.remove_member(project.id, bob, ada)
    assert [member.user_id for member in projects.members(project.id)] == [ada]


def test_member_refusals(projects: Projects, engine: Engine) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    project = projects.create(ada, "api")

    with pytest.raises(AlreadyMember, match="member of the project already"):
        projects.add_member(project.id, ada, "viewer", ada)
    with pytest.raises(InvalidProject, match="unknown project role 'admin'; use one of owner, maintainer"):
        projects.add_member(project.id, bob, "admin", ada)
    with pytest.raises(UnknownUser, match="no user"):
        projects.add_member(project.id, "no-such-user", "viewer", ada)
    with pytest.raises(UnknownProject):
        projects.add_member("no-such-project", bob, "viewer", ada)
    with pytest.raises(UnknownMember, match="is not a member"):
        projects.set_member_role(project.id, bob, "viewer", ada)
    with pytest.raises(UnknownMember, match="is not a member"):
        projects.remove_member(project.id, bob, ada)
    assert projects.members("no-such-project") == []
    assert projects.member_role("no-such-project", ada) is None


@pytest.mark.parametrize(
    ("role", "edit", "triage", "read"),
    [
        (ProjectRole.OWNER, True, True, True),
        ("maintainer", True, True, True),
        ("reviewer", False, True, True),
        ("viewer", False, False, True),
        (None, False, False, False),
    ],
)
def test_what_each_role_may_do(role: ProjectRole | str | None, edit: bool, triage: bool, read: bool) -> None:
    assert (can_edit(role), can_triage(role), can_read(role)) == (edit, triage, read)
    assert at_least(role, ProjectRole.OWNER) is (role == ProjectRole.OWNER)
