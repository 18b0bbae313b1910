"""离校通 entry point: page setup, sign-in state and navigation by role.

The screens live in screens/, not pages/: Streamlit serves a pages/ folder on its own (with the
files' English names as a menu) to a visitor whose first request is a page's address on a fresh
server, before this script has run. Every screen still checks who is asking at its own top
(`ui.auth.require_actor`).
"""

import streamlit as st

from clearance.store.demo_store import is_demo
from ui.auth import current_actor, sidebar_account
from ui.data import store
from ui.chinese import chinese_widgets
from ui.errors import run_guarded

st.set_page_config(page_title="离校通 · 研究生电子离校", page_icon="🎓", layout="wide")
# Streamlit's own English (hints, "Upload", "Select all", the data grid's toolbar) in Chinese.
chinese_widgets()

if is_demo(store()):  # the demo's accounts have public passwords: never mistake it for production
    st.warning("演示库：本系统中的学生、账号和办理记录均为演示数据，账号密码公开，请勿用于正式离校办理。",
               icon=":material/science:")

STAFF = ("admin", "gradschool", "college", "office")
SIGNED_OUT = ()  # visitors who have not signed in
# Menu sections, and in each (file, title, icon, roles that see it). The home page is always
# listed: signed out, it is the sign-in form.
SECTIONS = {
    "总览": [
        ("screens/home.py", "离校总览", ":material/dashboard:", STAFF),
        ("screens/overview.py", "进度看板", ":material/monitoring:", ("admin", "gradschool")),
        ("screens/college.py", "学院催办", ":material/campaign:", ("admin", "gradschool", "college")),
        # Reached from 进度看板 (下载/打印版报告); in the graduate school's menu, not the admin's (12).
        ("screens/report.py", "离校进度报告", ":material/print:", ("gradschool",)),
    ],
    "办理": [
        ("screens/marking.py", "办理", ":material/how_to_reg:", STAFF),
        ("screens/queue.py", "待办名单", ":material/checklist:", ("admin", "college", "office")),
        # The card desk is the offices'; the admin reaches it by link (their menu is full).
        ("screens/card_desk.py", "刷卡办理", ":material/contactless:", ("office",)),
        ("screens/diplomas.py", "证书发放", ":material/workspace_premium:", ("gradschool", "college")),
        # Public: students look themselves up with 学号 + 姓名, no staff sign-in. Staff see more
        # of a student on 办理 / 学生详情, so the menu offers it to visitors only.
        ("screens/student.py", "学生查询", ":material/person_search:", SIGNED_OUT),
    ],
    "监督与管理": [
        ("screens/spot_checks.py", "办理抽查", ":material/fact_check:", ("admin", "gradschool")),
        ("screens/imports.py", "导入记录", ":material/history:", ("admin", "gradschool")),
        ("screens/admin_roster.py", "名单导入", ":material/upload_file:", ("admin",)),
        ("screens/admin_feeds.py", "系统对接数据", ":material/sync_alt:", ("admin",)),
        ("screens/admin_accounts.py", "账号管理", ":material/manage_accounts:", ("admin",)),
        ("screens/admin_desks.py", "校园卡与工作台", ":material/badge:", ("admin",)),
        ("screens/admin_operations.py", "批次与备份", ":material/settings_backup_restore:", ("admin",)),
    ],
}

actor = current_actor()


def _title(path: str, title: str) -> str:
    # The graduate school marks nothing: for them the marking page is a read-only look-up.
    if path == "screens/marking.py" and actor is not None and actor.role == "gradschool":
        return "学生详情"
    return title


def _visible(roles) -> bool:
    # Streamlit folds a menu of more than 12 pages behind "View more": keep each role's menu
    # within 12 (the admin's is exactly 12 — 批次与备份 took the card desk's place; the diploma
    # desk is the colleges' and 研究生院's).
    if actor is None:
        return roles == SIGNED_OUT
    return actor.role in roles


# Every page is registered, so a direct link (a bookmark, a link in a notice) opens that page's
# own gate — the sign-in form, or 无权访问 — instead of Streamlit's English "Page not found";
# after signing in the visitor stays on the page they asked for. The menu lists only the pages
# the visitor may use.
def _landing() -> str:
    """Where a visitor lands after signing in: desk staff (a college, an office) on their desk,
    the card centre on 刷卡办理; the school's overseers on 离校总览."""
    if actor is None or actor.role not in ("college", "office"):
        return "screens/home.py"
    return "screens/card_desk.py" if "card_center" in actor.stages else "screens/marking.py"


LANDING = _landing()
menu = {
    section: [
        st.Page(path, title=_title(path, title), icon=icon, default=(path == "screens/home.py"),
                visibility="visible" if _visible(roles) or path == "screens/home.py" else "hidden")
        for path, title, icon, roles in pages
    ]
    for section, pages in SECTIONS.items()
}
if actor is not None:
    sidebar_account(actor)
page = st.navigation(menu)
# Desk staff who sign in on the home address (or open it signed in) go on to their desk; every
# page keeps its own address (a bookmark of a page stays on that page).
arrived = st.session_state.pop("just_signed_in", False) or "landed" not in st.session_state
st.session_state["landed"] = True
if st.session_state.get("current_page") != page.url_path:  # a desk page focuses its box on entry
    st.session_state["current_page"] = page.url_path
    st.session_state["page_entered"] = True
if actor is not None and arrived and page.url_path == "" and LANDING != "screens/home.py":
    st.switch_page(LANDING)
# An unexpected error on any page: a short Chinese message and a log line with an id.
run_guarded(page)
