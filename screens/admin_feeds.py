"""系统对接数据: an administrator uploads an office's export, sees what would change, commits.
The scheduled feeds arrive through the inbox folder; its state is shown below."""

import pandas as pd
import streamlit as st

from clearance.store.feeds import load_feeds
from clearance.store.marks import STATE_LABELS
from loaders.feeds import import_feed, preview, template_xlsx
from loaders.inbox import inbox_root, inbox_status
from loaders.sheets import ImportRejected
from ui.auth import require_actor
from ui.downloads import download_link
from ui.data import store
from ui.text import plain

actor = require_actor("admin")
config = load_feeds()
st.title("系统对接数据")
st.caption("财务处、贷款中心、图书馆等系统导出的数据在这里导入；导入前先预览将发生的变化。"
           "工作人员在上次对接之后手工办理的结果不会被覆盖。")

kind = st.selectbox("数据来源", list(config.feeds), format_func=lambda k: config.feeds[k].title,
                    key="feed_kind")
feed = config.feeds[kind]
st.info(f"**规则**：{feed.note}")

with st.expander("文件格式（CSV、XLSX 或 XLS，第一行为列名）", expanded=False):
    st.dataframe(pd.DataFrame([
        {"列名": headers[0], "也可用": "、".join(headers[1:])} for headers in feed.columns.values()
    ]), hide_index=True, width="stretch")
    st.caption("全角数字、多余空格、“12.50元”这样的金额、以数字格式保存的学号都可以识别；"
               "任何一行有错，整个文件不导入，并列出出错的行和列。")
    download_link(actor, "下载导入模板", lambda: template_xlsx(kind), f"{feed.title}导入模板.xlsx",
                  f"feed_template_{kind}")

done = st.session_state.pop("feed_done", None)
if done:
    st.success(f"已导入 {plain(done['file'])}：通过 {done['passed']}，不通过/未办理 {done['rejected']}，"
               f"无变化 {done['unchanged']}，跳过 {done['skipped']}（导入编号 {done['run_id']}，"
               "可在“导入记录”页面查看）")
    for note in done.get("notes", []):
        st.info(plain(note))

upload_key = f"feed_upload_{kind}_{st.session_state.get('feed_upload_n', 0)}"
uploaded = st.file_uploader("上传文件", type=["csv", "xlsx", "xls"], key=upload_key)


def _show_counts(plan) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("将通过 / 无需办理", plan.passed)
    c2.metric("将不通过 / 未办理", plan.rejected)
    c3.metric("无变化", plan.unchanged)
    c4.metric("跳过", len(plan.skipped))


def _show_rows(plan) -> None:
    if plan.changes:
        st.subheader("将发生的变化")
        st.dataframe(pd.DataFrame([{
            "学号": c["student_no"], "姓名": plan.students[c["student_no"]]["name"],
            "学院": plan.students[c["student_no"]]["college"],
            "当前": STATE_LABELS[c["state_before"]], "导入后": STATE_LABELS[c["state_after"]],
            "原因": c["reason"] or "",
        } for c in plan.changes]), hide_index=True, width="stretch")
    if plan.skipped:
        st.subheader("跳过的行")
        st.dataframe(pd.DataFrame([{
            "学号": no, "姓名": plan.students.get(no, {}).get("name", ""), "原因": why,
        } for no, why in plan.skipped]), hide_index=True, width="stretch")


if uploaded is not None:
    data = uploaded.getvalue()
    try:
        parsed, plan = preview(store(), kind, data, uploaded.name)
    except ImportRejected as exc:
        st.error(f"文件未导入（共 {len(exc.errors)} 处错误），请修改后重新上传：")
        st.code("\n".join(exc.errors[:200]), language=None)
    else:
        st.markdown(f"**预览**：{plain(uploaded.name)}，共 {len(parsed.rows)} 行")
        for note in parsed.notes:
            st.info(plain(note))
        _show_counts(plan)
        st.caption("确认时按当时的数据重新判断：预览之后工作人员新办理的结果同样不会被覆盖。")
        if st.button("确认导入", type="primary", key="feed_commit"):
            result = import_feed(store(), kind, data, uploaded.name, actor.username, "upload")
            st.session_state["feed_done"] = result.as_dict()
            st.session_state["feed_upload_n"] = st.session_state.get("feed_upload_n", 0) + 1
            st.rerun()
        _show_rows(plan)

st.divider()
st.subheader("收件箱（自动对接）")
root = inbox_root()
st.caption(f"各系统把导出文件放入 `{root}/<数据来源>/`，应用每隔几秒自动导入，"
           "处理后移入 done/（成功）或 rejected/（被拒收），旁边的 .result.json 记录结果。")
status = inbox_status(root, config.feeds)
st.dataframe(pd.DataFrame([{
    "数据来源": config.feeds[s["kind"]].title,
    "文件夹": s["folder"],
    "等待处理": s["waiting"],
    "最近一次": (s["last"] or {}).get("processed_at", "—"),
    "结果": ("—" if not s["last"] else "成功" if s["last"]["status"] == "done" else "被拒收"),
} for s in status]), hide_index=True, width="stretch")
