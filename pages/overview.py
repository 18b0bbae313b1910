"""研究生院离校看板: completion by stage and college, the daily curve, bottlenecks."""

from datetime import timedelta

import streamlit as st

from clearance.clock import beijing_now
from ui import figures
from ui.auth import require_actor
from ui.dashboards import Filters, as_date, choose_as_of, last_done_day, load_overview
from ui.data import current_batch, derived, read, stage_name_map
from ui.filters import choice, level_choice, type_choice
from ui.lagging import lagging_table

require_actor("admin", "gradschool")
batch = current_batch()
b = batch["batch_id"]
stage_names = stage_name_map()
colleges = list(read("college_list", batch=b)["college"])

st.title("离校进度看板")
st.caption(f"{batch['title']}　集中办理：{batch['period_start']:%Y-%m-%d} — {batch['period_end']:%Y-%m-%d}")

# -- inputs ------------------------------------------------------------------------------------
period_start, period_end = as_date(batch["period_start"]), as_date(batch["period_end"])
last_day = last_done_day(read, b)
default = choose_as_of(period_start, period_end, last_day, beijing_now().date())
c = st.columns([1.2, 1, 1, 1, 1.6])
as_of = c[0].date_input(
    "统计日期（“今日”）", value=default.day, key="as_of",
    min_value=period_start - timedelta(days=10),
    max_value=max(period_end, last_day or period_end, default.day),
    help="看板按所选日期当天结束时的状态统计；默认：" + default.note)
filters = Filters(
    campus=choice("校区", ("A区", "B区", "C区", "虎溪"), "ov_campus", c[1]),
    level=level_choice("ov_level", c[2]),
    clearance_type=type_choice("ov_type", c[3]),
    college=choice("学院", colleges, "ov_college", c[4]),
)
if as_of == default.day:
    st.info(default.note + "。数字为该日 24:00 时的状态。", icon=":material/event:")
else:
    st.info(f"统计日期：{as_of:%Y-%m-%d}（手动选择），数字为该日 24:00 时的状态。", icon=":material/event:")


OVERVIEW_READS = ("stage_list", "completion_cube", "clearance_days")
CELL_READS = ("lagging_students",)


def _overview(batch: dict, filters: Filters, as_of) -> tuple:
    """The page's numbers and its four charts: built once per (data version, filters, day)
    and shared by every session (ui.data.derived), so a rerun without a write rebuilds
    nothing (the derivation and the plotly figures were ~190 ms of each rerun)."""
    data = load_overview(read, batch, filters, as_of)
    return data, {
        "stages": figures.stage_completion_bar(data.by_stage),
        "colleges": figures.college_completion_bar(data.by_college),
        "heat": figures.completion_heat_map(data.heat),
        "progress": figures.progress_chart(data.progress),
    }


def _cell_table(batch: dict, college: str, stage: str, filters: Filters):
    cell = read("lagging_students", batch=batch["batch_id"], college=college, stage=stage,
                level=filters.level, clearance_type=filters.clearance_type)
    if filters.campus:
        cell = cell[cell["campus"] == filters.campus]
    table = lagging_table(cell, batch["period_end"])
    return table[["学号", "姓名", "培养层次", "离校类型", "校区", "手机", "未办环节数", "未办环节",
                  "不通过原因"]]


data, figs = derived("overview", _overview, batch, filters, as_of, reads=OVERVIEW_READS)


# -- sections ----------------------------------------------------------------------------------
def _show_headline() -> None:
    m = st.columns(5)
    m[0].metric("离校学生", f"{data.students:,}")
    m[1].metric("全部办结", f"{data.cleared:,}")
    m[2].metric("办结率", f"{data.cleared_rate:.1%}")
    m[3].metric(f"今日办结（{data.as_of:%m-%d}）", f"{data.cleared_today:,}")
    m[4].metric("尚未办结", f"{data.still_open:,}")


def _show_completion() -> None:
    left, right = st.columns(2)
    left.subheader("各环节完成率")
    left.plotly_chart(figs["stages"], width="stretch")
    right.subheader("各学院全部办结比例")
    right.plotly_chart(figs["colleges"], width="stretch")


@st.fragment  # a click on the map or a cell choice reruns this part only
def _show_heat_map() -> None:
    st.subheader("学院 × 环节完成率")
    st.caption("点击一个格子，或在下方选择学院和环节，查看该格未办结的学生。")
    event = st.plotly_chart(figs["heat"], width="stretch",
                            on_select="rerun", selection_mode="points", key="heat")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    clicked = (points[0].get("y"), points[0].get("x")) if points else None
    # The chart keeps its selection across reruns: apply a click once, so choosing in the
    # select boxes afterwards is not undone by the old click.
    if clicked and clicked != st.session_state.get("cell_clicked"):
        st.session_state["cell_clicked"] = clicked
        by_name = {v: k for k, v in stage_names.items()}
        if clicked[0] in colleges and clicked[1] in by_name:
            st.session_state["cell_college"] = clicked[0]
            st.session_state["cell_stage"] = by_name[clicked[1]]
    if st.session_state.get("cell_college") not in colleges and len(data.by_college):
        # Start at the weakest college's weakest stage, leaving out the last stage (研工办),
        # which every student who is not cleared still has open.
        weakest = data.by_college["college"].iloc[0]
        row = data.heat.loc[weakest].iloc[:-1].dropna()
        st.session_state["cell_college"] = weakest
        by_name = {v: k for k, v in stage_names.items()}
        st.session_state["cell_stage"] = by_name.get(row.idxmin() if len(row) else None,
                                                     next(iter(stage_names)))
    c1, c2 = st.columns(2)
    college = c1.selectbox("学院", colleges, key="cell_college")
    stage = c2.selectbox("环节", list(stage_names), key="cell_stage",
                         format_func=lambda s: stage_names[s])
    table = derived("overview_cell", _cell_table, batch, college, stage, filters, reads=CELL_READS)
    st.markdown(f"**{college} · {stage_names[stage]}**：当前未办结 {len(table)} 人")
    st.dataframe(table, hide_index=True, width="stretch", height=300)


def _show_progress() -> None:
    p = data.progress
    st.subheader("每日累计办结")
    if as_of >= p.deadline:
        st.caption(f"已到截止日 {p.deadline:%m-%d}：累计 {int(p.daily['cumulative'].iloc[-1]):,} 人全部办结。")
    else:
        st.caption(f"近 3 日平均每天 {p.pace_per_day:.1f} 人办结；照此速度，截止日 {p.deadline:%m-%d} 将达到 "
                   f"{p.projected_at_deadline:,} 人（{p.projected_at_deadline / max(p.students, 1):.1%}）。")
    st.plotly_chart(figs["progress"], width="stretch")


def _show_bottlenecks() -> None:
    st.subheader("瓶颈环节")
    st.caption("滞留人数：该环节尚未 ✓ 的学生；中位用时：从集中办理开始（第 0 天）到该环节通过那天的天数，"
               "取中位数（提前通过计 0 天）。")
    df = data.bottlenecks.rename(columns={"name": "环节", "open": "滞留人数", "median_days": "中位用时（天）"})
    st.dataframe(df, hide_index=True, width="stretch",
                 column_config={"中位用时（天）": st.column_config.NumberColumn(format="%d")})


_show_headline()
_show_completion()
_show_heat_map()
_show_progress()
_show_bottlenecks()
