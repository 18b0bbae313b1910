"""离校通 entry point: page setup, sign-in state and navigation by role.

Every page file also checks who is asking at its own top (`ui.auth.require_actor`): on a fresh
server Streamlit may serve a file under pages/ directly, before this script has run.
"""

import streamlit as st

from ui.auth import current_actor, sidebar_account

st.set_page_config(page_title="离校通 · 研究生电子离校", page_icon="🎓", layout="wide")

STAFF = ("admin", "gradschool", "college", "office")
# (file, title, icon, roles that see it in the menu; None = everyone, signed in or not)
PAGES = [
    ("pages/home.py", "离校总览", ":material/dashboard:", STAFF),
    ("pages/overview.py", "进度看板", ":material/monitoring:", ("admin", "gradschool")),
    ("pages/college.py", "学院催办", ":material/campaign:", ("admin", "gradschool", "college")),
    ("pages/diplomas.py", "证书发放", ":material/workspace_premium:", ("admin", "gradschool", "college")),
    ("pages/spot_checks.py", "办理抽查", ":material/fact_check:", ("admin", "gradschool")),
]

actor = current_actor()
visible = [
    st.Page(path, title=title, icon=icon, default=(path == "pages/home.py"))
    for path, title, icon, roles in PAGES
    if roles is None or (actor is not None and actor.role in roles) or path == "pages/home.py"
]
if actor is not None:
    sidebar_account(actor)
st.navigation(visible).run()
