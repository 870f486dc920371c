"""The user's session in the dashboard: their API client, sign-in state, and how pages call the API.

Pages call ``call(...)``: an API error becomes a readable message on the page; an ended session sends the user
to sign-in, remembering the page they were on so signing in brings them back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from app.client import ApiClient, ApiError, SessionExpired

T = TypeVar("T")
CLIENT_KEY = "reviewlab_api"
RETURN_KEY = "reviewlab_return_to"
SIGN_IN_PAGE = "pages/signin.py"
WRITE_ROLES = frozenset({"admin", "reviewer", "experimenter"})
LAB_ROLES = frozenset({"admin", "experimenter"})
ALL_ROLES = frozenset({"admin", "reviewer", "experimenter", "viewer"})


def client() -> ApiClient:
    """This browser session's API client (created on first use)."""
    api = st.session_state.get(CLIENT_KEY)
    if api is None:
        api = st.session_state[CLIENT_KEY] = ApiClient()
    return api


def user() -> dict[str, Any] | None:
    return client().user


def role() -> str | None:
    return client().role


def can_write() -> bool:
    return role() in WRITE_ROLES


def expired(page: str | None) -> None:
    """The session ended: remember ``page`` and go to sign-in."""
    client().user = None
    if page:
        st.session_state[RETURN_KEY] = page
    st.session_state["reviewlab_notice"] = "Your session has ended: please sign in again."
    st.switch_page(SIGN_IN_PAGE)


def call(action: Callable[[ApiClient], T], *, page: str | None = None, quiet: bool = False) -> T | None:
    """Run ``action`` with the client; an API error is shown (unless ``quiet``) and gives None."""
    try:
        return action(client())
    except SessionExpired:
        expired(page)
        return None
    except ApiError as err:
        if not quiet:
            st.error(err.message)
        return None


def require_sign_in(page: str) -> dict[str, Any]:
    """The signed-in user, or (remembering ``page``) a trip to sign-in."""
    current = user()
    if current is None:
        st.session_state[RETURN_KEY] = page
        st.switch_page(SIGN_IN_PAGE)
    assert current is not None  # noqa: S101 - switch_page does not return
    return current
