"""Administration (admins): users and roles, invitations, the audit log and its chain, provider health, circuits
and costs — all through the API as the signed-in admin; anyone else gets the API's refusal on the page."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from app.session import call, require_sign_in, role

PAGE = "pages/admin.py"
ROLES = ("viewer", "reviewer", "experimenter", "admin")
USER_SAVED_KEY = "admin_user_saved"
PICKED_KEY = "admin_user_picked"
VERIFY_KEY = "admin_audit_verify"
DIRECTORY_PAGE = 500
DIRECTORY_MAX = 4000
EARLIEST = date(2000, 1, 1)


def table(data: Any, key: str, **options: Any) -> None:
    """A read-only table in a container keyed ``key`` (tests and e2e find it by that key)."""
    with st.container(key=key):
        st.dataframe(data, hide_index=True, width="stretch", **options)


def when(moment: str | None) -> str | None:
    """An API timestamp as ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    return None if not moment else str(moment).replace("T", " ")[:19]


def directory() -> dict[str, str]:
    """Every account's email by id (for showing actors by name), a few pages of the user list."""
    emails: dict[str, str] = {}
    offset = 0
    while offset < DIRECTORY_MAX:
        page = call(
            lambda api, at=offset: api.get("/api/admin/users", limit=DIRECTORY_PAGE, offset=at), page=PAGE, quiet=True
        )
        if not page:
            break
        emails.update({u["id"]: u["email"] for u in page["items"]})
        offset += DIRECTORY_PAGE
        if offset >= page["total"]:
            break
    return emails


def user_id_of(text: str, emails: dict[str, str]) -> str | None:
    """A user id from an id or an email (shows an error for an unknown email)."""
    text = text.strip()
    if not text or "@" not in text:
        return text or None
    found = next((uid for uid, email in emails.items() if email.lower() == text.lower()), None)
    if found is None:
        st.error(f"No account has the email {text}.")
    return found


# -- users ------------------------------------------------------------------------------------------------------


def users_section(me: dict[str, Any]) -> None:
    st.subheader("Users and roles")
    size = st.selectbox("Users per page", (25, 50, 100, 500), index=1, key="users_page_size")
    first = call(lambda api: api.get("/api/admin/users", limit=1, offset=0), page=PAGE)
    if first is None:
        return
    pages = max(1, math.ceil(first["total"] / size))
    if st.session_state.get("users_page", 1) > pages:
        st.session_state["users_page"] = pages
    number = int(st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="users_page"))
    listing = call(lambda api: api.get("/api/admin/users", limit=size, offset=(number - 1) * size), page=PAGE)
    if listing is None:
        return
    users = listing["items"]
    st.caption(f"{listing['total']} accounts, oldest first.")
    saved = st.session_state.pop(USER_SAVED_KEY, None)
    if saved:
        st.success(saved)
    if not users:
        st.info("No accounts on this page.")
        return
    table(
        pd.DataFrame(
            [
                {
                    "Email": u["email"],
                    "Role": u["role"],
                    "Active": u["is_active"],
                    "Created": when(u["created_at"]),
                    "Last sign-in": when(u.get("last_login_at")),
                    "Id": u["id"],
                }
                for u in users
            ]
        ),
        "users_table",
    )

    st.markdown("**Change a role or deactivate an account**")
    by_id = {u["id"]: u for u in users}
    picked = st.selectbox(
        "User",
        list(by_id),
        format_func=lambda uid: f"{by_id[uid]['email']} ({by_id[uid]['role']})",
        key="user_pick",
    )
    chosen = by_id[picked]
    if st.session_state.get(PICKED_KEY) != picked:  # the form starts from the picked user's values
        st.session_state[PICKED_KEY] = picked
        st.session_state["user_role"] = chosen["role"]
        st.session_state["user_active"] = chosen["is_active"]
    new_role = st.selectbox("Role", ROLES, key="user_role")
    active = st.checkbox("Active (unchecked: the account is disabled and its sessions end)", key="user_active")
    if picked == me.get("id"):
        st.caption("This is your own account: you cannot demote or disable it.")
    if st.button("Save changes", type="primary", key="user_save"):
        change: dict[str, Any] = {}
        if new_role != chosen["role"]:
            change["role"] = new_role
        if active != chosen["is_active"]:
            change["is_active"] = active
        if not change:
            st.info("Nothing to change.")
        else:
            answer = call(lambda api: api.patch(f"/api/admin/users/{picked}", change), page=PAGE)
            if answer is not None:
                state = "active" if answer["is_active"] else "disabled"
                st.session_state[USER_SAVED_KEY] = f"Saved: {answer['email']} is now {answer['role']} ({state})."
                st.session_state.pop(PICKED_KEY, None)  # reload the form from the stored values
                st.rerun()


# -- invitations ------------------------------------------------------------------------------------------------


def invitations_section() -> None:
    st.subheader("Invite someone")
    st.caption("A single-use sign-up link goes out by mail (valid for 7 days); it is never shown here.")
    email = st.text_input("Email", key="invite_email").strip()
    invited_role = st.selectbox("Role", ROLES, index=0, key="invite_role")
    if st.button("Send invitation", type="primary", key="invite_send"):
        if not email:
            st.error("Enter the email address to invite.")
            return
        answer = call(lambda api: api.post("/api/auth/invitations", {"email": email, "role": invited_role}), page=PAGE)
        if answer is not None:
            st.success(f"Invitation sent to {answer['email']} as {answer['role']}.")


# -- audit log ----------------------------------------------------------------------------------------------------


def audit_section(emails: dict[str, str]) -> None:
    st.subheader("Audit log")
    left, right = st.columns(2)
    actor_text = left.text_input("Actor (user id or email)", key="audit_actor")
    action = right.text_input("Action prefix", placeholder="e.g. auth. or lifecycle.promotion.", key="audit_action")
    since_day = left.date_input("From (UTC)", value=None, min_value=EARLIEST, key="audit_since")
    until_day = right.date_input("Until (UTC, inclusive)", value=None, min_value=EARLIEST, key="audit_until")
    size = left.selectbox("Events per page", (50, 100, 200, 500), index=1, key="audit_limit")
    number = int(right.number_input("Page", min_value=1, max_value=100_000, step=1, key="audit_page"))
    actor = user_id_of(actor_text, emails)
    if actor_text.strip() and actor is None:
        return
    since = None if since_day is None else datetime.combine(since_day, time.min, tzinfo=UTC).isoformat()
    until = None
    if until_day is not None:
        until = (datetime.combine(until_day, time.min, tzinfo=UTC) + timedelta(days=1)).isoformat()
    page = call(
        lambda api: api.get(
            "/api/admin/audit",
            actor=actor,
            action=action.strip() or None,
            since=since,
            until=until,
            limit=size,
            offset=(number - 1) * size,
        ),
        page=PAGE,
    )
    if page is not None:
        items = page["items"]
        if items:
            st.caption(f"Events {page['offset'] + 1}–{page['offset'] + len(items)}, newest first.")
            table(
                pd.DataFrame(
                    [
                        {
                            "Id": e["id"],
                            "At": when(e["occurred_at"]),
                            "Actor": emails.get(e["actor"], e["actor"]) if e.get("actor") else None,
                            "Action": e["action"],
                            "Target": "/".join(str(p) for p in (e.get("target_type"), e.get("target_id")) if p),
                            "IP": e.get("ip"),
                            "Request id": e.get("request_id"),
                            "Details": json.dumps(e.get("details") or {}, sort_keys=True),
                        }
                        for e in items
                    ]
                ),
                "audit_table",
            )
        else:
            st.info("No audit events match these filters.")

    if st.button("Verify the chain", key="audit_verify"):
        st.session_state[VERIFY_KEY] = call(lambda api: api.get("/api/admin/audit/verify"), page=PAGE)
    result = st.session_state.get(VERIFY_KEY)
    if result:
        if result["ok"]:
            head = f"; head row #{result['head_id']} ({(result.get('head_hash') or '')[:16]}…)"
            st.success(
                f"The audit chain verifies: {result['rows_checked']} rows checked{head if result['head_id'] else ''}."
            )
        else:
            where = f" at row #{result['row_id']}" if result.get("row_id") is not None else ""
            what = ": ".join(part for part in (result.get("problem"), result.get("message")) if part)
            st.error(f"The audit chain is broken{where}: {what or 'see the server log'}.")


# -- providers and costs ---------------------------------------------------------------------------------------


def providers_section() -> None:
    st.subheader("Provider health and circuits")
    checked = None
    if st.button("Check health now", key="providers_check"):
        with st.spinner("Checking every provider…"):
            checked = call(lambda api: api.post("/api/providers/health"), page=PAGE)
        if checked is not None:
            st.success("Every provider was checked just now.")
    providers = checked if checked is not None else call(lambda api: api.get("/api/providers"), page=PAGE)
    if providers is None:
        return
    if not providers:
        st.info("No providers are configured.")
        return
    table(
        pd.DataFrame(
            [
                {
                    "Provider": p["name"],
                    "Kind": p["kind"],
                    "Enabled": p["enabled"],
                    "Priority": p["priority"],
                    "State": p.get("state") or "never checked",
                    "Checked at": when(p.get("checked_at")),
                    "Latency (ms)": None if p.get("latency_ms") is None else round(p["latency_ms"], 1),
                    "Detail": p.get("detail"),
                }
                for p in providers
            ]
        ),
        "providers_table",
    )
    st.caption("State is the last health check, or an open circuit after repeated failures.")


def totals_rows(totals: dict[str, Any], label: str) -> list[dict[str, Any]]:
    return [
        {
            label: str(key),
            "Requests": t["requests"],
            "Cached calls": t["cached_calls"],
            "Input tokens": t["input_tokens"],
            "Output tokens": t["output_tokens"],
            "Cost (USD)": t["cost_usd"],
        }
        for key, t in totals.items()
    ]


def costs_section(emails: dict[str, str]) -> None:
    st.subheader("AI usage and costs")
    today = datetime.now(UTC).date()
    left, middle, right = st.columns(3)
    who = left.text_input("User (id or email; empty: yourself)", key="costs_user")
    since: date = middle.date_input("From (UTC)", value=today - timedelta(days=29), key="costs_since")
    until: date = right.date_input("Until (UTC)", value=today, key="costs_until")
    user_id = user_id_of(who, emails)
    if who.strip() and user_id is None:
        return
    costs = call(
        lambda api: api.get("/api/providers/costs", since=since.isoformat(), until=until.isoformat(), user_id=user_id),
        page=PAGE,
    )
    if costs is None:
        return
    subject = emails.get(costs["user_id"], costs["user_id"])
    st.caption(f"{subject}, {costs['since']} to {costs['until']} (UTC).")
    total = costs["total"]
    columns = st.columns(4)
    columns[0].metric("Requests", total["requests"])
    columns[1].metric("Input tokens", total["input_tokens"])
    columns[2].metric("Output tokens", total["output_tokens"])
    columns[3].metric("Cost (USD)", f"{total['cost_usd']:.4f}")
    if not total["requests"] and not costs["by_provider"]:
        st.info("No AI usage in this period.")
        return
    st.markdown("**Per provider**")
    table(pd.DataFrame(totals_rows(costs["by_provider"], "Provider")), "costs_provider_table")
    st.markdown("**Per model**")
    table(pd.DataFrame(totals_rows(costs["by_model"], "Provider/model")), "costs_model_table")
    st.markdown("**Per day**")
    days = pd.DataFrame(totals_rows(costs["by_day"], "Day"))
    table(days, "costs_day_table")
    if not days.empty:
        st.bar_chart(days, x="Day", y="Cost (USD)")


me = require_sign_in(PAGE)
st.title("Administration")
if role() != "admin":
    call(lambda api: api.get("/api/admin/users", limit=1), page=PAGE)  # the API's own refusal, shown
    st.info(f"Administration is for admins; you are signed in as a {role()}.")
    st.stop()
emails = directory()
users_tab, invitations_tab, audit_tab, providers_tab = st.tabs(
    ["Users", "Invitations", "Audit log", "Providers & costs"]
)
with users_tab:
    users_section(me)
with invitations_tab:
    invitations_section()
with audit_tab:
    audit_section(emails)
with providers_tab:
    providers_section()
    st.divider()
    costs_section(emails)
