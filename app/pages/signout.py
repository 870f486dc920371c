"""Sign out: the API ends the session everywhere."""

import streamlit as st

from app.session import client

client().sign_out()
st.session_state.clear()
st.switch_page("pages/signin.py")
