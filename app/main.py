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

from app.navigation import pages  # noqa: E402
from app.session import user  # noqa: E402

st.set_page_config(page_title="reviewlab", page_icon=":material/rate_review:", layout="wide")

current = user()
if current is not None:
    st.sidebar.caption(f"Signed in as **{current.get('email')}** ({current.get('role')})")
st.navigation(pages()).run()
