"""Projects: the user's projects, a new one, and a selected project's members, quality gate, reviews and baseline.

Everything goes through the API as the signed-in user, which decides what each may do: members with the
owner or maintainer role in a project (and admins) manage its members, baseline and policy; only owners
grant or take away ownership; anyone may leave a project, except its last owner. Others read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import streamlit as st

from app.client import ApiClient, ApiError, SessionExpired
from app.session import call, can_write, require_sign_in, role, user

PAGE = "pages/projects.py"
PAGE_SIZE = 20
SEVERITIES = ("critical", "high", "medium", "low", "info")
PROJECT_ROLES = ("viewer", "reviewer", "maintainer", "owner")
MANAGERS = frozenset({"owner", "maintainer"})
NO_SEVERITY = "(no limit)"
POLICY_KEYS = (
    "policy_fail_on",
    "policy_max_findings",
    *(f"policy_max_{severity}" for severity in SEVERITIES),
    "policy_forbidden_rules",
    "policy_max_complexity",
    "policy_max_cognitive",
)


# -- helpers ----------------------------------------------------------------------------------------------------


def api(action: Callable[[ApiClient], Any]) -> Any:
    """The API's answer, or None after showing its error (an ended session goes to sign-in)."""
    return call(action, page=PAGE)


def optional(path: str, **params: Any) -> Any:
    """GET ``path``; ``{}`` when the API says it does not exist (404), None after showing any other error."""

    def get(client: ApiClient) -> Any:
        try:
            return client.get(path, **params)
        except SessionExpired:
            raise
        except ApiError as err:
            if err.status == 404:
                return {}
            raise

    return api(get)


def when(value: str | None) -> str:
    """An API timestamp, as people read it (UTC, to the minute)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def verdict(passed: bool | None) -> str:
    return "—" if passed is None else ("passed" if passed else "failed")


def flash(message: str) -> None:
    """A success message shown after the rerun that follows a change."""
    st.session_state["projects_flash"] = message


def user_directory(is_admin: bool) -> dict[str, str]:
    """User id -> email: every account for an admin (``/api/admin/users``), else only the signed-in user."""
    me = user()
    directory: dict[str, str] = {}
    if me:
        directory[str(me["id"])] = str(me["email"])
    if not is_admin:
        return directory
    offset = 0
    while True:
        page = call(lambda c, at=offset: c.get("/api/admin/users", limit=500, offset=at), page=PAGE, quiet=True)
        if not page:
            break
        directory |= {item["id"]: item["email"] for item in page["items"]}
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    return directory


def resolve_user(who: str, directory: dict[str, str], is_admin: bool) -> str | None:
    """The user id of ``who`` (an email or a user id); None after saying why it cannot be resolved."""
    who = who.strip()
    if not who:
        st.error("Enter the new member's email or user id.")
        return None
    if "@" not in who:
        return who
    for user_id, email in directory.items():
        if email.lower() == who.lower():
            return user_id
    if is_admin:
        st.error(f"There is no account with the email {who}.")
    else:
        st.error(
            "Only an admin can look an account up by email: ask the person for their user id "
            "(shown at the top of their Projects page) and enter that instead."
        )
    return None


# -- the page ---------------------------------------------------------------------------------------------------

current = require_sign_in(PAGE)
is_admin = role() == "admin"
st.title("Projects")
st.caption(f"Your user id (others add you to their projects with it): `{current.get('id')}`")
notice = st.session_state.pop("projects_flash", None)
if notice:
    st.success(notice)

# A new project (writers): handled before the list so that it appears in it at once.
if can_write():
    with st.expander("New project", expanded=False, icon=":material/add:"), st.form("project_create"):
        name = st.text_input("Name", key="project_name", max_chars=200)
        repo_url = st.text_input(
            "Repository (git URL)", key="project_repo", placeholder="https://github.com/org/repo.git"
        )
        branch = st.text_input("Default branch", value="main", key="project_branch", max_chars=255)
        description = st.text_area("Description", key="project_description", max_chars=4000)
        create = st.form_submit_button("Create project", type="primary", key="project_create_submit")
    if create:
        if not name.strip():
            st.error("Give the project a name.")
        else:
            body = {
                "name": name.strip(),
                "description": description.strip() or None,
                "repo_url": repo_url.strip() or None,
                "default_branch": branch.strip() or "main",
            }
            created = api(lambda c: c.post("/api/projects", body))
            if created:
                st.success(f"Project {created['name']} created: you are its owner.")
                st.session_state["project_selected"] = created["id"]
                st.session_state["projects_page"] = 1
else:
    st.info("Your role reads projects it is a member of; a reviewer or an admin can create projects.")

# The list, a page at a time.
offset = (int(st.session_state.get("projects_page", 1)) - 1) * PAGE_SIZE
listing = api(lambda c: c.get("/api/projects", limit=PAGE_SIZE, offset=offset))
if listing is None:
    st.stop()
projects: list[dict[str, Any]] = listing["items"]
total = int(listing["total"])
if total == 0:
    st.info("You are not a member of any project yet." + (" Create one above." if can_write() else ""))
    st.stop()

rows = []
for project in projects:
    latest = call(lambda c, pid=project["id"]: c.get(f"/api/projects/{pid}/versions", limit=1), page=PAGE, quiet=True)
    last = (latest or {}).get("items") or [{}]
    rows.append(
        {
            "Name": project["name"],
            "Repository": project.get("repo_url") or "",
            "Branch": project["default_branch"],
            "Your role": project.get("role") or ("admin" if is_admin else ""),
            "Last review": when(last[0].get("created_at")) or "never",
            "Findings": last[0].get("findings_count"),
            "Gate": verdict(last[0].get("gate_passed")) if last[0] else "—",
        }
    )
st.subheader(f"Your projects ({total})")
st.dataframe(rows, hide_index=True, width="stretch", key="projects_table")
pages = max(1, -(-total // PAGE_SIZE))
if pages > 1:
    st.number_input("Page", min_value=1, max_value=pages, step=1, key="projects_page")
    st.caption(f"Page {int(st.session_state.get('projects_page', 1))} of {pages}")

# The selected project.
ids = [project["id"] for project in projects]
by_id = {project["id"]: project for project in projects}
if st.session_state.get("project_selected") not in ids:
    st.session_state["project_selected"] = ids[0]
selected_id = st.selectbox(
    "Project", ids, format_func=lambda pid: by_id[pid]["name"], key="project_selected", help="its details below"
)
project = by_id[selected_id]
my_role = project.get("role")
manages = is_admin or my_role in MANAGERS
owns = is_admin or my_role == "owner"

st.header(project["name"])
facts = [f"Repository: {project.get('repo_url') or 'none'}", f"Branch: {project['default_branch']}"]
facts.append(f"Your role: {my_role or 'admin (not a member)'}")
st.caption(" · ".join(facts))
if project.get("description"):
    st.markdown(project["description"])
if not manages:
    st.info("You can read this project; its owners and maintainers change its members, quality gate and baseline.")

members_tab, policy_tab, reviews_tab, baseline_tab, history_tab = st.tabs(
    ["Members", "Quality gate", "Reviews", "Baseline", "History"]
)

# -- members ----------------------------------------------------------------------------------------------------
with members_tab:
    directory = user_directory(is_admin)
    members = api(lambda c: c.get(f"/api/projects/{selected_id}/members")) or []

    def who(user_id: str) -> str:
        email = directory.get(user_id)
        label = email or user_id
        return f"{label} (you)" if user_id == current.get("id") else label

    st.dataframe(
        [{"Member": who(m["user_id"]), "Role": m["role"], "Added": when(m["added_at"])} for m in members],
        hide_index=True,
        width="stretch",
        key="members_table",
    )
    grantable = PROJECT_ROLES if owns else PROJECT_ROLES[:-1]
    if manages:
        with st.form("member_add", clear_on_submit=True):
            st.markdown("**Add a member**")
            new_member = st.text_input(
                "Email or user id", key="member_who", help="an admin may give an email; others give the user id"
            )
            new_role = st.selectbox("Role", grantable, key="member_role")
            add = st.form_submit_button("Add member", key="member_add_submit")
        if add:
            user_id = resolve_user(new_member, directory, is_admin)
            if user_id is not None:
                added = api(
                    lambda c: c.post(f"/api/projects/{selected_id}/members", {"user_id": user_id, "role": new_role})
                )
                if added:
                    flash(f"{who(added['user_id'])} is now a {added['role']} of {project['name']}.")
                    st.rerun()

        if members:
            st.markdown("**Change a member**")
            member_ids = [m["user_id"] for m in members]
            roles = {m["user_id"]: m["role"] for m in members}
            picked = st.selectbox(
                "Member", member_ids, format_func=lambda uid: f"{who(uid)} — {roles[uid]}", key="member_pick"
            )
            changed_role = st.selectbox("New role", grantable, key="member_new_role")
            change_col, remove_col = st.columns(2)
            if change_col.button("Change role", key="member_change"):
                changed = api(lambda c: c.put(f"/api/projects/{selected_id}/members/{picked}", {"role": changed_role}))
                if changed:
                    flash(f"{who(picked)} is now a {changed['role']} of {project['name']}.")
                    st.rerun()
            if remove_col.button("Remove from project", key="member_remove"):
                removed = api(lambda c: c.delete(f"/api/projects/{selected_id}/members/{picked}") or True)
                if removed:
                    flash(f"{who(picked)} is no longer a member of {project['name']}.")
                    st.rerun()
    if my_role is not None and st.button("Leave this project", key="project_leave"):
        left = api(lambda c: c.delete(f"/api/projects/{selected_id}/members/{current['id']}") or True)
        if left:
            flash(f"You left {project['name']}.")
            st.session_state.pop("project_selected", None)
            st.rerun()

# -- quality gate -------------------------------------------------------------------------------------------------


def gate_from_form() -> dict[str, Any]:
    """The quality gate options the form describes (unset ones left out, as the API stores them)."""
    state = st.session_state
    gate: dict[str, Any] = {}
    if state.get("policy_fail_on") not in (None, NO_SEVERITY):
        gate["fail_on"] = state["policy_fail_on"]
    for option in ("max_findings", "max_complexity", "max_cognitive"):
        if state.get(f"policy_{option}") is not None:
            gate[option] = int(state[f"policy_{option}"])
    limits = {s: int(state[f"policy_max_{s}"]) for s in SEVERITIES if state.get(f"policy_max_{s}") is not None}
    if limits:
        gate["max_per_severity"] = limits
    rules = [rule.strip() for rule in str(state.get("policy_forbidden_rules") or "").split(",") if rule.strip()]
    if rules:
        gate["forbidden_rules"] = rules
    return gate


def load_gate(gate: dict[str, Any]) -> None:
    """Put the stored options in the form's widgets (on a new project, or after saving)."""
    state = st.session_state
    state["policy_fail_on"] = gate.get("fail_on") or NO_SEVERITY
    for option in ("max_findings", "max_complexity", "max_cognitive"):
        state[f"policy_{option}"] = gate.get(option)
    limits = gate.get("max_per_severity") or {}
    for severity in SEVERITIES:
        state[f"policy_max_{severity}"] = limits.get(severity)
    state["policy_forbidden_rules"] = ", ".join(gate.get("forbidden_rules") or [])


with policy_tab:
    policy = optional(f"/api/projects/{selected_id}/policy")
    if policy is not None:
        gate = policy.get("gate") or {}
        # (re)load on another project, and after a visit elsewhere (Streamlit drops the state of unshown widgets)
        if st.session_state.get("policy_loaded_for") != selected_id or "policy_fail_on" not in st.session_state:
            load_gate(gate)
            st.session_state["policy_loaded_for"] = selected_id
        if not policy:
            st.info("This project has no quality gate yet: every review passes.")
        else:
            by = directory.get(policy.get("updated_by") or "", policy.get("updated_by") or "")
            st.caption(f"Last changed {when(policy.get('updated_at'))}" + (f" by {by}" if by else ""))
            if not gate:
                st.info("The quality gate has no conditions: every review passes.")
        with st.form("policy_form"):
            st.markdown("A review **fails** the gate when any of these is exceeded; leave a field empty for no limit.")
            st.selectbox(
                "Fail on findings at or above",
                (NO_SEVERITY, *SEVERITIES),
                key="policy_fail_on",
                disabled=not manages,
            )
            st.number_input(
                "Most findings in all", min_value=0, step=1, value=None, key="policy_max_findings", disabled=not manages
            )
            st.markdown("Most findings of a severity")
            for column, severity in zip(st.columns(len(SEVERITIES)), SEVERITIES, strict=True):
                column.number_input(
                    severity.capitalize(),
                    min_value=0,
                    step=1,
                    value=None,
                    key=f"policy_max_{severity}",
                    disabled=not manages,
                )
            st.text_input(
                "Forbidden rules (comma-separated rule ids or prefixes)",
                key="policy_forbidden_rules",
                placeholder="PY-S001, JS-",
                disabled=not manages,
            )
            left, right = st.columns(2)
            left.number_input(
                "Highest cyclomatic complexity of a function",
                min_value=1,
                step=1,
                value=None,
                key="policy_max_complexity",
                disabled=not manages,
            )
            right.number_input(
                "Highest cognitive complexity of a function",
                min_value=0,
                step=1,
                value=None,
                key="policy_max_cognitive",
                disabled=not manages,
            )
            save = st.form_submit_button("Save quality gate", type="primary", key="policy_save", disabled=not manages)
        if save and manages:
            options = gate_from_form()
            saved = api(lambda c: c.put(f"/api/projects/{selected_id}/policy", options))
            if saved is not None:
                st.session_state.pop("policy_loaded_for", None)
                flash("Quality gate saved: it applies from the project's next review.")
                st.rerun()

# -- reviews ------------------------------------------------------------------------------------------------------
with reviews_tab:
    versions = api(lambda c: c.get(f"/api/projects/{selected_id}/versions", limit=PAGE_SIZE)) or {}
    items = versions.get("items") or []
    if not items:
        st.info("No reviews of this project yet: start one on New review, or wait for the scheduled scan.")
    else:
        passed = sum(1 for v in items if v.get("gate_passed") is True)
        failed = sum(1 for v in items if v.get("gate_passed") is False)
        first, second, third = st.columns(3)
        first.metric("Reviews", versions.get("total", len(items)))
        second.metric("Gate passed (shown)", passed)
        third.metric("Gate failed (shown)", failed)
        st.dataframe(
            [
                {
                    "When": when(v["created_at"]),
                    "Ref": v.get("ref") or "",
                    "Commit": (v.get("commit") or "")[:12],
                    "Findings": v["findings_count"],
                    **{s.capitalize(): (v.get("counts_by_severity") or {}).get(s, 0) for s in SEVERITIES},
                    "Gate": verdict(v.get("gate_passed")),
                    "Review": v["session_id"],
                }
                for v in items
            ],
            hide_index=True,
            width="stretch",
            key="versions_table",
        )

# -- baseline -----------------------------------------------------------------------------------------------------
with baseline_tab:
    baseline = optional(f"/api/projects/{selected_id}/baseline")
    if baseline == {}:
        st.info("No baseline yet: every finding of a review counts as new.")
    elif baseline:
        by = directory.get(baseline.get("set_by") or "", baseline.get("set_by") or "")
        st.markdown(
            f"Accepted **{len(baseline['fingerprints'])}** existing findings from review `{baseline['session_id']}`, "
            f"{when(baseline['set_at'])}" + (f" by {by}." if by else ".")
        )
    if manages and items:
        sessions = [v["session_id"] for v in items]
        labels = {
            v["session_id"]: f"{when(v['created_at'])} · {v.get('ref') or ''} · {v['findings_count']} findings"
            for v in items
        }
        chosen = st.selectbox("Review to accept as the baseline", sessions, format_func=labels.get, key="baseline_pick")
        if st.button("Accept as baseline", key="baseline_set"):
            accepted = api(lambda c: c.put(f"/api/projects/{selected_id}/baseline", {"session_id": chosen}))
            if accepted:
                flash(f"Baseline set: {len(accepted['fingerprints'])} findings accepted as existing.")
                st.rerun()

# -- history ------------------------------------------------------------------------------------------------------
with history_tab:
    changes = api(lambda c: c.get(f"/api/projects/{selected_id}/history", limit=PAGE_SIZE)) or {}
    entries = changes.get("items") or []
    if not entries:
        st.info("No changes recorded yet.")
    else:
        st.dataframe(
            [
                {
                    "When": when(h["at"]),
                    "Who": directory.get(h.get("actor_id") or "", h.get("actor_id") or ""),
                    "Change": h["action"],
                    "Detail": ", ".join(f"{k}: {v}" for k, v in (h.get("detail") or {}).items()),
                }
                for h in entries
            ],
            hide_index=True,
            width="stretch",
            key="history_table",
        )
