"""The dashboard's pages and who may open them: every page is registered (so a page switch always finds its
target), and the ones the current user's role may not open are hidden from the menu. Each page still checks the
user itself, and the API decides what they may see."""

from __future__ import annotations

import streamlit as st

from app.session import ALL_ROLES, LAB_ROLES, WRITE_ROLES, role, user

# (file, title, icon, section, who may open it: None = signed out, else the roles)
PAGES: tuple[tuple[str, str, str, str, frozenset[str] | None], ...] = (
    ("pages/signin.py", "Sign in", ":material/login:", "", None),
    ("pages/review.py", "New review", ":material/code:", "Reviews", WRITE_ROLES),
    ("pages/results.py", "Review results", ":material/fact_check:", "Reviews", ALL_ROLES),
    ("pages/projects.py", "Projects", ":material/folder:", "Reviews", ALL_ROLES),
    ("pages/trends.py", "Trends", ":material/monitoring:", "Reviews", ALL_ROLES),
    ("pages/experiments.py", "Experiments", ":material/science:", "Model lab", LAB_ROLES),
    ("pages/admin.py", "Admin", ":material/admin_panel_settings:", "Administration", frozenset({"admin"})),
    ("pages/signout.py", "Sign out", ":material/logout:", "Account", ALL_ROLES),
)


def home(current: str | None) -> str:
    """Where a user lands: sign-in when signed out, New review for writers, Review results for viewers."""
    if current is None:
        return "pages/signin.py"
    return "pages/review.py" if current in WRITE_ROLES else "pages/results.py"


def visible_pages(current: str | None) -> list[str]:
    """The pages in the menu of a user with role ``current`` (None: signed out)."""
    return [path for path, _, _, _, roles in PAGES if (current is None if roles is None else current in roles)]


def pages() -> dict[str, list[st.Page]]:
    """``st.navigation``'s input for the current user: every page, the ones not theirs hidden."""
    current = role() if user() is not None else None
    shown = set(visible_pages(current))
    menu: dict[str, list[st.Page]] = {}
    for path, title, icon, section, _ in PAGES:
        allowed = path in shown
        page = st.Page(
            path,
            title=title,
            icon=icon,
            default=path == home(current),
            visibility="visible" if allowed else "hidden",
        )
        menu.setdefault(section if allowed else "", []).append(page)
    return menu
