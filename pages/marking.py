"""办理: find a student by 学号, name or pinyin initials, see their whole clearance row and this
desk's checklist, and mark the stage. Built for a queue: 学号 ⏎ → 通过 ⏎ → the next student.
The graduate school sees the same view without the actions (学生详情)."""

import streamlit as st

from clearance.rules.catalogue import DONE_STATES
from clearance.store.marks import STATE_LABELS
from clearance.rules.text import compact
from ui.auth import current_actor, require_actor
from ui.data import read, store
from ui.marking_pages import (LOOKUP_LABEL, college_scope, desk_ref, desk_stages, flash, focus,
                     history_table, mark_at_desk, pick_stage, show_flash, student_row_table)

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
    st.toggle("回车即通过（本环节无需核对材料时使用：扫码或输入学号后按回车，直接通过）",
              key="instant_pass")
instant = stage is not None and st.session_state.get("instant_pass", False)


def _do(student_no: str, action: str, reason: str | None = None) -> bool:
    """Mark this desk's stage for one student; the outcome is flashed. True if accepted."""
    name = st.session_state.get("desk_student_name", student_no)
    ok, kind, lines = mark_at_desk(actor, student_no, stage, action, reason, name, desk_ref())
    flash(kind, lines)
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


def _stage_state(student_no: str) -> tuple[str, str]:
    """This desk's stage for one student: (state, reason)."""
    here = read("student_row", student_no=student_no).set_index("stage_id").loc[stage.stage_id]
    return here["state"], here["reason"] if isinstance(here["reason"], str) else ""


def _lookup(q: str) -> None:
    """Find the student(s) for what was typed or scanned; in instant mode pass an exact 学号."""
    st.session_state.pop("desk_matches", None)
    st.session_state.pop("desk_more_matches", None)
    found = read("find_students", q=q, college=scope)
    if found.empty:
        st.session_state.pop("desk_student", None)
        elsewhere = read("student_college", student_no=q) if scope else None
        if elsewhere is not None and not elsewhere.empty:
            flash("error", f"学号 {q} 不是{scope}的学生，不能在此办理或查看")
        else:
            flash("warning", f"未找到“{q}”，请核对学号或姓名")
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
    if instant and first["rank"] == 0:
        state, reason = _stage_state(first["student_no"])
        if state == "rejected":
            # A rejection is a decision someone made on purpose: a scan must not overturn it.
            flash("warning", [f"{first['name']}（{first['student_no']}）“{stage.name}”此前为 × 不通过，"
                              f"原因：{reason or '未填写'}。未自动通过：请核对后手动点击按钮办理。"])
        else:
            _do(first["student_no"], "pass")
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
    labels = {m["student_no"]: f"{m['name']}　{m['student_no']}　{m['college']}" for m in matches}
    # A few matches as radio buttons (arrow keys); many as a drop-down that filters as you type.
    choose = st.radio if len(matches) <= 6 else st.selectbox
    if st.session_state.get("desk_more_matches"):
        st.warning(f"仅显示前 {SHOWN_MATCHES} 名，请输入更完整的学号或姓名")
    picked = choose(f"找到 {len(matches)} 名学生，请选择：", list(labels), key="desk_pick",
                    format_func=labels.get, index=None)
    if picked is None:
        st.session_state.pop("desk_student", None)
        st.stop()
    st.session_state["desk_student"] = picked
    st.session_state["desk_student_name"] = next(m["name"] for m in matches if m["student_no"] == picked)

student_no = st.session_state.get("desk_student")
profile = read("student_profile", student_no=student_no) if student_no else None
if profile is None or profile.empty or (scope and profile.iloc[0]["college"] != scope):
    st.info("请输入学号、姓名或姓名拼音首字母（如 zs 查张三）后按回车。")
    focus(f'input[aria-label="{LOOKUP_LABEL}"]')
    st.stop()

p = profile.iloc[0]
row = read("student_row", student_no=student_no)
done = row["state"].isin(DONE_STATES)
st.subheader(f"{p['name']}　{p['student_no']}")
st.caption(f"{p['college']} · {p['level']} · {p['clearance_type']} · {p['campus']} · "
           f"导师 {p['advisor']} · 手机 {p['phone'] or '—'} · {p['political_status']} · {p['batch_title']}")
open_names = list(row.loc[~done, "stage_name"])
if open_names:
    st.markdown(f"尚未完成 {len(open_names)} 个环节：" + "、".join(open_names))
else:
    st.success("全部环节已 ✓，可领取毕业证、学位证")

if stage is not None:
    here = row.set_index("stage_id").loc[stage.stage_id]
    left, right = st.columns([1, 1])
    with left:
        st.markdown(f"**{stage.name}** 当前：{STATE_LABELS[here['state']]}")
        reason_here = here["reason"] if isinstance(here["reason"], str) else ""
        if here["state"] == "rejected":
            st.error(f"此前不通过，原因：{reason_here or '未填写'}。请核对问题已解决后再点击“通过”。")
        elif reason_here:
            st.caption(f"原因：{reason_here}")
        items = stage.items_for(p["clearance_type"])
        st.markdown("核对事项：\n" + "\n".join(f"- {i.text}" for i in items))
        if stage.brings:
            st.caption(f"学生需带：{stage.brings}")
    with right:
        missing = [g for g in stage.prerequisites
                   if row.set_index("stage_id").loc[g, "state"] not in DONE_STATES]
        if missing:
            names = "、".join(row.set_index("stage_id").loc[missing, "stage_name"])
            st.warning(f"须先完成：{names}")
        b1, b2 = st.columns(2)
        b1.button("通过", key="act_pass", type="primary", on_click=_act, args=("pass",), width="stretch")
        b2.button("无需办理", key="act_not_needed", on_click=_act, args=("not_needed",), width="stretch")
        # The reason and the two actions that need it are one form: typing a reason and pressing
        # Enter is 不通过 (the form's first submit button), so a reject needs no mouse.
        with st.form("reject_form", border=False, enter_to_submit=True):
            st.text_input("原因（不通过、撤销时必填，学生可见；输入后按回车即不通过）", key="act_reason")
            b3, b4 = st.columns(2)
            b3.form_submit_button("不通过", key="act_reject", on_click=_act, args=("reject",),
                                  width="stretch")
            b4.form_submit_button("撤销", key="act_reset", on_click=_act, args=("reset",),
                                  width="stretch")

# A plain table (not a canvas grid): twelve rows, readable by screen readers and find-in-page.
st.table(student_row_table(row, stage.stage_id if stage else None), hide_index=True,
         border="horizontal")

with st.expander("办理记录（谁在何时、从哪里办理了什么）"):
    st.dataframe(history_table(read("student_history", student_no=student_no)), hide_index=True,
                 width="stretch")

target = st.session_state.pop("desk_focus", "lookup")
# After a rejection, one reflex Enter must not overturn it: focus stays on the 学号 box.
if target == "pass" and stage is not None and here["state"] != "rejected":
    focus(".st-key-act_pass button")
elif target != "pick":
    focus(f'input[aria-label="{LOOKUP_LABEL}"]')
