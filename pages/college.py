"""学院催办: a college's figures beside the school's, and its lagging students to chase."""

import streamlit as st

from ui import figures
from ui.auth import require_actor
from ui.dashboards import load_college
from ui.data import current_batch, derived, read, stage_name_map
from ui.filters import college_for, choice, level_choice, type_choice
from ui.lagging import lagging_table, sms_list, to_csv, to_xlsx
from webapi import workers

REMINDER_CHOICES = 300

actor = require_actor("admin", "gradschool", "college")
batch = current_batch()
b = batch["batch_id"]
stage_names = stage_name_map()

# College staff see their own college only; the graduate school picks one.
college = college_for(actor, b, key="college_page_college")

st.title(f"{college} · 离校催办")
st.caption(f"{batch['title']}　集中办理截止：{batch['period_end']:%Y-%m-%d}　数字为当前状态")

c = st.columns(3)
stage = choice("未办环节", list(stage_names), "cl_stage", c[0], format_func=lambda s: stage_names[s])
level = level_choice("cl_level", c[1])
clearance_type = type_choice("cl_type", c[2])


def _college(batch: dict, college: str, stage, level, clearance_type) -> tuple:
    """Numbers, chart and the lagging table (a reminder text per student): built once per
    (data version, choices) and shared by every session (ui.data.derived)."""
    data = load_college(read, batch, college, stage=stage, level=level,
                        clearance_type=clearance_type)
    return (data, figures.college_vs_school_bar(data.stages, college),
            lagging_table(data.lagging, batch["period_end"]))


data, chart, lagging = derived(
    "college", _college, batch, college, stage, level, clearance_type,
    reads=("stage_list", "completion_cube", "clearance_days", "lagging_students"))


def _show_figures() -> None:
    m = st.columns(5)
    m[0].metric("本院离校学生", f"{data.students:,}")
    m[1].metric("本院全部办结", f"{data.cleared:,}")
    m[2].metric("本院办结率", f"{data.rate:.1%}", f"{(data.rate - data.school_rate) * 100:+.1f} 个百分点",
                help="与全校办结率相比")
    m[3].metric("全校办结率", f"{data.school_rate:.1%}")
    m[4].metric("各学院平均办结率", f"{data.school_college_mean:.1%}")
    st.plotly_chart(chart, width="stretch")


def _show_lagging() -> None:
    table = lagging
    st.subheader(f"未办结学生（{len(table)} 人）")
    st.caption("按未办环节数从多到少排列；办理地点按学生本人所在校区。")
    if table.empty:
        st.success("筛选范围内的学生均已全部办结。")
        return
    name = f"{college}_未办结学生_{batch['batch_id']}"
    d = st.columns(3)
    # Files are built on click (a callable), not on every rerun: a large college's list takes
    # a second or more to write as xlsx.
    # openpyxl is pure CPU: the worker process writes the file (webapi/workers.py).
    d[0].download_button("导出 Excel", lambda: workers.run_sync(to_xlsx, table), f"{name}.xlsx",
                         key="dl_xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    d[1].download_button("导出 CSV", lambda: to_csv(table), f"{name}.csv", mime="text/csv", key="dl_csv")
    d[2].download_button("导出短信清单（手机, 短信内容）", lambda: sms_list(table), f"{name}_短信.csv",
                         mime="text/csv", key="dl_sms")
    st.dataframe(table.drop(columns=["学院", "提醒短信"]), hide_index=True, width="stretch", height=420)
    _show_reminder(table)


@st.fragment  # picking a student reruns the reminder only, not the figures and the list
def _show_reminder(table) -> None:
    st.subheader("提醒短信")
    # A select box of every lagging student would send tens of thousands of options at 1M
    # students; the first REMINDER_CHOICES (most open first) or a typed 学号 is enough.
    shown = table.head(REMINDER_CHOICES)
    c1, c2 = st.columns([2, 1])
    pick = c1.selectbox(f"选择学生（未办环节最多的前 {len(shown)} 人）", range(len(shown)),
                        key="cl_reminder_student",
                        format_func=lambda i: f"{shown['学号'].iloc[i]} {shown['姓名'].iloc[i]}"
                                              f"（未办 {shown['未办环节数'].iloc[i]} 项）")
    typed = c2.text_input("或输入学号", key="cl_reminder_no").strip()
    row = table[table["学号"] == typed] if typed else shown.iloc[[pick]]
    if row.empty:
        st.warning(f"学号 {typed} 不在当前未办结名单中。")
        return
    st.code(row["提醒短信"].iloc[0], language=None, wrap_lines=True)
    st.caption("点击右上角复制；或用“导出短信清单”批量导入校园短信平台。")


_show_figures()
_show_lagging()
