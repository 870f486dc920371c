"""The Projects page against the live API: create, members, quality gate, read-only viewers, readable refusals."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.client import ApiClient
from app.session import CLIENT_KEY
from tests.app.conftest import LiveApi

PAGE = "pages/projects.py"


def api_of(app: AppTest) -> ApiClient:
    """The dashboard user's own API client (signed in through the API)."""
    return app.session_state[CLIENT_KEY]


def table(app: AppTest, column: str) -> pd.DataFrame:
    """The page's table with ``column`` (the projects: "Name"; the members: "Member")."""
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def project_names(app: AppTest) -> list[str]:
    return list(table(app, "Name")["Name"])


def errors(app: AppTest) -> str:
    return " ".join(str(e.value) for e in app.error)


def new_project(app: AppTest, name: str | None = None) -> dict:
    """A project of the dashboard user's, made through the API, and the page showing it selected."""
    project = api_of(app).post("/api/projects", {"name": name or f"p-{secrets.token_hex(3)}"})
    app.run()
    app.selectbox(key="project_selected").set_value(project["id"]).run()
    return project


def test_a_reviewer_creates_a_project_and_sets_its_quality_gate(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    assert not app.exception
    assert app.title[0].value == "Projects"
    name = f"shop-{secrets.token_hex(3)}"
    app.text_input(key="project_name").input(name)
    app.text_input(key="project_repo").input("https://example.com/org/shop.git")
    app.text_input(key="project_branch").input("trunk")
    app.button(key="project_create_submit").click().run()
    assert not app.exception, app.exception
    assert any(name in str(s.value) for s in app.success)
    assert name in project_names(app)
    projects = table(app, "Name")
    row = projects[projects["Name"] == name].iloc[0]
    assert (row["Repository"], row["Branch"], row["Your role"], row["Last review"]) == (
        "https://example.com/org/shop.git",
        "trunk",
        "owner",
        "never",
    )
    assert app.selectbox(key="project_selected").format_func(app.selectbox(key="project_selected").value) == name

    app.selectbox(key="policy_fail_on").set_value("high")
    app.number_input(key="policy_max_findings").set_value(25)
    app.number_input(key="policy_max_medium").set_value(3)
    app.text_input(key="policy_forbidden_rules").input("PY-S001, JS-")
    app.number_input(key="policy_max_complexity").set_value(12)
    app.button(key="policy_save").click().run()
    assert not app.exception, app.exception
    assert not app.error, errors(app)
    assert any("Quality gate saved" in str(s.value) for s in app.success)
    project_id = app.selectbox(key="project_selected").value
    stored = api_of(app).get(f"/api/projects/{project_id}/policy")["gate"]
    assert stored == {
        "fail_on": "high",
        "max_findings": 25,
        "max_per_severity": {"medium": 3},
        "forbidden_rules": ["PY-S001", "JS-"],
        "max_complexity": 12,
    }
    # the form shows what is stored
    assert app.selectbox(key="policy_fail_on").value == "high"
    assert app.number_input(key="policy_max_findings").value == 25


def test_the_last_owner_leaving_or_demoted_is_refused_readably(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    project = new_project(app)
    app.button(key="project_leave").click().run()
    assert not app.exception
    assert "cannot remove the last owner" in errors(app)
    assert project["name"] in project_names(app)

    # a local path as the repository is for admins only
    app.text_input(key="project_name").input("local")
    app.text_input(key="project_repo").input("/srv/git/local")
    app.button(key="project_create_submit").click().run()
    assert "repo_url must be a remote git URL" in errors(app)
    assert "local" not in project_names(app)

    # demoting the only owner is refused too
    me = api_of(app).user["id"]
    app.selectbox(key="member_pick").set_value(me)
    app.selectbox(key="member_new_role").set_value("viewer")
    app.button(key="member_change").click().run()
    assert "last owner" in errors(app)
    assert api_of(app).get(f"/api/projects/{project['id']}/members")[0]["role"] == "owner"


def test_an_admin_adds_a_member_by_email_and_changes_their_role(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    app = dashboard("admin", PAGE)
    project = new_project(app)
    email = live_api.user("reviewer")
    app.text_input(key="member_who").input(email)
    app.selectbox(key="member_role").set_value("reviewer")
    app.button(key="member_add_submit").click().run()
    assert not app.exception, app.exception
    assert not app.error, errors(app)
    assert any(email in str(s.value) and "reviewer" in str(s.value) for s in app.success)
    members = api_of(app).get(f"/api/projects/{project['id']}/members")
    added = next(m for m in members if m["role"] == "reviewer")
    assert email in list(table(app, "Member")["Member"])

    app.selectbox(key="member_pick").set_value(added["user_id"])
    app.selectbox(key="member_new_role").set_value("maintainer")
    app.button(key="member_change").click().run()
    assert not app.error, errors(app)
    members = {m["user_id"]: m["role"] for m in api_of(app).get(f"/api/projects/{project['id']}/members")}
    assert members[added["user_id"]] == "maintainer"

    app.selectbox(key="member_pick").set_value(added["user_id"])
    app.button(key="member_remove").click().run()
    assert not app.error, errors(app)
    assert added["user_id"] not in {m["user_id"] for m in api_of(app).get(f"/api/projects/{project['id']}/members")}


def test_a_reviewer_adds_members_by_user_id_not_by_email(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    app = dashboard("reviewer", PAGE)
    project = new_project(app)
    colleague = live_api.client("viewer")
    try:
        app.text_input(key="member_who").input(colleague.user["email"])
        app.button(key="member_add_submit").click().run()
        assert "Only an admin can look an account up by email" in errors(app)
        app.text_input(key="member_who").input(colleague.user["id"])
        app.selectbox(key="member_role").set_value("viewer")
        app.button(key="member_add_submit").click().run()
        assert not app.error, errors(app)
        # the colleague sees the project, read-only
        roles = {m["user_id"]: m["role"] for m in colleague.get(f"/api/projects/{project['id']}/members")}
        assert roles[colleague.user["id"]] == "viewer"
    finally:
        colleague.close()


def test_a_viewer_reads_without_forms(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    app = dashboard("viewer", PAGE)
    assert not app.exception
    assert not [f for f in app.get("form") if f.proto.form_id == "project_create"]
    assert any("You are not a member of any project yet" in str(i.value) for i in app.info)
    owner = live_api.client("reviewer")
    try:
        project = owner.post("/api/projects", {"name": f"shared-{secrets.token_hex(3)}"})
        owner.put(f"/api/projects/{project['id']}/policy", {"fail_on": "critical"})
        owner.post(f"/api/projects/{project['id']}/members", {"user_id": api_of(app).user["id"], "role": "viewer"})
    finally:
        owner.close()
    app.run()
    assert not app.exception
    assert project_names(app) == [project["name"]]
    assert table(app, "Name")["Your role"].iloc[0] == "viewer"
    with pytest.raises(KeyError):
        app.text_input(key="member_who")
    with pytest.raises(KeyError):
        app.button(key="member_change")
    assert app.selectbox(key="policy_fail_on").value == "critical"
    assert app.selectbox(key="policy_fail_on").disabled
    assert app.button(key="policy_save").disabled


@pytest.mark.slow
def test_a_projects_reviews_show_the_gate_verdict_and_one_becomes_the_baseline(
    dashboard: Callable[..., AppTest],
) -> None:
    app = dashboard("reviewer", PAGE)
    project = new_project(app)
    api = api_of(app)
    api.put(f"/api/projects/{project['id']}/policy", {"fail_on": "high"})
    started = api.post(
        "/api/analyze",
        {
            "kind": "snippet",
            "code": "def run():\n    return eval(input())\n",
            "language": "python",
            "project_id": project["id"],
        },
    )
    deadline = time.monotonic() + 30
    while api.get(f"/api/analyze/{started['id']}")["analysis"]["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.1)
    app.run()
    assert not app.exception, app.exception
    assert not app.error, errors(app)
    reviews = table(app, "Review")
    assert reviews["Review"].tolist() == [started["id"]]
    assert reviews["Gate"].tolist() == ["failed"]
    assert reviews["Findings"].iloc[0] >= 1
    listed = table(app, "Name")
    assert listed[listed["Name"] == project["name"]]["Gate"].tolist() == ["failed"]
    assert any("No baseline yet" in str(i.value) for i in app.info)

    app.selectbox(key="baseline_pick").set_value(started["id"])
    app.button(key="baseline_set").click().run()
    assert not app.error, errors(app)
    assert api.get(f"/api/projects/{project['id']}/baseline")["session_id"] == started["id"]
    assert any(started["id"] in str(m.value) for m in app.markdown)
    # after a visit to another page the form still shows the stored gate
    app.switch_page("pages/trends.py").run()
    app.switch_page(PAGE).run()
    app.selectbox(key="project_selected").set_value(project["id"]).run()
    assert app.selectbox(key="policy_fail_on").value == "high"
