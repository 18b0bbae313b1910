"""离校通 entry point: page setup and navigation.

Every page file also checks who is asking at its own top: on a fresh server Streamlit may
serve a file under pages/ directly, before this script has run.
"""

import streamlit as st

st.set_page_config(page_title="离校通 · 研究生电子离校", page_icon="🎓", layout="wide")

pages = [
    st.Page("pages/home.py", title="离校总览", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
