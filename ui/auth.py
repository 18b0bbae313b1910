"""Staff sign-in for the pages. Every page calls `require_actor(...)` at its very top: on a
fresh server Streamlit may run a page file directly, before app.py has run.

The sign-in is the browser's HttpOnly cookie, nothing else: every run reads the token from the
cookie the websocket connection carried and resumes that session from the store, so a
Streamlit session id reused without the cookie (a reconnect by someone who saw the id in a
log) gets the sign-in form. The token never enters the page: after the password is checked
the page hands the browser a one-time code, which it trades at `POST /auth/session` for the
cookie (webapi/auth.py) and reloads.
"""

from __future__ import annotations

import html
import json
import threading
from urllib.parse import urlsplit

import streamlit as st

from clearance.adapters.limits import client_of
from clearance.adapters.sessions import (COOKIE, end_session, end_user_sessions, new_handoff,
                                         resume_session, start_session, token_hash, why_ended)
from clearance.adapters.signin import sign_in as check_sign_in
from clearance.adapters.sso import local_password_allowed, login_path, logout_path, sso_config
from clearance.rules.actors import ROLES, Actor
from clearance.store.accounts import AccountError, change_own_password, must_change_password
from ui.data import store
from ui.text import plain

_KEY = "signed_in"  # AppTest only (no request, no cookie): {"token": ...}

# Streamlit sessions currently running under each sign-in, so a sign-out can rerun them all.
_live: dict[str, set[str]] = {}
_live_lock = threading.Lock()


def _has_request() -> bool:
    """A browser (or websocket client) is connected. AppTest runs without any request."""
    try:
        return bool(st.context.headers)
    except Exception:
        return False


def _token() -> str | None:
    if _has_request():
        token = st.context.cookies.get(COOKIE)
    else:
        token = (st.session_state.get(_KEY) or {}).get("token")
    return token if isinstance(token, str) and token else None


def current_actor() -> Actor | None:
    """The signed-in staff member, re-read from the store on every run: an expired session or a
    disabled account is out at once (clearance.adapters.sessions has the rules)."""
    _pending_browser_step()
    token = _token()
    if token is None:
        return None
    actor = resume_session(store(), token)
    if actor is None:
        notice = why_ended(store(), token)
        if notice:
            st.session_state["auth_notice"] = notice
        st.session_state.pop(_KEY, None)
        return None
    _register(token)
    return actor


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        return get_script_run_ctx().session_id
    except Exception:
        return None


def _register(token: str) -> None:
    session_id = _session_id()
    if session_id is None:
        return
    with _live_lock:
        _live.setdefault(token_hash(token), set()).add(session_id)


def _rerun_all(token: str) -> None:
    """Every other open Streamlit session of this sign-in runs again now (and finds it ended);
    the one signing out reruns itself."""
    rerun_sign_in(token_hash(token))


def rerun_sign_in(hashed_token: str) -> None:
    """Rerun the open Streamlit sessions of a sign-in (by its token's hash) that has just ended
    — on 退出登录 in another tab, or the campus sign-in's single sign-out (webapi/cas.py)."""
    with _live_lock:
        session_ids = _live.pop(hashed_token, set()) - {_session_id()}
    try:
        from streamlit import runtime
        manager = runtime.get_instance()._session_mgr
        for session_id in session_ids:
            info = manager.get_active_session_info(session_id)
            if info is not None:
                info.session.request_rerun(None)
    except Exception:  # best effort: each of them is refused at its next run anyway
        pass


def _browser(script: str) -> None:
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def _pending_browser_step() -> None:
    """Finish a sign-in or sign-out in the browser, on the run after the change (a script sent
    before st.rerun() would never reach the browser)."""
    code = st.session_state.pop("_handoff", None)
    if code:
        _browser("fetch('/auth/session', {method: 'POST', credentials: 'same-origin',"
                 " headers: {'Content-Type': 'application/json'},"
                 f" body: JSON.stringify({{code: {json.dumps(code)}}})}})"
                 ".then(function () { window.location.reload(); });")
        st.info("正在登录……")
        st.stop()
    if st.session_state.pop("_signing_out", False):
        # With the campus sign-in on, the browser also leaves the provider's session (a shared desk PC
        # must not sign the next person straight back in).
        then = (f"window.location.href = {json.dumps(logout_path())};" if sso_config().on
                else "window.location.reload();")
        _browser("fetch('/auth/signout', {method: 'POST', credentials: 'same-origin'})"
                 f".then(function () {{ {then} }});")
        st.info("已退出登录")
        st.stop()


def sign_in(actor: Actor) -> None:
    token = start_session(store(), actor.username)
    if _has_request():
        st.session_state["_handoff"] = new_handoff(token)
    else:
        st.session_state[_KEY] = {"token": token}
    st.session_state["just_signed_in"] = True  # app.py takes desk staff on to their desk


def sign_out() -> None:
    token = _token()
    st.session_state.pop(_KEY, None)
    if token:
        end_session(store(), token)
        _rerun_all(token)
    if _has_request():
        st.session_state["_signing_out"] = True


def sign_in_form() -> None:
    """The sign-in form; on success the app reruns signed in."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _sign_in_box()


def _here() -> str:
    """The path of the page being shown, so the campus sign-in comes back to it."""
    try:
        path = urlsplit(st.context.url or "").path
    except Exception:
        path = "/"
    return path or "/"


def _campus_sign_in() -> None:
    """「统一身份认证登录」: the browser goes to the campus sign-in (webapi/cas.py or
    webapi/oidc.py, whichever config/sso.toml names) and comes back with its cookie. In this tab
    (target=_self), not a new one."""
    href = login_path(_here())
    st.markdown(
        f'<a href="{html.escape(href)}" target="_self" style="display:block;text-align:center;'
        'padding:0.6rem 1rem;border-radius:0.5rem;background:#c8102e;color:#fff;'
        'text-decoration:none;font-weight:600">统一身份认证登录</a>', unsafe_allow_html=True)
    st.caption("教职工使用学校统一身份认证的工号登录；学生登录后直接查看本人离校情况。")


def _sign_in_box() -> None:
    st.title("离校通")
    st.caption("研究生电子离校系统 · 各学院、各部门工作人员请登录后办理")
    st.subheader("工作人员登录")
    notice = st.session_state.pop("auth_notice", None)
    if notice:
        st.info(notice)
    config = sso_config()
    if config.on:
        _campus_sign_in()
        if not config.break_glass:
            return
        with st.expander("应急登录（仅限指定的管理员账号）"):
            _password_form()
        return
    _password_form()
    # The plain page (webapi/student_page.py) loads at once on any phone, without a session.
    st.markdown("学生查询本人离校情况无需登录：[打开学生查询页](/chaxun)")


def _password_form() -> None:
    with st.form("sign_in", clear_on_submit=False):
        username = st.text_input("用户名", key="sign_in_username")
        password = st.text_input("密码", type="password", key="sign_in_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        client = client_of(st.context.ip_address, st.context.headers) if _has_request() else "apptest"
        result = check_sign_in(store(), username, password, client)
        if result.actor is None:
            st.error(result.message)
        else:
            sign_in(result.actor)
            st.rerun()


def password_form(actor: Actor, forced: bool) -> None:
    """Change one's own password: forced at the first sign-in with a password someone else
    chose (an import, a reset), or asked for from the sidebar."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("修改密码")
        if forced:
            st.info("首次登录或密码被管理员重置后，请先设置自己的密码。")
        st.caption("新密码至少 10 位，包含字母、数字、符号中的至少两类，不能包含用户名，不能是常见密码。")
        with st.form("change_password", clear_on_submit=True):
            old = st.text_input("当前密码", type="password", key="pw_old")
            new = st.text_input("新密码", type="password", key="pw_new")
            again = st.text_input("再次输入新密码", type="password", key="pw_again")
            submitted = st.form_submit_button("保存新密码", type="primary")
        if submitted:
            if new != again:
                st.error("两次输入的新密码不一致")
            else:
                try:
                    change_own_password(store(), actor.username, old, new)
                except AccountError as exc:
                    st.error(str(exc))
                else:
                    end_user_sessions(store(), actor.username, keep=_token())
                    st.session_state.pop("_changing_password", None)
                    st.session_state["auth_toast"] = "密码已修改"
                    st.rerun()
        if not forced and st.button("取消", key="pw_cancel"):
            st.session_state.pop("_changing_password", None)
            st.rerun()


def require_actor(*roles: str) -> Actor:
    """The signed-in staff member if their role is one of `roles` (any role if none given);
    otherwise show the sign-in form or a refusal, and stop the page before any data is read.
    An account that must change its password sees only that form."""
    actor = current_actor()
    if actor is None:
        sign_in_form()
        st.stop()
    toast = st.session_state.pop("auth_toast", None)
    if toast:
        st.toast(toast)
    # A campus sign-in account never types a 离校通 password: nothing to change (an imported
    # account's "change at first sign-in" applies to the break-glass accounts only).
    uses_password = local_password_allowed(actor.username)
    forced = uses_password and must_change_password(store(), actor.username)
    if forced or st.session_state.get("_changing_password"):
        password_form(actor, forced)
        st.stop()
    if roles and actor.role not in roles:
        st.error(f"无权访问此页面（当前账号：{plain(actor.display_name)}，{ROLES[actor.role]}）")
        st.stop()
    return actor


def session_token() -> str | None:
    """The sign-in token this run belongs to (an export is offered to this sign-in only,
    ui/downloads.py); never shown."""
    return _token()


def sidebar_account(actor: Actor) -> None:
    with st.sidebar:
        role = " · ".join(p for p in (ROLES[actor.role], actor.college) if p and p != actor.display_name)
        st.caption(plain(f"已登录：{actor.display_name}" + (f"（{role}）" if role else "")))
        c1, c2 = st.columns(2)
        if local_password_allowed(actor.username) and c1.button("修改密码", key="change_password_open"):
            st.session_state["_changing_password"] = True
            st.rerun()
        if c2.button("退出登录", key="sign_out"):
            sign_out()
            st.rerun()
