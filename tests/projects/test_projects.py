"""``Projects``: create, read, visibility, listing, update and delete, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from reviewlab.accounts import UnknownUser
from reviewlab.accounts.models import UserRow
from reviewlab.projects import InvalidProject, NameTaken, ProjectRole, Projects, UnknownProject, project_scope
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


def test_create_makes_the_creator_an_owner_and_records_it(projects: Projects, engine: Engine, now: Now) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "  reviewlab ", "the platform", "https://example.org/reviewlab.git")

    assert (project.name, project.description, project.repo_url, project.default_branch) == (
        "reviewlab",
        "the platform",
        "https://example.org/reviewlab.git",
        "main",
    )
    assert (project.owner_id, project.created_at, project.updated_at) == (ada, now(), now())
    assert projects.get(project.id) == project
    assert projects.member_role(project.id, ada) is ProjectRole.OWNER
    assert [(entry.action, entry.actor_id, entry.detail) for entry in projects.history(project.id).items] == [
        ("created", ada, {"name": "reviewlab"})
    ]


def test_names_are_unique_per_owner(projects: Projects, engine: Engine) -> None:
    ada, bob = add_user(engine, "ada"), add_user(engine, "bob")
    projects.create(ada, "api", repo_url="/srv/api")
    with pytest.raises(NameTaken, match="already have a project named 'api'"):
        projects.create(ada, " api ")
    assert projects.create(bob, "api").owner_id == bob


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name has 1 to 200"),
        ({"name": "x" * 201}, "name has 1 to 200"),
        ({"name": "ok", "default_branch": "  "}, "default branch has 1 to 255"),
        ({"name": "ok", "repo_url": "x" * 2049}, "repository URL has at most 2048"),
    ],
)
def test_create_refuses_invalid_fields(
    projects: Projects, engine: Engine, fields: dict[str, str], message: str
) -> None:
    ada = add_user(engine, "ada")
    with pytest.raises(InvalidProject, match=message):
        projects.create(ada, **fields)


def test_create_refuses_an_unknown_owner(projects: Projects) -> None:
    with pytest.raises(UnknownUser, match="no user"):
        projects.create("no-such-user", "api")


def test_get_of_an_unknown_project_is_none(projects: Projects) -> None:
    assert projects.get("no-such-project") is None


def test_visible_only_to_members_and_admins(projects: Projects, engine: Engine) -> None:
    ada, eve = add_user(engine, "ada"), add_user(engine, "eve")
    project = projects.create(ada, "api")

    assert projects.visible(project.id, ada, is_admin=False) == project
    assert projects.visible(project.id, eve, is_admin=False) is None
    assert projects.visible(project.id, eve, is_admin=True) == project
    assert projects.visible("no-such-project", eve, is_admin=True) is None


def test_a_project_comes_with_the_callers_role_in_one_read(projects: Projects, engine: Engine) -> None:
    ada, bob, eve = add_user(engine, "ada"), add_user(engine, "bob"), add_user(engine, "eve")
    project = projects.create(ada, "api")
    other = projects.create(eve, "eves")
    projects.add_member(project.id, bob, "reviewer", ada)

    assert projects.visible_with_role(project.id, ada, is_admin=False) == (project, ProjectRole.OWNER)
    assert projects.visible_with_role(project.id, bob, is_admin=False) == (project, ProjectRole.REVIEWER)
    assert projects.visible_with_role(project.id, eve, is_admin=False) is None
    assert projects.visible_with_role(project.id, eve, is_admin=True) == (project, None)  # an admin, not a member
    assert projects.visible_with_role("no-such-project", eve, is_admin=True) is None

    assert projects.list_with_roles(bob, is_admin=False).items == ((project, ProjectRole.REVIEWER),)
    everything = projects.list_with_roles(eve, is_admin=True)
    assert everything.total == 2
    assert dict(everything.items) == {other: ProjectRole.OWNER, project: None}


def test_list_for_pages_newest_first_with_totals(projects: Projects, engine: Engine, now: Now) -> None:
    ada, bob, root = add_user(engine, "ada"), add_user(engine, "bob"), add_user(engine, "root")
    names = []
    for index in range(5):
        now.advance(timedelta(minutes=1))
        names.append(projects.create(ada, f"p{index}").name)
    now.advance(timedelta(minutes=1))
    projects.create(bob, "bobs")

    first = projects.list_for(ada, is_admin=False, limit=2)
    second = projects.list_for(ada, is_admin=False, limit=2, offset=2)
    last = projects.list_for(ada, is_admin=False, limit=2, offset=4)
    assert [project.name for page in (first, second, last) for project in page.items] == names[::-1]
    assert (first.total, second.total, last.total) == (5, 5, 5)
    past_the_end = projects.list_for(ada, is_admin=False, limit=2, offset=9)  # no row to carry the total
    assert (past_the_end.items, past_the_end.total) == ((), 5)
    assert projects.list_for(root, is_admin=True, limit=1, offset=50).total == 6
    assert projects.list_for(bob, is_admin=False).total == 1
    assert projects.list_for(root, is_admin=False) == projects.list_for(root, is_admin=False, offset=3)
    assert projects.list_for(root, is_admin=False).total == 0
    everything = projects.list_for(root, is_admin=True, limit=100)
    assert (everything.total, everything.items[0].name) == (6, "bobs")
    with pytest.raises(ValueError, match="must not be negative"):
        projects.list_for(ada, is_admin=False, limit=-1)


def test_update_changes_fields_and_records_which(projects: Projects, engine: Engine, now: Now) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api", "old", "/srv/api")
    now.advance(timedelta(hours=1))

    updated = projects.update(project.id, ada, name="api2", description="  ", default_branch="trunk", repo_url="/srv/x")
    assert (updated.name, updated.description, updated.default_branch, updated.repo_url) == (
        "api2",
        None,
        "trunk",
        "/srv/x",
    )
    assert (updated.created_at, updated.updated_at) == (project.created_at, now())
    entry = projects.history(project.id).items[0]
    assert (entry.action, entry.detail) == (
        "updated",
        {"fields": ["default_branch", "description", "name", "repo_url"]},
    )

    assert projects.update(project.id, ada, name="api2") == updated  # nothing changed: nothing recorded
    assert projects.history(project.id).total == 2


def test_update_refusals(projects: Projects, engine: Engine) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    projects.create(ada, "web")
    with pytest.raises(NameTaken, match="'web'"):
        projects.update(project.id, ada, name="web")
    with pytest.raises(InvalidProject, match="cannot change owner_id; editable: default_branch, description"):
        projects.update(project.id, ada, owner_id="someone")
    with pytest.raises(InvalidProject, match="name has 1 to 200"):
        projects.update(project.id, ada, name=None)
    with pytest.raises(UnknownProject, match="no project with id 'nope'"):
        projects.update("nope", ada, name="x")


def test_delete_removes_the_project_and_everything_in_it(projects: Projects, engine: Engine) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    other = projects.create(ada, "web")
    for target in (project, other):
        projects.record_version(target.id, "s1", "main", None, 0, {}, None)
        projects.set_baseline(target.id, "s1", ["fp"], ada)
        projects.set_policy(target.id, {"max_findings": 3}, ada)
        projects.triage(project_scope(target.id), "fp", "accepted", None, ada)

    projects.delete(project.id, ada)

    assert projects.get(project.id) is None
    assert projects.members(project.id) == []
    assert projects.versions(project.id).total == 0
    assert projects.history(project.id).total == 0
    assert (projects.baseline(project.id), projects.policy(project.id)) == (None, None)
    assert projects.triage_states(project_scope(project.id), ["fp"]) == {}
    assert projects.triage_events(project_scope(project.id), "fp") == []
    assert projects.triage_states(project_scope(other.id), ["fp"])["fp"].status == "accepted"
    assert projects.versions(other.id).total == 1
    with pytest.raises(UnknownProject):
        projects.delete(project.id, ada)


def test_deleting_the_owner_account_deletes_their_projects(projects: Projects, engine: Engine) -> None:
    ada = add_user(engine, "ada")
    project = projects.create(ada, "api")
    with engine.begin() as connection:
        connection.execute(delete(UserRow).where(UserRow.id == ada))
    assert projects.get(project.id) is None
