"""办理: find a student by 学号, name or pinyin initials, see their whole clearance row and this
desk's checklist, and mark the stage. Built for a queue: 学号 ⏎ → 通过 ⏎ → the next student.
The graduate school sees the same view without the actions (学生详情)."""

import streamlit as st

from clearance.rules.marking import STATE_LABELS
from clearance.rules.text import compact
from ui.auth import current_actor, require_actor
from ui.data import read, store
from ui.marking_pages import (LOOKUP_LABEL, DeskStudent, clear_evidence, college_scope, desk_ref,
                              desk_stages, evidence_inputs, evidence_state, flash, focus,
                              load_desk_student, mark_at_desk, pick_stage, show_flash)
from ui.text import plain

actor = require_actor("admin", "gradschool", "college", "office")
scope = college_scope(actor)
marks_here = bool(desk_stages(actor))

st.title("办理" if marks_here else "学生详情")
stage = pick_stage(actor)
if stage is None:
    st.caption("查看学生各环节办理情况与办理记录（只读）。")
else:
    where = f"（仅{scope}学生）" if scope else ""
    st.caption(f"当前环节：{stage.name} · {stage.department}{where}")
    st.toggle("回车即通过（扫码或输入学号后按回车，按下面勾选的核对事项直接通过）",
              key="instant_pass")
instant = stage is not None and st.session_state.get("instant_pass", False)
EVIDENCE_KEY = f"evidence_{stage.stage_id}" if stage is not None else ""
if instant:
    with st.expander("回车即通过时记录的核对事项（对每名学生相同）", expanded=True):
        evidence_inputs(stage, None, EVIDENCE_KEY)


def _do(student_no: str, action: str, reason: str | None = None, source: str = "page") -> bool:
    """Mark this desk's stage for one student; the outcome is flashed. True if accepted."""
    name = st.session_state.get("desk_student_name", student_no)
    evidence = evidence_state(stage, EVIDENCE_KEY) if action == "pass" else None
    ok, kind, lines = mark_at_desk(actor, student_no, stage, action, reason, name, desk_ref(),
                                   evidence, source)
    flash(kind, lines)
    if ok and action == "pass" and not instant:
        clear_evidence(stage, EVIDENCE_KEY)  # the next student is checked afresh
    return ok


def _act(action: str) -> None:
    """Button callback: runs before the page, so the row below already shows the new state."""
    if current_actor() != actor:  # signed out, expired or changed since the page was drawn
        return
    student_no = st.session_state.get("desk_student")
    if student_no is None:  # a button of a page drawn before a new search
        return
    reason = (st.session_state.get("act_reason") or "").strip() or None
    if _do(student_no, action, reason):
        st.session_state["act_reason"] = ""
        st.session_state["desk_focus"] = "lookup"


SHOWN_MATCHES = 50  # find_students returns one more, to tell that the list was cut


def _lookup(q: str) -> None:
    """Find the student(s) for what was typed or scanned; in instant mode pass an exact 学号."""
    st.session_state.pop("desk_matches", None)
    st.session_state.pop("desk_more_matches", None)
    found = read("find_students", q=q, college=scope)
    if found.empty:
        st.session_state.pop("desk_student", None)
        # One answer whether the student is unknown or another college's: a college desk
        # learns nothing about students it does not serve.
        where = f"{scope}的学生中" if scope else ""
        flash("warning", f"{where}未找到“{q}”，请核对学号或姓名")
        st.session_state["desk_focus"] = "lookup"
        return
    first = found.iloc[0]
    if len(found) > 1 and first["rank"] > 0:
        # Several match (two 万鑫, a prefix): nobody is chosen until staff pick one, so no
        # action button is live for a student nobody looked at.
        st.session_state["desk_matches"] = found.head(SHOWN_MATCHES).to_dict("records")
        st.session_state["desk_more_matches"] = len(found) > SHOWN_MATCHES
        st.session_state.pop("desk_student", None)
        st.session_state.pop("desk_pick", None)
        st.session_state["desk_focus"] = "pick"
        return
    st.session_state["desk_student"] = first["student_no"]
    st.session_state["desk_student_name"] = first["name"]
    st.session_state["act_reason"] = ""
    if stage is not None and not instant:
        clear_evidence(stage, EVIDENCE_KEY)  # ticks are for the student in front of the desk
    if instant and first["rank"] == 0:
        # The domain refuses to overturn a × 不通过 from a scan (source "instant"); the page
        # says so and leaves the student on screen for a person to look at.
        _do(first["student_no"], "pass", source="instant")
        st.session_state["desk_focus"] = "lookup"
    else:
        st.session_state["desk_focus"] = "pass" if stage is not None else "lookup"


with st.form("lookup", clear_on_submit=True, border=False):
    c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
    query = c1.text_input(LOOKUP_LABEL, key="lookup_q", placeholder="扫码或输入后按回车")
    submitted = c2.form_submit_button("查找并通过" if instant else "查找", type="primary",
                                      width="stretch")
if submitted and compact(query):
    _lookup(compact(query))  # full-width digits (“２０１６…”) as the roster import reads them
show_flash()

matches = st.session_state.get("desk_matches")
if matches:
    # A few matches as radio buttons (arrow keys); many as a drop-down that filters as you type.
    # Radio labels are markdown, a drop-down's are plain text.
    choose = st.radio if len(matches) <= 6 else st.selectbox
    as_text = plain if choose is st.radio else str
    labels = {m["student_no"]: as_text(f"{m['name']}　{m['student_no']}　{m['college']}") for m in matches}
    if st.session_state.get("desk_more_matches"):
        st.warning(f"仅显示前 {SHOWN_MATCHES} 名，请输入更完整的学号或姓名")
    picked = choose(f"找到 {len(matches)} 名学生，请选择：", list(labels), key="desk_pick",
                    format_func=labels.get, index=None)
    if picked is None:
        st.session_state.pop("desk_student", None)
        st.stop()
    st.session_state["desk_student"] = picked
    st.session_state["desk_student_name"] = next(m["name"] for m in matches if m["student_no"] == picked)



def _show_stage(view: DeskStudent) -> None:
    """This desk's stage: state, what to bring, the evidence inputs, and the actions."""
    left, right = st.columns([1, 1])
    with left:
        st.markdown(f"**{stage.name}** 当前：{STATE_LABELS[view.state]}")
        if view.state == "rejected":
            st.error(f"此前不通过，原因：{plain(view.reason) or '未填写'}。请核对问题已解决后再点击“通过”。")
        elif view.reason:
            st.caption(f"原因：{plain(view.reason)}")
        if view.brings:
            st.caption(f"学生需带：{view.brings}")
        if not instant:
            st.markdown("核对事项与办理记录（* 为通过必填）：")
            evidence_inputs(stage, view.clearance_type, EVIDENCE_KEY)
    with right:
        if view.missing:
            st.warning(f"须先完成：{'、'.join(view.missing)}")
        b1, b2 = st.columns(2)
        b1.button("通过", key="act_pass", type="primary", on_click=_act, args=("pass",), width="stretch")
        b2.button("无需办理", key="act_not_needed", on_click=_act, args=("not_needed",), width="stretch",
                  disabled=view.not_needed_refusal is not None, help=view.not_needed_refusal)
        # The reason and the two actions that need it are one form: typing a reason and pressing
        # Enter is 不通过 (the form's first submit button), so a reject needs no mouse.
        with st.form("reject_form", border=False, enter_to_submit=True):
            st.text_input("原因（不通过、撤销时必填，学生可见；输入后按回车即不通过）", key="act_reason")
            b3, b4 = st.columns(2)
            b3.form_submit_button("不通过", key="act_reject", on_click=_act, args=("reject",),
                                  width="stretch")
            b4.form_submit_button("撤销", key="act_reset", on_click=_act, args=("reset",),
                                  width="stretch")


def _show_student(view: DeskStudent) -> None:
    st.subheader(f"{plain(view.name)}　{plain(view.student_no)}")
    st.caption(plain(view.details))
    if view.open_names:
        st.markdown(f"尚未完成 {len(view.open_names)} 个环节：" + "、".join(view.open_names))
    else:
        st.success("全部环节已 ✓，可领取毕业证、学位证")
    if stage is not None:
        _show_stage(view)
    # A plain table (not a canvas grid): twelve rows, readable by screen readers and find-in-page.
    # st.table renders its cells as markdown: every cell goes through plain().
    st.table(view.row.map(plain), hide_index=True, border="horizontal")
    with st.expander("办理记录（谁在何时、从哪里办理了什么）"):
        st.dataframe(view.history, hide_index=True, width="stretch")


view = load_desk_student(read, st.session_state.get("desk_student"), stage, scope)
if view is None:
    st.info("请输入学号、姓名或姓名拼音首字母（如 zs 查张三）后按回车。")
    focus(f'input[aria-label="{LOOKUP_LABEL}"]')
    st.stop()
_show_student(view)

target = st.session_state.pop("desk_focus", "lookup")
# After a rejection, one reflex Enter must not overturn it: focus stays on the 学号 box.
if target == "pass" and stage is not None and view.state != "rejected":
    focus(".st-key-act_pass button")
elif target != "pick":
    focus(f'input[aria-label="{LOOKUP_LABEL}"]')
