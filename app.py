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
    ("pages/marking.py", "办理", ":material/how_to_reg:", STAFF),
    ("pages/queue.py", "待办名单", ":material/checklist:", ("admin", "college", "office")),
    ("pages/admin_accounts.py", "账号管理", ":material/manage_accounts:", ("admin",)),
]

actor = current_actor()

def _title(path: str, title: str) -> str:
    # The graduate school marks nothing: for them the marking page is a read-only look-up.
    if path == "pages/marking.py" and actor is not None and actor.role == "gradschool":
        return "学生详情"
    return title


visible = [
    st.Page(path, title=_title(path, title), icon=icon, default=(path == "pages/home.py"))
    for path, title, icon, roles in PAGES
    if roles is None or (actor is not None and actor.role in roles) or path == "pages/home.py"
]
if actor is not None:
    sidebar_account(actor)
st.navigation(visible).run()
