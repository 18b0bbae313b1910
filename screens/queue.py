"""待办名单: who is still waiting at this desk's stage, filtered. Where the catalogue allows it
(`bulk = true`): pass many at once with a confirmation (one transaction), mark a party branch's
non-members 无需办理 in one action, or pass an uploaded / pasted list of 学号 after a preview of
what matched. Stages checked in person only list who is waiting."""

import streamlit as st

from clearance.rules.catalogue import CLEARANCE_TYPES, LEVELS
from clearance.rules.marking import ACTION_LABELS
from loaders.sheets import ImportRejected
from loaders.student_numbers import numbers_from_file, numbers_from_text
from ui.auth import current_actor, require_actor
from ui.data import current_batch, read, store
from ui.marking_pages import (apply_bulk, bulk_marks, catalogue, college_scope, evidence_inputs,
                              evidence_state, flash, load_queue, pick_stage, preview_bulk, show_flash)
from ui.text import plain

actor = require_actor("admin", "college", "office")
batch = current_batch()
scope = college_scope(actor)
st.title("待办名单")
stage = pick_stage(actor)
if stage is None:
    st.info("当前账号没有可办理的环节，请联系系统管理员分配。")
    st.stop()
show_flash()
EVIDENCE_KEY = f"bulk_evidence_{stage.stage_id}"

ALL = "全部"
f1, f2, f3, f4 = st.columns(4)
colleges = [scope] if scope else [ALL] + list(read("all_colleges")["college"])
college = f1.selectbox("学院", colleges, key="q_college", disabled=bool(scope))
campus = f2.selectbox("校区", [ALL] + list(catalogue().campuses), key="q_campus")
level = f3.selectbox("培养层次", [ALL, *LEVELS], key="q_level")
ctype = f4.selectbox("离校类型", [ALL, *CLEARANCE_TYPES], key="q_type")


def _opt(value):
    return None if value == ALL else value


# The last stage can only pass students whose every other stage is ✓: by default the list
# shows those, who can be done now.
ready_only = stage.final and st.toggle("只看其他环节已全部 ✓ 的学生", value=True,
                                       key=f"q_ready_{stage.stage_id}")
queue = load_queue(read, stage, batch["batch_id"], _opt(college), _opt(campus), _opt(level),
                   _opt(ctype), ready_only)
st.metric(f"“{stage.name}”待办理", f"{queue.count:,} 人")


def _propose(action: str, nos: list[str], title: str, unmatched: list[str] | None = None) -> None:
    """Ask for confirmation before a bulk mark (kept in the session until confirmed)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("bulk_ok_")]:
        del st.session_state[key]  # ticks of an earlier preview never carry over
    st.session_state["bulk"] = {"stage": stage.stage_id, "action": action, "nos": list(nos),
                                "title": title, "unmatched": list(unmatched or [])}


def _evidence(bulk: dict) -> dict | None:
    return evidence_state(stage, EVIDENCE_KEY) if bulk["action"] == "pass" else None


def _ticked(bulk: dict) -> set[str]:
    """The students set apart (a × 不通过, a party member) that a person ticked one by one."""
    return {no for no, _why in bulk.get("to_confirm", []) if st.session_state.get(f"bulk_ok_{no}")}


def _confirm() -> None:
    """Callback of 确认: the marks the preview accepted plus the ticked ones, in one transaction."""
    bulk = st.session_state.pop("bulk", None)
    if not bulk or current_actor() != actor:
        return
    ticked = _ticked(bulk)
    marks = bulk_marks(stage, bulk["action"], bulk["accept"] + sorted(ticked), ticked, _evidence(bulk))
    ok, kind, lines = apply_bulk(actor, stage, bulk["action"], marks)
    flash(kind, lines)
    if ok:
        st.session_state["queue_version"] = st.session_state.get("queue_version", 0) + 1
        st.session_state["queue_all"] = False


def _show_confirmation(bulk: dict) -> None:
    """The preview of a bulk mark: how many change, which are already ✓, which need a person's
    look (listed apart, each left out unless ticked), refused, not found."""
    label = ACTION_LABELS[bulk["action"]]
    with st.container(border=True):
        if bulk["action"] == "pass":
            st.markdown("核对事项与办理记录（对所选学生相同，* 为通过必填）：")
            evidence_inputs(stage, None, EVIDENCE_KEY)
        plan = preview_bulk(actor, bulk_marks(stage, bulk["action"], bulk["nos"], set(), _evidence(bulk)))
        bulk["accept"] = [c["student_no"] for c in plan.changes]
        bulk["to_confirm"] = plan.to_confirm
        apart = {no for no, _why in plan.to_confirm}
        refused = [r for r in plan.refusals if not any(r == why for _no, why in plan.to_confirm)]
        st.markdown(f"**{bulk['title']}：将{label} {len(bulk['accept'])} 人（{stage.name}）**")
        notes = []
        if plan.unchanged:
            notes.append(f"已是 ✓ 无需再办 {len(plan.unchanged)} 人")
        if apart:
            notes.append(f"须逐人确认 {len(apart)} 人（未勾选的不办理）")
        if refused:
            notes.append(f"不能办理 {len(refused)} 人")
        if bulk["unmatched"]:
            notes.append(f"{'本学院' if scope else '名单'}中未找到 {len(bulk['unmatched'])} 个学号")
        if notes:
            st.caption("；".join(notes))
        if plan.to_confirm:
            st.warning("以下学生不会随批量一起办理：请逐人核对，勾选确认的才会一并办理。")
            for no, why in plan.to_confirm[:200]:
                st.checkbox(why, key=f"bulk_ok_{no}")
        if refused:
            with st.expander(f"不能办理的 {len(refused)} 人及原因"):
                st.text("\n".join(refused[:200]))
        if bulk["unmatched"]:
            with st.expander(f"未找到的学号（{len(bulk['unmatched'])} 个）"):
                st.text("\n".join(bulk["unmatched"]))
        count = len(bulk["accept"]) + len(_ticked(bulk))
        c1, c2 = st.columns([2, 1])
        c1.button(f"确认{label} {count} 人", key="bulk_confirm", type="primary",
                  on_click=_confirm, disabled=not count, width="stretch")
        c2.button("取消", key="bulk_cancel", on_click=lambda: st.session_state.pop("bulk", None),
                  width="stretch")


bulk = st.session_state.get("bulk")
if bulk and bulk["stage"] == stage.stage_id and stage.bulk:
    _show_confirmation(bulk)

if stage.not_needed_only_for_non_members and stage.bulk:
    st.button(f"非党员一键标记“无需办理”（{len(queue.non_members):,} 人）", key="party_bulk",
              type="primary", disabled=not queue.non_members,
              on_click=_propose, args=("not_needed", list(queue.non_members), "非党员批量办理"))
    st.caption("党员须转出组织关系后逐个办理；非党员可在离校开始前一次全部标记。")

table = queue.table
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
    upload = st.file_uploader("学号名单文件", type=["csv", "xlsx", "xls"], key="list_file")
    pasted = st.text_area("或粘贴学号", key="list_text", height=120)
    if st.button("预览", key="list_preview"):
        numbers, bad = [], []
        try:
            if upload is not None:
                numbers = numbers_from_file(upload.getvalue(), upload.name)
            text_numbers, bad = numbers_from_text(pasted)
            numbers = list(dict.fromkeys(numbers + text_numbers))
        except ImportRejected as exc:
            st.error("文件未能读取，未做任何修改：\n\n" + "\n\n".join(plain(e) for e in exc.errors[:50]))
        else:
            found = read("existing_students", student_nos=numbers) if numbers else None
            college_of = dict(zip(found["student_no"], found["college"])) if found is not None else {}
            # College staff: another college's student is "not found", like an unknown 学号,
            # here as on 办理 and 证书发放, so a list reveals nothing about other colleges.
            mine = [n for n in numbers if n in college_of and (not scope or college_of[n] == scope)]
            unmatched = [n for n in numbers if n not in mine] + bad
            if not numbers and not bad:
                st.warning("没有读到学号")
            else:
                _propose("pass", mine, "按名单通过", unmatched)
                st.rerun()
