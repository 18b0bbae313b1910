"""Staff sign-in for the pages. Every page calls `require_actor(...)` at its very top: on a
fresh server Streamlit may run a page file directly, before app.py has run."""

from __future__ import annotations

import time

import streamlit as st

from clearance.accounts import authenticate, get_actor
from clearance.actors import ROLES, Actor
from ui.data import store

SESSION_IDLE_MINUTES = 30  # a signed-in desk left alone this long must sign in again
FAILED_SIGN_IN_DELAY = 1.0  # seconds; slows password guessing from one browser
_KEY = "signed_in"


def current_actor() -> Actor | None:
    """The signed-in staff member, re-read from the store (a disabled account is out at once)."""
    session = st.session_state.get(_KEY)
    if not session:
        return None
    if time.monotonic() - session["seen"] > SESSION_IDLE_MINUTES * 60:
        st.session_state.pop(_KEY, None)
        st.session_state["auth_notice"] = "长时间未操作，已自动退出，请重新登录"
        return None
    actor = get_actor(store(), session["username"])
    if actor is None:
        st.session_state.pop(_KEY, None)
        return None
    session["seen"] = time.monotonic()
    return actor


def sign_in(actor: Actor) -> None:
    st.session_state[_KEY] = {"username": actor.username, "seen": time.monotonic()}


def sign_out() -> None:
    st.session_state.pop(_KEY, None)


def sign_in_form() -> None:
    """The sign-in form; on success the app reruns signed in."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _sign_in_box()


def _sign_in_box() -> None:
    st.title("离校通")
    st.caption("研究生电子离校系统 · 各学院、各部门工作人员请登录后办理")
    st.subheader("工作人员登录")
    notice = st.session_state.pop("auth_notice", None)
    if notice:
        st.info(notice)
    with st.form("sign_in", clear_on_submit=False):
        username = st.text_input("用户名", key="sign_in_username")
        password = st.text_input("密码", type="password", key="sign_in_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        result = authenticate(store(), username, password)
        if result.actor is None:
            time.sleep(FAILED_SIGN_IN_DELAY)
            st.error(result.message)
        else:
            sign_in(result.actor)
            st.rerun()
    st.caption("学生查询本人离校情况无需登录，请在左侧选择“学生查询”。")


def require_actor(*roles: str) -> Actor:
    """The signed-in staff member if their role is one of `roles` (any role if none given);
    otherwise show the sign-in form or a refusal, and stop the page before any data is read."""
    actor = current_actor()
    if actor is None:
        sign_in_form()
        st.stop()
    if roles and actor.role not in roles:
        st.error(f"无权访问此页面（当前账号：{actor.display_name}，{ROLES[actor.role]}）")
        st.stop()
    return actor


def sidebar_account(actor: Actor) -> None:
    with st.sidebar:
        where = f" · {actor.college}" if actor.college else ""
        st.caption(f"已登录：{actor.display_name}（{ROLES[actor.role]}{where}）")
        if st.button("退出登录", key="sign_out"):
            sign_out()
            st.rerun()
