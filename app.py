"""离校通 entry point: page setup, sign-in state and navigation by role.

Every page file also checks who is asking at its own top (`ui.auth.require_actor`): on a fresh
server Streamlit may serve a file under pages/ directly, before this script has run.
"""

import streamlit as st

from ui.auth import current_actor, sidebar_account
from ui.errors import run_guarded

st.set_page_config(page_title="离校通 · 研究生电子离校", page_icon="🎓", layout="wide")
# Streamlit's own English hints ("Press Enter to submit form", the uploader's size line) would
# be the only English on screen; each page says in Chinese what to type or upload instead.
st.html("<style>[data-testid='InputInstructions'],"
        "[data-testid='stFileUploaderDropzoneInstructions'] {display: none;}</style>")

STAFF = ("admin", "gradschool", "college", "office")
SIGNED_OUT = ()  # visitors who have not signed in
# Menu sections, and in each (file, title, icon, roles that see it). The home page is always
# listed: signed out, it is the sign-in form.
SECTIONS = {
    "总览": [
        ("pages/home.py", "离校总览", ":material/dashboard:", STAFF),
        ("pages/overview.py", "进度看板", ":material/monitoring:", ("admin", "gradschool")),
        ("pages/college.py", "学院催办", ":material/campaign:", ("admin", "gradschool", "college")),
        # Reached from 进度看板 (下载/打印版报告); in the graduate school's menu, not the admin's (12).
        ("pages/report.py", "离校进度报告", ":material/print:", ("gradschool",)),
    ],
    "办理": [
        ("pages/marking.py", "办理", ":material/how_to_reg:", STAFF),
        ("pages/queue.py", "待办名单", ":material/checklist:", ("admin", "college", "office")),
        # The card desk is the offices'; the admin reaches it by link (their menu is full).
        ("pages/card_desk.py", "刷卡办理", ":material/contactless:", ("office",)),
        ("pages/diplomas.py", "证书发放", ":material/workspace_premium:", ("gradschool", "college")),
        # Public: students look themselves up with 学号 + 姓名, no staff sign-in. Staff see more
        # of a student on 办理 / 学生详情, so the menu offers it to visitors only.
        ("pages/student.py", "学生查询", ":material/person_search:", SIGNED_OUT),
    ],
    "监督与管理": [
        ("pages/spot_checks.py", "办理抽查", ":material/fact_check:", ("admin", "gradschool")),
        ("pages/imports.py", "导入记录", ":material/history:", ("admin", "gradschool")),
        ("pages/admin_roster.py", "名单导入", ":material/upload_file:", ("admin",)),
        ("pages/admin_feeds.py", "系统对接数据", ":material/sync_alt:", ("admin",)),
        ("pages/admin_accounts.py", "账号管理", ":material/manage_accounts:", ("admin",)),
        ("pages/admin_desks.py", "校园卡与工作台", ":material/badge:", ("admin",)),
        ("pages/admin_operations.py", "批次与备份", ":material/settings_backup_restore:", ("admin",)),
    ],
}

actor = current_actor()


def _title(path: str, title: str) -> str:
    # The graduate school marks nothing: for them the marking page is a read-only look-up.
    if path == "pages/marking.py" and actor is not None and actor.role == "gradschool":
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
menu = {
    section: [
        st.Page(path, title=_title(path, title), icon=icon, default=(path == "pages/home.py"),
                visibility="visible" if _visible(roles) or path == "pages/home.py" else "hidden")
        for path, title, icon, roles in pages
    ]
    for section, pages in SECTIONS.items()
}
if actor is not None:
    sidebar_account(actor)
# An unexpected error on any page: a short Chinese message and a log line with an id.
run_guarded(st.navigation(menu))
