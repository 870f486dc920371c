"""Signing in and out through the API, the navigation by role, and an ended session that returns to sign-in and
then to the page the user was on."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from app.navigation import visible_pages
from app.session import CLIENT_KEY
from tests.app.conftest import PASSWORD, LiveApi


def titles(app: AppTest) -> list[str]:
    return [str(title.value) for title in app.title]


def sign_in(app: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    app.text_input(key="email").input(email)
    app.text_input(key="password").input(password)
    app.button[0].click().run()
    return app


def test_a_visitor_sees_only_sign_in_and_a_wrong_password_is_a_message(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    app = dashboard(None)
    assert titles(app) == ["Sign in to reviewlab"]

    sign_in(app, live_api.user(), "wrong password, surely")

    assert not app.exception
    assert [e.value for e in app.error] == ["wrong email or password"]
    assert app.session_state[CLIENT_KEY].user is None


def test_signing_in_lands_on_the_roles_home_page(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    reviewer = sign_in(dashboard(None), live_api.user("reviewer"))
    viewer = sign_in(dashboard(None), live_api.user("viewer"))

    assert titles(reviewer) == ["New review"]
    assert titles(viewer) == ["Review results"]
    assert visible_pages(None) == ["pages/signin.py"]
    assert "pages/signin.py" not in visible_pages("viewer")
    assert set(visible_pages("admin")) == set(visible_pages("experimenter")) | {"pages/admin.py"}
    assert not reviewer.exception
    assert not viewer.exception


def test_an_ended_session_returns_to_sign_in_and_then_to_the_same_page(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    email = live_api.user("reviewer")
    app = sign_in(dashboard(None), email)
    app.switch_page("pages/projects.py").run()
    assert titles(app) == ["Projects"]
    cookies = app.session_state[CLIENT_KEY]._http.cookies
    cookies.delete("access_token")
    cookies.delete("refresh_token")  # signed out elsewhere / expired

    app.run()
    assert titles(app) == ["Sign in to reviewlab"]
    assert [w.value for w in app.warning] == ["Your session has ended: please sign in again."]
    assert app.session_state["reviewlab_return_to"] == "pages/projects.py"
    # A browser is now on the sign-in page; AppTest would start its next run at the page it was switched to.
    app.switch_page("pages/signin.py").run()
    sign_in(app, email)

    assert not app.error, [e.value for e in app.error]
    assert titles(app) == ["Projects"]
    assert not app.exception


def test_sign_out_ends_the_session_at_the_api(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    app = dashboard("reviewer")
    api = app.session_state[CLIENT_KEY]
    refresh = api._http.cookies.get("refresh_token")
    assert refresh

    app.switch_page("pages/signout.py").run()

    assert titles(app) == ["Sign in to reviewlab"]
    from app.client import ApiClient

    stale = ApiClient(live_api.url)
    try:
        stale._http.cookies.set("refresh_token", refresh)
        stale._ensure_csrf()
        answer = stale._http.post(
            "/api/auth/refresh", headers={"X-CSRF-Token": stale._http.cookies.get("csrf_token") or ""}
        )
        assert answer.status_code == 401  # the session was revoked, not just forgotten here
    finally:
        stale.close()
