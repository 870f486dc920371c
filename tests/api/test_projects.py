"""Projects over HTTP: CRUD, pagination, members and roles, policy, history, and RBAC/IDOR refusals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from api.deps import Platform
from reviewlab.accounts import Role
from tests.api import PROBLEM, Client

REPO = "https://git.example.com/team/shop.git"


def create(client: Client, name: str = "shop", **fields: object) -> dict[str, object]:
    response = client.post("/api/projects", json={"name": name, "repo_url": REPO, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_create_get_update_delete(signed_in: Callable[..., Client], platform: Platform) -> None:
    owner = signed_in(Role.REVIEWER)
    project = create(owner, description="the web shop")
    assert project["role"] == "owner"
    path = f"/api/projects/{project['id']}"

    assert owner.get(path).json()["description"] == "the web shop"
    updated = owner.put(path, json={"name": "shop2", "default_branch": "trunk"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "shop2"
    assert updated.json()["default_branch"] == "trunk"

    assert owner.delete(path).status_code == 204
    assert owner.get(path).status_code == 404
    actions = [r.action for r in platform.services().audit.query(action_prefix="project.")]
    assert actions == ["project.deleted", "project.updated", "project.created"]


def test_list_is_paginated_and_only_shows_the_callers_projects(signed_in: Callable[..., Client]) -> None:
    alice, bob, admin = signed_in(), signed_in(), signed_in(Role.ADMIN)
    for index in range(5):
        create(alice, f"p{index}")
    create(bob, "bobs")

    first = alice.get("/api/projects", params={"limit": 2}).json()
    second = alice.get("/api/projects", params={"limit": 2, "offset": 2}).json()

    assert first["total"] == 5
    assert len(first["items"]) == len(second["items"]) == 2
    assert {p["name"] for p in first["items"]}.isdisjoint({p["name"] for p in second["items"]})
    assert [p["name"] for p in bob.get("/api/projects").json()["items"]] == ["bobs"]
    assert admin.get("/api/projects").json()["total"] >= 6


def test_another_users_project_is_404_for_every_verb(signed_in: Callable[..., Client]) -> None:
    alice, mallory = signed_in(), signed_in()
    project = create(alice)
    path = f"/api/projects/{project['id']}"

    answers = [
        mallory.get(path),
        mallory.put(path, json={"name": "mine now"}),
        mallory.delete(path),
        mallory.get(f"{path}/members"),
        mallory.post(f"{path}/members", json={"user_id": mallory.user.id, "role": "owner"}),
        mallory.get(f"{path}/history"),
        mallory.put(f"{path}/policy", json={"fail_on": "low"}),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all(a.headers["content-type"] == PROBLEM for a in answers)
    assert alice.get(path).json()["name"] == "shop"
    assert mallory.get(f"/api/projects/{'0' * 8}-0000-0000-0000-{'0' * 12}").status_code == 404


def test_viewers_cannot_create_projects(signed_in: Callable[..., Client]) -> None:
    viewer = signed_in(Role.VIEWER)

    assert viewer.post("/api/projects", json={"name": "x"}).status_code == 403


def test_member_roles_decide_what_members_may_do(signed_in: Callable[..., Client]) -> None:
    owner, member = signed_in(), signed_in()
    project = create(owner)
    path = f"/api/projects/{project['id']}"
    member_id = member.user.id

    added = owner.post(f"{path}/members", json={"user_id": member_id, "role": "viewer"})
    assert added.status_code == 201
    assert member.get(path).json()["role"] == "viewer"
    assert member.put(path, json={"name": "renamed"}).status_code == 403
    assert member.put(f"{path}/policy", json={"fail_on": "high"}).status_code == 403

    assert owner.put(f"{path}/members/{member_id}", json={"role": "maintainer"}).status_code == 200
    assert member.put(path, json={"description": "maintained"}).status_code == 200
    # A maintainer cannot hand out ownership, nor take it from the owner.
    assert member.put(f"{path}/members/{member_id}", json={"role": "owner"}).status_code == 403
    assert member.delete(f"{path}/members/{owner.user.id}").status_code == 403
    assert member.delete(path).status_code == 403

    # The last owner can neither leave nor be demoted.
    owner_id = owner.user.id
    assert owner.delete(f"{path}/members/{owner_id}").status_code == 409
    assert owner.put(f"{path}/members/{owner_id}", json={"role": "viewer"}).status_code == 409

    assert member.delete(f"{path}/members/{member_id}").status_code == 204  # anyone may leave
    assert member.get(path).status_code == 404
    members = owner.get(f"{path}/members").json()
    assert [m["role"] for m in members] == ["owner"]


def test_adding_an_unknown_user_or_a_member_twice(signed_in: Callable[..., Client]) -> None:
    owner, other = signed_in(), signed_in()
    path = f"/api/projects/{create(owner)['id']}"

    assert owner.post(f"{path}/members", json={"user_id": "nobody"}).status_code == 404
    assert owner.post(f"{path}/members", json={"user_id": other.user.id}).status_code == 201
    assert owner.post(f"{path}/members", json={"user_id": other.user.id}).status_code == 409


def test_policy_is_validated_and_kept_in_the_history(signed_in: Callable[..., Client]) -> None:
    owner = signed_in()
    path = f"/api/projects/{create(owner)['id']}"
    assert owner.get(f"{path}/policy").status_code == 404

    bad = owner.put(f"{path}/policy", json={"fail_on": "catastrophic"})
    unknown = owner.put(f"{path}/policy", json={"no_such_option": 1})
    good = owner.put(f"{path}/policy", json={"fail_on": "high", "max_per_severity": {"medium": 3}})

    assert bad.status_code == unknown.status_code == 422
    assert good.status_code == 200
    assert owner.get(f"{path}/policy").json()["gate"] == {"fail_on": "high", "max_per_severity": {"medium": 3}}
    actions = [h["action"] for h in owner.get(f"{path}/history").json()["items"]]
    assert actions == ["policy", "created"]


def test_duplicate_names_are_409(signed_in: Callable[..., Client]) -> None:
    owner = signed_in()
    create(owner, "same")

    assert owner.post("/api/projects", json={"name": "same"}).status_code == 409


@pytest.mark.parametrize(
    "url",
    ["/etc", "file:///etc/passwd", "../../secrets", "-uhack", "https://", "ext::sh -c touch% /tmp/pwned"],
)
def test_local_and_hostile_repository_urls_are_refused_for_non_admins(
    signed_in: Callable[..., Client], url: str
) -> None:
    reviewer = signed_in()

    response = reviewer.post("/api/projects", json={"name": "x", "repo_url": url})

    assert response.status_code == 422


def test_admins_may_register_local_repositories(signed_in: Callable[..., Client], tmp_path: object) -> None:
    admin = signed_in(Role.ADMIN)

    response = admin.post("/api/projects", json={"name": "local", "repo_url": str(tmp_path)})

    assert response.status_code == 201


@pytest.mark.parametrize("bad_id", ["../admin", "x" * 40, "DROP TABLE"])
def test_malformed_ids_are_rejected(signed_in: Callable[..., Client], bad_id: str) -> None:
    client = signed_in()

    assert client.get(f"/api/projects/{bad_id}").status_code in {404, 422}
