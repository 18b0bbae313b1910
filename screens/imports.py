"""导入记录: every roster import and feed run, and what each changed."""

import pandas as pd
import streamlit as st

from clearance.store.feeds import CHANNELS, load_feeds
from clearance.store.marks import STATE_LABELS
from ui.auth import require_actor
from ui.data import read
from ui.text import plain

require_actor("admin", "gradschool")
feeds = load_feeds().feeds
KINDS = {"roster": "离校学生名单"} | {k: f.title for k, f in feeds.items()}

st.title("导入记录")
st.caption("名单导入和各系统对接数据的每一次导入：谁发送的、文件校验码、各类行数，以及它改变了哪些学生。")

runs_tab, refused_tab = st.tabs(["导入记录", "被拒收的文件"])

with runs_tab:
    kind = st.selectbox("数据来源", [""] + list(KINDS), key="imports_kind",
                        format_func=lambda k: KINDS.get(k, "全部"))
    runs = read("import_runs_recent", kind=kind)
    if runs.empty:
        st.info("还没有导入记录。")
    else:
        table = pd.DataFrame({
            "导入时间": runs["imported_at"],
            "数据来源": runs["kind"].map(lambda k: KINDS.get(k, k)),
            "文件": runs["file_name"],
            "发送者": runs["sender"],
            "方式": runs["channel"].map(lambda c: CHANNELS.get(c, "—") if isinstance(c, str) else "—"),
            "行数": runs["row_count"],
            "通过": runs["passed"],
            "不通过/未办理": runs["rejected"],
            "无变化": runs["unchanged"],
            "跳过": runs["skipped"],
            "新增学生": runs["inserted"],
            "更新学生": runs["updated"],
            "文件校验码": runs["content_hash"].str[:12],
        })
        st.caption("点选一行查看这次导入改变了什么。")
        # Positional selection: the key carries the newest run, so new runs reset it.
        picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                              selection_mode="single-row",
                              key=f"runs_{kind}_{runs['run_id'].iloc[0]}_{len(runs)}")
        rows = picked.selection.rows if picked else []
        if rows:
            run = runs.iloc[rows[0]]
            st.subheader(f"{plain(KINDS.get(run['kind'], run['kind']))} · {plain(run['file_name'])} · "
                         f"{run['imported_at']:%Y-%m-%d %H:%M:%S}")
            st.caption(f"导入编号 {plain(run['run_id'])}　文件校验码 {run['content_hash']}")
            events = read("import_run_events", run_id=run["run_id"])
            if events.empty:
                st.info("这次导入没有改变任何学生的办理状态。")
            else:
                st.dataframe(pd.DataFrame({
                    "学号": events["student_no"], "姓名": events["name"], "学院": events["college"],
                    "环节": events["stage_name"],
                    "原状态": events["state_before"].map(STATE_LABELS),
                    "新状态": events["state_after"].map(STATE_LABELS),
                    "原因": events["reason"].fillna(""),
                    "备注": events["note"].fillna(""),  # e.g. why a roster re-import changed it
                }), hide_index=True, width="stretch")
            skips = read("import_run_skips", run_id=run["run_id"])
            if not skips.empty:
                st.markdown(f"**跳过的行**（{len(skips)}）")
                st.dataframe(pd.DataFrame({
                    "学号": skips["student_no"], "姓名": skips["name"].fillna(""),
                    "原因": skips["reason"],
                }), hide_index=True, width="stretch")

with refused_tab:
    refused = read("feed_refusals_recent")
    if refused.empty:
        st.info("没有被拒收的文件。")
    else:
        st.caption("被拒收的文件没有改变任何数据；修改后重新发送即可。")
        for _, r in refused.iterrows():
            with st.expander(f"{r['refused_at']:%m-%d %H:%M:%S} · {plain(KINDS.get(r['kind'], r['kind']))}"
                             f" · {plain(r['file_name'])} · {len(r['errors'])} 处错误"):
                st.caption(f"方式：{CHANNELS.get(r['channel'], r['channel'])}　发送者：{plain(r['sender'])}")
                st.code("\n".join(r["errors"]), language=None)
