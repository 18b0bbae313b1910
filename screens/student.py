"""学生查询: a student's own clearance — ✓/× per stage, where to go next, the dates that
matter, and the advisor form to print. Public: no staff sign-in, only 学号 + 姓名, and nothing
but the lookup form until a lookup succeeds. Built for phones. With the campus sign-in on
(config/sso.toml) there is no form: a student signed in through 统一身份认证 sees their own
status at once, anyone else the sign-in entry."""

import html
import json
import secrets

import streamlit as st

from clearance.adapters.advisor_form import advisor_form_pdf, font_problem
from clearance.adapters.downloads import StudentHolder, revoke_lookup
from clearance.rules.student_view import StudentView, Stop
from clearance.adapters.limits import client_of
from webapi import workers
from clearance.adapters.sessions import COOKIE, resume_student_session
from clearance.adapters.sso import login_path, logout_path, sso_config
from ui.downloads import download_link, session_id
from ui.student_lookup import (advisor_form_settings, attempt_lookup, store, student_view)
from ui.text import plain

SESSION_KEY = "student_lookup_no"
CLIENT_KEY = "student_lookup_client"
LOOKUP_KEY = "student_lookup_id"  # this lookup's downloads are offered to it alone


def _client() -> str:
    return client_of(st.context.ip_address, st.context.headers)


def _lookup_form() -> None:
    st.caption("输入本人学号和姓名，查看离校手续办理情况、下一步去哪里办理，并下载《导师准许离校确认书》。")
    # Students are sent to the plain page of the same server (no websocket session, works
    # without JavaScript, one request per lookup); this page stays for staff at the desk.
    st.markdown("手机上请使用更快的[学生查询页（/chaxun）](/chaxun)，内容与本页相同。")
    with st.form("student_lookup"):
        student_no = st.text_input("学号", max_chars=32, key="lookup_student_no")
        name = st.text_input("姓名", max_chars=64, key="lookup_name")
        submitted = st.form_submit_button("查询", type="primary", width="stretch")
    if submitted:
        outcome = attempt_lookup(st.context.ip_address, st.context.headers, student_no, name)
        if outcome.student_no:
            st.session_state[SESSION_KEY] = outcome.student_no
            st.session_state[CLIENT_KEY] = _client()
            st.session_state[LOOKUP_KEY] = secrets.token_urlsafe(16)
            st.rerun()
        st.error(outcome.message)


def _leave() -> None:
    lookup = st.session_state.pop(LOOKUP_KEY, None)
    if lookup:
        revoke_lookup(lookup)  # the form's link stops working once the student leaves
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(CLIENT_KEY, None)
    st.session_state.pop("lookup_name", None)


def _show_header(view: StudentView) -> None:
    st.subheader(f"{plain(view.name)}（{view.student_no}）")
    st.caption(plain(view.profile_line))
    total = len(view.stages)
    st.progress(view.done_count / total if total else 0.0,
                text=f"已完成 {view.done_count}/{total} 个环节")
    if view.all_done:
        st.success("所有环节均已 ✓，可到所在学院领取毕业证书（结业/肄业证书）、学位证书。")


def _show_stages(view: StudentView) -> None:
    st.markdown("#### 各环节办理情况")
    lines = []
    for row in view.stages:
        color = "green" if row.done else "red"
        # A rejection's reason is said once, in its stop below (with where to go about it).
        lines.append(f":{color}[**{row.mark}**]　{row.name}　:{color}[{row.label}]")
    st.markdown("  \n".join(lines))
    st.caption("✓ 为已办理或无需办理；× 为需要到相应部门办理。")


def _show_form_download(view: StudentView) -> None:
    settings = advisor_form_settings()
    problem = font_problem(settings)
    if problem:
        st.warning(problem)
        return

    def make_pdf() -> bytes:  # generated only when the student taps the button
        # fpdf2 + a font subset is pure CPU: a worker process keeps it off the interpreter
        # lock every other session needs (webapi/workers.py, bench/workers.py).
        return workers.run_sync(advisor_form_pdf, view.name, view.student_no, view.level,
                                view.clearance_type, view.college, settings)

    # Offered to this lookup only: its client address, while this page is open, until the
    # student leaves (webapi/downloads.py checks all three on every request).
    lookup = st.session_state.setdefault(LOOKUP_KEY, secrets.token_urlsafe(16))
    holder = StudentHolder(lookup, st.session_state.get(CLIENT_KEY) or _client(), view.student_no,
                           session_id())
    download_link(holder, "下载《导师准许离校确认书》(PDF)", make_pdf,
                  f"导师准许离校确认书_{view.student_no}.pdf", "advisor_form_download", stretch=True)
    st.caption("打印后交导师或导师授权人签字，再交所在学院研究生教务秘书。")


def _show_stop(number: int, stop: Stop) -> None:
    with st.container(border=True):
        status = ":red[不通过]" if stop.state == "rejected" else "未办理"
        st.markdown(f"**{number}. {stop.name}**　{status}")
        if stop.reason:
            st.markdown(f"原因：{plain(stop.reason)}")
        if stop.final and stop.waiting_for:
            st.markdown(f":orange[须其他环节全部 ✓ 后才能办理（还差 {len(stop.waiting_for)} 个）]")
        elif stop.waiting_for:
            st.markdown(f":orange[须先完成：{'、'.join(stop.waiting_for)}]")
        elif stop.better_after:
            st.markdown(f":blue[建议在 {'、'.join(stop.better_after)} 办完后再办理]")
        details = [f"**带上**：{stop.brings}"] if stop.brings else []
        if stop.room:
            details.append(f"**地点**：{stop.room}")
        if stop.phone:
            details.append(f"**电话**：{stop.phone}")
        details.append(f"**时间**：{stop.when}")
        st.markdown("  \n".join(details))
        if stop.items:
            st.caption("办理要点：" + "；".join(stop.items))
        if stop.note:
            st.caption(stop.note)


def _show_stops(view: StudentView) -> None:
    if not view.stops:
        return
    st.markdown("#### 接下来去哪里办")
    st.caption(view.stops_caption)
    for number, stop in enumerate(view.stops, start=1):
        _show_stop(number, stop)


def _show_dates(view: StudentView) -> None:
    if not view.dates:
        return
    st.markdown("#### 重要日期")
    st.markdown("  \n".join(f"**{d.label}**：{d.text}" for d in view.dates))


def _campus_entry() -> None:
    st.caption("请使用学校统一身份认证登录，查看本人离校手续办理情况、下一步去哪里办理，"
               "并下载《导师准许离校确认书》。")
    st.markdown(
        f'<a href="{html.escape(login_path("/student"))}" target="_self" style="display:block;'
        'text-align:center;padding:0.6rem 1rem;border-radius:0.5rem;background:#c8102e;'
        'color:#fff;text-decoration:none;font-weight:600">统一身份认证登录</a>',
        unsafe_allow_html=True)


def _signed_in_student() -> str | None:
    """With the campus sign-in on: the 学号 of the student this browser signed in as (the
    HttpOnly cookie the websocket carried, checked against the store on every run)."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:
        token = None
    return resume_student_session(store(), token) if isinstance(token, str) and token else None


def _show(view: StudentView, leave_label: str, on_leave) -> None:
    _show_header(view)
    _show_stages(view)
    _show_form_download(view)
    _show_stops(view)
    _show_dates(view)
    st.button(leave_label, on_click=on_leave, width="stretch")


def _sign_out_student() -> None:
    _leave()  # the form's link stops working too
    st.session_state["_student_signing_out"] = True


# A bookmark may reach this file before app.py has run (see app.py): name the tab here too.
st.set_page_config(page_title="学生查询 · 离校通", page_icon="🎓")
st.title("学生离校查询")

if sso_config().on:  # the campus sign-in: the student's own status, nobody else's, no form
    if st.session_state.pop("_student_signing_out", False):
        st.html("<script>fetch('/auth/signout', {method: 'POST', credentials: 'same-origin'})"
                ".then(function () { window.location.href = "
                f"{json.dumps(logout_path('/student'))}; }});</script>",
                unsafe_allow_javascript=True)
        st.info("已退出登录")
        st.stop()
    signed_in = _signed_in_student()
    view = student_view(signed_in) if signed_in else None
    if view is None:
        _leave()  # signed out (here, at CAS, or expired): no link of the sign-in stays usable
        _campus_entry()
        st.stop()
    _show(view, "退出登录", _sign_out_student)
    st.stop()

# A lookup belongs to the address it was made from: a Streamlit session id replayed from
# elsewhere (it shows in upload URLs and proxy logs) gets the bare form.
if SESSION_KEY in st.session_state and st.session_state.get(CLIENT_KEY) != _client():
    _leave()
if SESSION_KEY not in st.session_state:
    _lookup_form()
    st.stop()

view = student_view(st.session_state[SESSION_KEY])
if view is None:  # removed from the roster since the lookup
    _leave()
    st.rerun()
_show(view, "退出 / 查询其他学号", _leave)
