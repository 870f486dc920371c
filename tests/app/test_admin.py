"""The Administration page against the live API: users and roles, invitations, the audit log and its chain,
provider health and costs; nobody but an admin gets it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.navigation import visible_pages
from tests.app.conftest import LiveApi

PAGE = "pages/admin.py"


def table(app: AppTest, key: str) -> pd.DataFrame:
    """The table in the container keyed ``<key>_table``."""
    return app.get_by_key(f"{key}_table").dataframe[0].value


def texts(elements: object) -> str:
    return "\n".join(str(element.value) for element in elements)  # type: ignore[attr-defined]


def stored_user(live_api: LiveApi, email: str) -> dict[str, object]:
    admin = live_api.client("admin")
    try:
        offset = 0
        while True:
            page = admin.get("/api/admin/users", limit=500, offset=offset)
            found = [u for u in page["items"] if u["email"] == email]
            if found or offset + 500 >= page["total"]:
                return found[0]
            offset += 500
    finally:
        admin.close()


def test_the_users_list_shows_a_new_user_and_a_role_change_is_stored(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    email = live_api.user("viewer")
    app = dashboard("admin", PAGE)
    assert not app.exception
    assert app.title[0].value == "Administration"
    app.selectbox(key="users_page_size").set_value(500).run()
    users = table(app, "users")
    row = users[users["Email"] == email].iloc[0]
    assert (row["Role"], bool(row["Active"])) == ("viewer", True)

    app.selectbox(key="user_pick").set_value(row["Id"]).run()
    assert app.selectbox(key="user_role").value == "viewer"
    app.selectbox(key="user_role").set_value("reviewer").run()
    app.button(key="user_save").click().run()

    assert not app.exception
    assert f"Saved: {email} is now reviewer (active)." in texts(app.success)
    assert stored_user(live_api, email)["role"] == "reviewer"
    users = table(app, "users")
    assert users.loc[users["Email"] == email, "Role"].item() == "reviewer"

    app.selectbox(key="user_pick").set_value(row["Id"]).run()
    app.checkbox(key="user_active").uncheck().run()
    app.button(key="user_save").click().run()
    assert f"Saved: {email} is now reviewer (disabled)." in texts(app.success)
    assert stored_user(live_api, email)["is_active"] is False


def test_an_invitation_is_sent(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    email = f"invited-{secrets.token_hex(4)}@reviewlab.test"
    app = dashboard("admin", PAGE)
    app.button(key="invite_send").click().run()
    assert "Enter the email address to invite." in texts(app.error)

    app.text_input(key="invite_email").input(email)
    app.selectbox(key="invite_role").set_value("experimenter")
    app.button(key="invite_send").click().run()

    assert not app.exception
    assert f"Invitation sent to {email} as experimenter." in texts(app.success)
    deadline = time.monotonic() + 10
    while not live_api.mailer.to(email) and time.monotonic() < deadline:  # sent after the answer
        time.sleep(0.05)
    [mail] = live_api.mailer.to(email)
    assert "invit" in mail.subject.lower()


def test_the_audit_log_lists_events_filters_them_and_the_chain_verifies(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    app = dashboard("admin", PAGE)
    events = table(app, "audit")
    assert len(events) > 0
    assert "auth.login" in set(events["Action"])

    someone = live_api.client("viewer")  # a sign-in of a known actor
    someone.close()
    email = someone.user["email"] if someone.user else ""
    app.text_input(key="audit_actor").input(email).run()
    app.text_input(key="audit_action").input("auth.login").run()
    mine = table(app, "audit")
    assert set(mine["Action"]) == {"auth.login"}
    assert set(mine["Actor"]) == {email}

    app.text_input(key="audit_actor").input("nobody@reviewlab.test").run()
    assert "No account has the email nobody@reviewlab.test." in texts(app.error)

    app.date_input(key="audit_until").set_value(date(2020, 1, 1)).run()
    app.text_input(key="audit_actor").input("").run()
    assert "No audit events match these filters." in texts(app.info)

    app.button(key="audit_verify").click().run()
    assert not app.exception
    assert "The audit chain verifies:" in texts(app.success)


@pytest.mark.slow
def test_provider_health_and_costs_render(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("admin", PAGE)
    providers = table(app, "providers")
    assert "ollama" in set(providers["Provider"])
    assert {"State", "Enabled", "Priority", "Latency (ms)"} <= set(providers.columns)

    app.button(key="providers_check").click().run()
    assert not app.exception
    assert "Every provider was checked just now." in texts(app.success)
    checked = table(app, "providers")
    ollama = checked[checked["Provider"] == "ollama"].iloc[0]
    assert ollama["State"] != "never checked"
    assert ollama["Checked at"]

    assert {m.label for m in app.metric} >= {"Requests", "Input tokens", "Output tokens", "Cost (USD)"}
    assert "No AI usage in this period." in texts(app.info)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["experimenter", "reviewer"])
def test_only_admins_get_the_page(dashboard: Callable[..., AppTest], role: str) -> None:
    assert PAGE not in visible_pages(role)  # not in the menu
    assert PAGE in visible_pages("admin")

    app = dashboard(role, PAGE)  # opened directly: the API's refusal
    assert not app.exception
    [error] = app.error
    assert error.value == "this needs one of the roles: admin"
    assert not app.dataframe
    assert not app.tabs
