"""Sign out: the API ends the session everywhere."""

import streamlit as st

from app.session import SIGN_IN_PAGE, client

api = client()
api.sign_out()
api.close()
st.session_state.clear()
st.switch_page(SIGN_IN_PAGE)
