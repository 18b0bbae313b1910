"""抽查: the graduate school draws passed marks at random and records whether each holds up."""

import pandas as pd
import streamlit as st

from clearance.store.marks import ACTION_LABELS, SOURCES, STATE_LABELS
from clearance.store.spot_checks import MAX_SAMPLE, OUTCOMES, SpotCheckError, draw_sample, record_outcome
from ui.auth import require_actor
from ui.downloads import download_link
from ui.data import current_batch, read, store, stage_name_map
from ui.filters import choice
from ui.lagging import to_xlsx
from ui.marking_pages import evidence_text
from ui.text import plain

actor = require_actor("admin", "gradschool")
batch = current_batch()
b = batch["batch_id"]
stage_names = stage_name_map()
colleges = list(read("college_list", batch=b)["college"])

st.title("办理抽查")
st.caption("从已通过（✓ 已办理）的记录中随机抽取，逐条核对办理依据，并记录核查结果。")
notice = st.session_state.pop("spot_notice", None)
if notice:
    st.success(notice)


def _show_draw() -> None:
    with st.form("draw"):
        c = st.columns([1, 1, 0.6])
        stage = choice("环节", list(stage_names), "draw_stage", c[0], format_func=lambda s: stage_names[s])
        college = choice("学院", colleges, "draw_college", c[1])
        size = c[2].number_input("抽取条数", min_value=1, max_value=MAX_SAMPLE, value=10, step=1)
        if st.form_submit_button("随机抽取", type="primary"):
            try:
                draw = draw_sample(store(), actor, b, int(size), stage_id=stage, college=college)
                st.session_state["spot_notice"] = f"已抽取第 {draw.check_id} 次抽查，共 {draw.drawn} 条"
                st.session_state["spot_check_id"] = draw.check_id
                st.rerun()
            except SpotCheckError as exc:
                st.error(str(exc))


def _label(row) -> str:
    scope = f"{row['stage_name'] if isinstance(row['stage_name'], str) else '全部环节'} · {row['college'] or '全部学院'}"
    return (f"第 {row['check_id']} 次：{scope}，{row['items']} 条，已核查 {row['checked']}，"
            f"问题 {row['problems']}（{row['drawn_by']} {pd.Timestamp(row['drawn_at']):%m-%d %H:%M}）")


def _show_check(check_id: int) -> None:
    items = read("spot_check_items", check_id=check_id)
    view = pd.DataFrame({
        "序号": items["item_no"], "学号": items["student_no"], "姓名": items["name"], "学院": items["college"],
        "环节": items["stage_name"], "办理人": items["passed_by"], "办理时间": items["passed_at"],
        "来源": items["passed_source"].map(SOURCES),
        "办理时记录的核对材料": [evidence_text(s, e) for s, e in zip(items["stage_id"], items["passed_evidence"])],
        "当前状态": items["state_now"].map(STATE_LABELS),
        "核查结果": items["outcome"].map(OUTCOMES).fillna("未核查"), "说明": items["outcome_note"].fillna(""),
    })
    st.dataframe(view, hide_index=True, width="stretch")
    if items.empty:
        return
    download_link(actor, "导出抽查表（Excel，含办理时记录的核对材料）", lambda: to_xlsx(view, "办理抽查"),
                  f"办理抽查_{check_id}.xlsx", f"spot_export_{check_id}")
    n = st.selectbox("核查哪一条", list(items["item_no"]), key=f"spot_item_{check_id}",
                     format_func=lambda i: "第 {} 条：{} {} · {}".format(
                         i, *items.set_index("item_no").loc[i, ["student_no", "name", "stage_name"]]))
    item = items.set_index("item_no").loc[n]
    st.markdown(f"**{plain(item['name'])}（{plain(item['student_no'])}）· {item['stage_name']}** 的全部办理记录")
    history = read("mark_history", student_no=item["student_no"], stage_id=item["stage_id"])
    st.dataframe(pd.DataFrame({
        "时间": history["marked_at"], "操作": history["action"].map(ACTION_LABELS),
        "之前": history["state_before"].map(STATE_LABELS), "之后": history["state_after"].map(STATE_LABELS),
        "原因": history["reason"].fillna(""), "备注": history["note"].fillna(""), "办理人": history["actor"],
        "来源": history["source"].map(SOURCES),
        "核对材料": [evidence_text(item["stage_id"], e) for e in history["evidence"]],
    }), hide_index=True, width="stretch")
    with st.form(f"outcome_{check_id}", clear_on_submit=True):
        outcome = st.radio("核查结果", list(OUTCOMES), format_func=OUTCOMES.get, horizontal=True)
        note = st.text_input("说明（发现问题时必填）")
        if st.form_submit_button("记录核查结果", type="primary"):
            try:
                record_outcome(store(), actor, check_id, int(n), outcome, note)
                st.session_state["spot_notice"] = f"已记录第 {n} 条：{OUTCOMES[outcome]}"
                st.rerun()
            except SpotCheckError as exc:
                st.error(str(exc))
    history = read("spot_check_outcome_history", check_id=check_id)
    if not history.empty:
        with st.expander(f"本次抽查的核查记录（{len(history)} 条）"):
            st.dataframe(pd.DataFrame({
                "序号": history["item_no"], "结果": history["outcome"].map(OUTCOMES), "说明": history["note"].fillna(""),
                "核查人": history["checked_by"], "时间": history["checked_at"],
            }), hide_index=True, width="stretch")


_show_draw()
checks = read("spot_check_list", batch=b)
if checks.empty:
    st.info("本批次还没有抽查。选择环节或学院后点击“随机抽取”。")
else:
    ids = list(checks["check_id"])
    if st.session_state.get("spot_check_id") not in ids:
        st.session_state["spot_check_id"] = ids[0]
    by_id = checks.set_index("check_id", drop=False)
    check_id = st.selectbox("抽查批次", ids, key="spot_check_id", format_func=lambda i: _label(by_id.loc[i]))
    _show_check(int(check_id))
