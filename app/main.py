"""reviewlab's Streamlit dashboard: ``streamlit run app/main.py`` (``REVIEWLAB_API_URL`` names the API).

The page list follows the signed-in user's role; everything a user must be allowed to see comes from the API
as that user.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `app.*` imports from the repository root, wherever streamlit was started
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app.session import LAB_ROLES, WRITE_ROLES, role, user  # noqa: E402

st.set_page_config(page_title="reviewlab", page_icon=":material/rate_review:", layout="wide")

SIGN_IN = st.Page("pages/signin.py", title="Sign in", icon=":material/login:")
NEW_REVIEW = st.Page("pages/review.py", title="New review", icon=":material/code:")
RESULTS = st.Page("pages/results.py", title="Review results", icon=":material/fact_check:")
PROJECTS = st.Page("pages/projects.py", title="Projects", icon=":material/folder:")
TRENDS = st.Page("pages/trends.py", title="Trends", icon=":material/monitoring:")
EXPERIMENTS = st.Page("pages/experiments.py", title="Experiments", icon=":material/science:")
ADMIN = st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:")
SIGN_OUT = st.Page("pages/signout.py", title="Sign out", icon=":material/logout:")


def pages() -> dict[str, list[st.Page]] | list[st.Page]:
    """What the current user may open."""
    if user() is None:
        return [SIGN_IN]
    current = role()
    reviews = [NEW_REVIEW, RESULTS] if current in WRITE_ROLES else [RESULTS]
    menu: dict[str, list[st.Page]] = {"Reviews": [*reviews, PROJECTS, TRENDS]}
    if current in LAB_ROLES:
        menu["Model lab"] = [EXPERIMENTS]
    if current == "admin":
        menu["Administration"] = [ADMIN]
    menu["Account"] = [SIGN_OUT]
    return menu


current = user()
if current is not None:
    st.sidebar.caption(f"Signed in as **{current.get('email')}** ({current.get('role')})")
st.navigation(pages()).run()
