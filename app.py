"""离校通 entry point: page setup and navigation.

Every page file also checks who is asking at its own top: on a fresh server Streamlit may
serve a file under pages/ directly, before this script has run.
"""

import streamlit as st

st.set_page_config(page_title="离校通 · 研究生电子离校", page_icon="🎓", layout="wide")

pages = [
    st.Page("pages/home.py", title="离校总览", icon=":material/dashboard:", default=True),
    # Public: students look themselves up with 学号 + 姓名, no staff sign-in.
    st.Page("pages/student.py", title="学生查询", icon=":material/person_search:",
            url_path="student"),
]
st.navigation(pages).run()
