"""待办名单: who is still waiting at this desk's stage, filtered. Where the catalogue allows it
(`bulk = true`): pass many at once with a confirmation (one transaction), mark a party branch's
non-members 无需办理 in one action, or pass an uploaded / pasted list of 学号 after a preview of
what matched. Stages checked in person only list who is waiting."""

import pandas as pd
import streamlit as st

from clearance.rules.catalogue import CLEARANCE_TYPES, LEVELS
from clearance.store.marks import ACTION_LABELS, Mark, MarkError, apply_marks, preview_marks
from clearance.store.students import is_party_member
from loaders.sheets import ImportRejected
from loaders.student_numbers import numbers_from_file, numbers_from_text
from ui.auth import current_actor, require_actor
from ui.data import current_batch, read, store
from ui.marking_pages import catalogue, college_scope, flash, pick_stage, show_flash

actor = require_actor("admin", "college", "office")
batch = current_batch()
scope = college_scope(actor)
st.title("待办名单")
stage = pick_stage(actor)
if stage is None:
    st.info("当前账号没有可办理的环节，请联系系统管理员分配。")
    st.stop()
show_flash()

ALL = "全部"
f1, f2, f3, f4 = st.columns(4)
colleges = [scope] if scope else [ALL] + list(read("all_colleges")["college"])
college = f1.selectbox("学院", colleges, key="q_college", disabled=bool(scope))
campus = f2.selectbox("校区", [ALL] + list(catalogue().campuses), key="q_campus")
level = f3.selectbox("培养层次", [ALL, *LEVELS], key="q_level")
ctype = f4.selectbox("离校类型", [ALL, *CLEARANCE_TYPES], key="q_type")


def _opt(value):
    return None if value == ALL else value


pending = read("pending_queue", stage=stage.stage_id, batch=batch["batch_id"], college=_opt(college),
               campus=_opt(campus), level=_opt(level), clearance_type=_opt(ctype))
if stage.final:
    # The last stage can only pass students whose every other stage is ✓: by default the list
    # shows those, who can be done now.
    if st.toggle("只看其他环节已全部 ✓ 的学生", value=True, key=f"q_ready_{stage.stage_id}"):
        pending = pending[pending["other_open"] == 0].reset_index(drop=True)
st.metric(f"“{stage.name}”待办理", f"{len(pending):,} 人")


def _propose(action: str, nos: list[str], title: str, unmatched: list[str] | None = None,
             elsewhere: list[str] | None = None) -> None:
    """Ask for confirmation before a bulk mark (kept in the session until confirmed)."""
    st.session_state["bulk"] = {"stage": stage.stage_id, "action": action, "nos": list(nos),
                                "title": title, "unmatched": list(unmatched or []),
                                "elsewhere": list(elsewhere or [])}


def _confirm() -> None:
    """Callback of 确认: the marks the preview accepted, in one transaction."""
    bulk = st.session_state.pop("bulk", None)
    if not bulk or current_actor() != actor:
        return
    marks = [Mark(no, bulk["stage"], bulk["action"]) for no in bulk["accept"]]
    try:
        result = apply_marks(store(), actor, marks, source="bulk")
    except MarkError as exc:
        flash("error", ["操作未执行，没有办理任何学生（名单在确认前发生了变化，请重新预览）："] + exc.errors[:20])
        return
    st.session_state["queue_version"] = st.session_state.get("queue_version", 0) + 1
    st.session_state["queue_all"] = False
    flash("success", f"已{ACTION_LABELS[bulk['action']]} {result.changed} 人（{stage.name}）")


def _show_confirmation(bulk: dict) -> None:
    """The preview of a bulk mark: how many change, which are already ✓, refused, not found."""
    plan = preview_marks(store(), actor, [Mark(no, bulk["stage"], bulk["action"]) for no in bulk["nos"]],
                         source="bulk")
    bulk["accept"] = [c["student_no"] for c in plan.changes]
    label = ACTION_LABELS[bulk["action"]]
    with st.container(border=True):
        st.markdown(f"**{bulk['title']}：将{label} {len(bulk['accept'])} 人（{stage.name}）**")
        notes = []
        if plan.unchanged:
            notes.append(f"已是 ✓ 无需再办 {len(plan.unchanged)} 人")
        if plan.refusals:
            notes.append(f"不能办理 {len(plan.refusals)} 人")
        if bulk["unmatched"]:
            notes.append(f"名单中未找到 {len(bulk['unmatched'])} 个学号")
        if bulk.get("elsewhere"):
            notes.append(f"不是本学院的学生 {len(bulk['elsewhere'])} 个学号")
        if notes:
            st.caption("；".join(notes))
        if plan.refusals:
            with st.expander(f"不能办理的 {len(plan.refusals)} 人及原因"):
                st.text("\n".join(plan.refusals[:200]))
        if bulk["unmatched"]:
            with st.expander(f"未找到的学号（{len(bulk['unmatched'])} 个）"):
                st.text("\n".join(bulk["unmatched"]))
        if bulk.get("elsewhere"):
            # Only the numbers: college staff are not shown other colleges' students.
            with st.expander(f"不是本学院的学生（{len(bulk['elsewhere'])} 个学号）"):
                st.text("\n".join(f"{no}：不是本学院的学生" for no in bulk["elsewhere"]))
        c1, c2 = st.columns([2, 1])
        c1.button(f"确认{label} {len(bulk['accept'])} 人", key="bulk_confirm", type="primary",
                  on_click=_confirm, disabled=not bulk["accept"], width="stretch")
        c2.button("取消", key="bulk_cancel", on_click=lambda: st.session_state.pop("bulk", None),
                  width="stretch")


bulk = st.session_state.get("bulk")
if bulk and bulk["stage"] == stage.stage_id and stage.bulk:
    _show_confirmation(bulk)

if stage.stage_id == "party" and stage.bulk:
    non_members = pending[~pending["political_status"].map(is_party_member)]
    st.button(f"非党员一键标记“无需办理”（{len(non_members):,} 人）", key="party_bulk",
              type="primary", disabled=non_members.empty,
              on_click=_propose, args=("not_needed", list(non_members["student_no"]),
                                       "非党员批量办理"))
    st.caption("党员须转出组织关系后逐个办理；非党员可在离校开始前一次全部标记。")

table = pd.DataFrame({
    "学号": pending["student_no"], "姓名": pending["name"], "学院": pending["college"],
    "校区": pending["campus"], "层次": pending["level"], "类型": pending["clearance_type"],
    "政治面貌": pending["political_status"],
    "状态": pending["state"].map({"open": "× 未办理", "rejected": "× 不通过"}),
    "原因": pending["reason"].fillna(""),
    "其他未完成环节": pending["other_open_names"].replace("", "—（均已 ✓）"),
})
height = min(420, 35 * (len(table) + 1) + 3)

if not stage.bulk:
    # The handbook has this stage check every student in person: the list shows who is
    # waiting, and marking happens one by one on the 办理 page.
    st.info(f"“{stage.name}”须逐人核对办理，不能批量通过：请在“办理”页面输入学号，核对后逐个办理。")
    st.dataframe(table, hide_index=True, width="stretch", height=height, key="queue_list")
    st.stop()

pick, by_list = st.tabs(["勾选办理", "按名单办理（上传或粘贴学号）"])
with pick:
    # Positional selections go stale when the list changes: the key carries the list's version,
    # and rows are turned into 学号 at once.
    key = f"queue_table_{stage.stage_id}_{st.session_state.get('queue_version', 0)}"
    event = st.dataframe(table, hide_index=True, width="stretch", key=key, height=height,
                         on_select="rerun", selection_mode="multi-row")
    chosen = list(table.iloc[event.selection.rows]["学号"]) if event.selection.rows else []
    everyone = st.checkbox(f"选择当前筛选出的全部 {len(table):,} 人", key="queue_all")
    nos = list(table["学号"]) if everyone else chosen
    st.button(f"通过所选 {len(nos):,} 人", key="queue_pass", disabled=not nos,
              on_click=_propose, args=("pass", nos, "勾选批量通过"))

with by_list:
    st.caption("上传含“学号”列的 CSV/XLSX 文件，或在下框粘贴学号（每行一个，或用逗号、空格分隔）。"
               "先预览匹配情况，确认后才会写入。")
    upload = st.file_uploader("学号名单文件", type=["csv", "xlsx"], key="list_file")
    pasted = st.text_area("或粘贴学号", key="list_text", height=120)
    if st.button("预览", key="list_preview"):
        numbers, bad = [], []
        try:
            if upload is not None:
                numbers = numbers_from_file(upload.getvalue(), upload.name)
            text_numbers, bad = numbers_from_text(pasted)
            numbers = list(dict.fromkeys(numbers + text_numbers))
        except ImportRejected as exc:
            st.error("文件未能读取，未做任何修改：\n\n" + "\n\n".join(exc.errors[:50]))
        else:
            found = read("existing_students", student_nos=numbers) if numbers else None
            college_of = dict(zip(found["student_no"], found["college"])) if found is not None else {}
            unmatched = [n for n in numbers if n not in college_of] + bad
            # College staff: another college's students are named neither here nor on 办理.
            elsewhere = [n for n in numbers if n in college_of and scope and college_of[n] != scope]
            if not numbers and not bad:
                st.warning("没有读到学号")
            else:
                _propose("pass", [n for n in numbers if n in college_of and n not in elsewhere],
                         "按名单通过", unmatched, elsewhere)
                st.rerun()
