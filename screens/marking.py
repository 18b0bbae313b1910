"""办理: find a student by 学号, name or pinyin initials, see their whole clearance row and this
desk's checklist, and mark the stage. Built for a queue: 学号 ⏎ → 通过 ⏎ → the next student.
The graduate school sees the same view without the actions (学生详情)."""

import streamlit as st

from clearance.rules.marking import STATE_LABELS, form_chain
from clearance.rules.text import compact
from ui.auth import current_actor, require_actor
from ui.data import read, store
from ui.desk_keys import desk_keys
from ui.marking_pages import (LOOKUP_LABEL, DeskStudent, catalogue, clear_evidence, college_scope,
                              desk_ref, desk_stages, evidence_inputs, evidence_state, flash,
                              load_desk_student, load_history, mark_at_desk, pick_stage,
                              show_flash)
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
    office = f" · {stage.department}" if stage.department not in (stage.name, "学院") else ""
    st.caption(f"当前环节：{stage.name}{office}{where}")
    st.toggle("回车即通过（扫码或输入学号后按回车，按下面勾选的核对事项直接通过）",
              key="instant_pass")
instant = stage is not None and st.session_state.get("instant_pass", False)
# The stages one pass records: a secretary holding 导师 too registers the signed form and passes
# their own stage in one action (the rule: clearance.rules.marking.form_chain).
FULL_CHAIN = form_chain(stage, actor, catalogue(), {}) if stage is not None else []
RESOLVED_NOTE = "问题已解决"


def _key(s) -> str:
    return f"evidence_{s.stage_id}"


if instant:
    with st.expander("回车即通过时记录的核对事项（对每名学生相同）", expanded=True):
        for s in FULL_CHAIN:
            if len(FULL_CHAIN) > 1:
                st.markdown(f"**{s.name}**")
            evidence_inputs(s, None, _key(s))


def _chain_for(student_no: str) -> list:
    """This desk's pass for one student: the form's stages still open, then this stage."""
    if len(FULL_CHAIN) == 1:  # no form chain at this desk: no need to read the row first
        return FULL_CHAIN
    row = read("student_row", student_no=student_no)
    return form_chain(stage, actor, catalogue(), dict(zip(row["stage_id"], row["state"])))


def _do(student_no: str, action: str, reason: str | None = None, source: str = "page",
        note: str | None = None) -> bool:
    """Mark this desk's stage for one student; the outcome is flashed. True if accepted."""
    name = st.session_state.get("desk_student_name", student_no)
    before, evidence = (), None
    if action == "pass":
        chain = _chain_for(student_no)
        before = tuple((s, evidence_state(s, _key(s))) for s in chain[:-1])
        evidence = evidence_state(stage, _key(stage))
    ok, kind, lines = mark_at_desk(actor, student_no, stage, action, reason, name, desk_ref(),
                                   evidence, source, note, before)
    flash(kind, lines)
    if ok and action == "pass" and not instant:
        for s in FULL_CHAIN:
            clear_evidence(s, _key(s))  # the next student is checked afresh
    return ok


def _act(action: str, shown: str, note: str | None = None) -> None:
    """Button callback: runs before the page, so the row below already shows the new state.
    `shown` is the 学号 the button was drawn for: a button of a page drawn before a new lookup
    never marks whoever was looked up since."""
    if current_actor() != actor:  # signed out, expired or changed since the page was drawn
        return
    st.session_state["desk_focus"] = "lookup"
    if st.session_state.get("desk_student") != shown:
        flash("warning", "页面已换成另一名学生，未办理，请核对后重新操作")
        return
    reason = None
    if action == "reject":
        reason = (st.session_state.get("act_reason") or "").strip() or None
    if action == "reset":
        note = (st.session_state.get("reset_note") or "").strip() or None
    if _do(shown, action, reason, note=note):
        st.session_state["act_reason"] = ""
        st.session_state["reset_note"] = ""


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
    st.session_state["reset_note"] = ""
    if stage is not None and not instant:
        for s in FULL_CHAIN:  # ticks are for the student in front of the desk
            clear_evidence(s, _key(s))
    if instant and first["rank"] == 0:
        # The domain refuses to overturn a × 不通过 from a scan (source "instant"); the page
        # says so and leaves the student on screen for a person to look at.
        _do(first["student_no"], "pass", source="instant")
        st.session_state["desk_focus"] = "lookup"
    else:
        st.session_state["desk_focus"] = "pass" if stage is not None else "lookup"


LOOKUP_BOX = f'input[aria-label="{LOOKUP_LABEL}"]'
ACTIONS = ".st-key-act_pass, .st-key-act_resolved, .st-key-act_not_needed, .st-key-act_reject, .st-key-act_reset"
SHORTCUTS = {"F2": ".st-key-act_resolved button", "F4": 'input[aria-label^="F4 不通过原因"]'}


@st.dialog("撤销办理结果")
def _confirm_reset(view: DeskStudent) -> None:
    st.markdown(f"撤销 **{plain(view.name)}（{plain(view.student_no)}）** 的“{stage.name}”"
                f"（当前：{STATE_LABELS[view.state]}）？撤销后学生看到此环节为“× 未办理”。")
    with st.form("reset_form", border=False):
        st.text_input("撤销说明（仅工作人员可见，记入办理记录）", key="reset_note",
                      placeholder="例如：误点通过，学生尚未还书")
        if st.form_submit_button("确认撤销", type="primary", on_click=_act,
                                 args=("reset", view.student_no)):
            st.rerun()


def _show_stage(view: DeskStudent) -> None:
    """This desk's stage: state, what to bring, the evidence inputs, and the actions."""
    chain = form_chain(stage, actor, catalogue(), dict(view.states))
    left, right = st.columns([1, 1])
    with left:
        st.markdown(f"**{stage.name}** 当前：{STATE_LABELS[view.state]}")
        if view.state == "rejected":
            st.error(f"此前不通过，原因：{plain(view.reason) or '未填写'}。核对问题已解决后按 F2 通过。")
        elif view.reason:
            st.caption(f"原因：{plain(view.reason)}")
        if view.brings:
            st.caption(f"学生需带：{view.brings}")
        if not instant:
            st.markdown("核对事项与办理记录（* 为通过必填）：")
            for s in chain:
                if len(chain) > 1:
                    st.markdown(f"**{s.name}**")
                evidence_inputs(s, view.clearance_type, _key(s))
    with right:
        if view.missing and len(chain) == 1:
            st.warning(f"须先完成：{'、'.join(view.missing)}")
        b1, b2 = st.columns(2)
        label = "通过" if len(chain) == 1 else "通过（" + " + ".join(s.name for s in chain) + "）"
        if view.state == "rejected":
            # A × student back after sorting it out: one visible key, never the scanner's Enter.
            b1.button(f"F2 {RESOLVED_NOTE}，通过", key="act_resolved", type="primary",
                      on_click=_act, args=("pass", view.student_no, RESOLVED_NOTE), width="stretch")
        else:
            b1.button(label, key="act_pass", type="primary", on_click=_act,
                      args=("pass", view.student_no), width="stretch")
        b2.button("无需办理", key="act_not_needed", on_click=_act, args=("not_needed", view.student_no),
                  width="stretch", disabled=view.not_needed_refusal is not None,
                  help=view.not_needed_refusal)
        # The reason and 不通过 are one form: F4 goes to the reason, Enter there is 不通过.
        with st.form("reject_form", border=False, enter_to_submit=True):
            st.text_input("F4 不通过原因（学生可见；输入后按回车即不通过）", key="act_reason")
            st.form_submit_button("不通过", key="act_reject", on_click=_act,
                                  args=("reject", view.student_no), width="stretch")
        if view.state != "open":
            if st.button("撤销…", key="act_reset", width="stretch",
                         help="撤销本环节的办理结果：需确认并填写说明（学生不可见）"):
                _confirm_reset(view)


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
    # st.table renders its cells as markdown: every cell went through plain() (student_row_table).
    st.table(view.row, hide_index=True, border="horizontal")
    # Read only while open (a queue at a desk rarely looks; 学生详情 opens it by default): the
    # history is a query and a grid per student otherwise sent for nothing.
    with st.expander("办理记录（谁在何时、从哪里办理了什么）", expanded=not marks_here,
                     key="desk_history_open", on_change="rerun") as history:
        if history.open:
            st.dataframe(load_history(read, view.student_no), hide_index=True, width="stretch")




# A new dict on every whole-page run; the fragment's own reruns share it.
page_run = {"full": True}


@st.fragment
def _desk() -> None:
    """The lookup and the student: a scan, a pick or an action reruns only this part of the
    page, not the menu, the stage picker or the instant-pass checklist — the per-student work
    of a desk with a queue (issue 13: app time per student)."""
    if not page_run.pop("full", False) and current_actor() != actor:
        st.rerun()  # signed out, expired or changed since the page was drawn: the whole page
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
            return
        st.session_state["desk_student"] = picked
        st.session_state["desk_student_name"] = next(m["name"] for m in matches if m["student_no"] == picked)

    ENTERED = st.session_state.pop("page_entered", False)  # app.py: this page was just opened
    view = load_desk_student(read, st.session_state.get("desk_student"), stage, scope)
    if view is None:
        st.info("请输入学号、姓名或姓名拼音首字母（如 zs 查张三）后按回车。")
        wanted = st.session_state.pop("desk_focus", "lookup" if ENTERED else None)
        desk_keys(LOOKUP_BOX, ACTIONS, LOOKUP_BOX if wanted else None)
        return
    _show_student(view)

    # The focus moves after what the desk did (a lookup, an action) or when the page opens; a redraw
    # after a tick leaves it where the clerk has gone since.
    target = st.session_state.pop("desk_focus", "lookup" if ENTERED else None)
    # After a rejection, one reflex Enter must not overturn it: focus stays on the 学号 box.
    if target == "pass" and stage is not None and view.state != "rejected":
        desk_keys(LOOKUP_BOX, ACTIONS, ".st-key-act_pass button", SHORTCUTS)
    else:
        desk_keys(LOOKUP_BOX, ACTIONS, LOOKUP_BOX if target == "lookup" else None, SHORTCUTS)


_desk()
