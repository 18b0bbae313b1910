"""Staff sign-in for the pages. Every page calls `require_actor(...)` at its very top: on a
fresh server Streamlit may run a page file directly, before app.py has run."""

from __future__ import annotations

import time

import streamlit as st

from clearance.store.accounts import authenticate
from clearance.rules.actors import ROLES, Actor
from clearance.adapters.sessions import (SESSION_MAX_HOURS, end_session, resume_session, start_session,
                                why_ended)
from ui.data import store

FAILED_SIGN_IN_DELAY = 1.0  # seconds; slows password guessing from one browser
COOKIE = "lxt_session"      # the browser keeps the session token, so a reload stays signed in
_KEY = "signed_in"


def current_actor() -> Actor | None:
    """The signed-in staff member, re-read from the store on every run: an expired session or a
    disabled account is out at once (clearance.sessions has the rules)."""
    _sync_cookie()
    session = st.session_state.get(_KEY)
    token = session.get("token") if session else st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token:
        return None
    actor = resume_session(store(), token)
    if actor is None:
        if session:
            st.session_state["auth_notice"] = why_ended(store(), token)
        st.session_state.pop(_KEY, None)
        return None
    st.session_state[_KEY] = {"token": token}
    return actor


def sign_in(actor: Actor) -> None:
    token = start_session(store(), actor.username)
    st.session_state[_KEY] = {"token": token}
    st.session_state["_cookie"] = token


def sign_out() -> None:
    session = st.session_state.pop(_KEY, None)
    if session:
        end_session(store(), session["token"])
    st.session_state["_cookie"] = ""


def _sync_cookie() -> None:
    """Hand a new session token to the browser, or forget it, on the run after the change
    (a script sent before st.rerun() would never reach the browser)."""
    token = st.session_state.pop("_cookie", None)
    if token is None:
        return
    secure = "; Secure" if (st.context.url or "").startswith("https") else ""
    age = SESSION_MAX_HOURS * 3600 if token else 0
    with st.sidebar:
        st.html(f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age={age};"
                f" SameSite=Strict{secure}';</script>", unsafe_allow_javascript=True)


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
    # The plain page (webapi/student_page.py) loads at once on any phone, without a session.
    st.markdown("学生查询本人离校情况无需登录：[打开学生查询页](/chaxun)")


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
        role = " · ".join(p for p in (ROLES[actor.role], actor.college) if p and p != actor.display_name)
        st.caption(f"已登录：{actor.display_name}" + (f"（{role}）" if role else ""))
        if st.button("退出登录", key="sign_out"):
            sign_out()
            st.rerun()
