"""离校通 entry point: page setup, sign-in state and navigation by role.

Every page file also checks who is asking at its own top (`ui.auth.require_actor`): on a fresh
server Streamlit may serve a file under pages/ directly, before this script has run.
"""

import streamlit as st

from ui.auth import current_actor, sidebar_account

st.set_page_config(page_title="离校通 · 研究生电子离校", page_icon="🎓", layout="wide")

STAFF = ("admin", "gradschool", "college", "office")
EVERYONE = None  # signed in or not
# (file, title, icon, roles that see it in the menu). The home page is always listed: signed
# out, it is the sign-in form.
PAGES = [
    ("pages/home.py", "离校总览", ":material/dashboard:", STAFF),
    ("pages/marking.py", "办理", ":material/how_to_reg:", STAFF),
    ("pages/queue.py", "待办名单", ":material/checklist:", ("admin", "college", "office")),
    ("pages/admin_accounts.py", "账号管理", ":material/manage_accounts:", ("admin",)),
    # Public: students look themselves up with 学号 + 姓名, no staff sign-in.
    ("pages/student.py", "学生查询", ":material/person_search:", EVERYONE),
    ("pages/admin_roster.py", "名单导入", ":material/upload_file:", ("admin",)),
    ("pages/admin_feeds.py", "系统对接数据", ":material/sync_alt:", ("admin",)),
    ("pages/imports.py", "导入记录", ":material/history:", ("admin", "gradschool")),
    ("pages/card_desk.py", "刷卡办理", ":material/contactless:", ("admin", "office")),
    ("pages/admin_desks.py", "校园卡与工作台", ":material/badge:", ("admin",)),
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
    if roles is EVERYONE or path == "pages/home.py" or (actor is not None and actor.role in roles)
]
if actor is not None:
    sidebar_account(actor)
st.navigation(visible).run()
