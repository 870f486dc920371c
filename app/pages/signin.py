"""Sign in through the API; afterwards, back to the page the user was on."""

import streamlit as st

from app.client import ApiError
from app.session import RETURN_KEY, can_write, client

st.title("Sign in to reviewlab")
notice = st.session_state.pop("reviewlab_notice", None)
if notice:
    st.warning(notice)
with st.form("sign_in"):
    email = st.text_input("Email", key="email")
    password = st.text_input("Password", type="password", key="password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    if not email or not password:
        st.error("Enter your email and password.")
    else:
        try:
            client().sign_in(email, password)
        except ApiError as err:
            st.error(err.message)
        else:
            home = "pages/review.py" if can_write() else "pages/results.py"
            st.switch_page(st.session_state.pop(RETURN_KEY, home))
