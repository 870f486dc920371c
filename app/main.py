"""reviewlab's Streamlit UI, the entry point that routes to each page: ``streamlit run app/main.py``."""

import streamlit as st

st.set_page_config(page_title="reviewlab", page_icon=":material/rate_review:", layout="wide")

PAGES = [
    st.Page("pages/snippet.py", title="Review a snippet", icon=":material/code:", default=True),
]

st.navigation(PAGES).run()
