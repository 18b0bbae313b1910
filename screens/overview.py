"""研究生院离校看板: completion by stage and college, the daily curve, bottlenecks."""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st

from clearance.clock import beijing_now
from ui import figures
from ui.auth import require_actor
from ui.downloads import download_link
from clearance.store.db import get_catalogue
from ui.comparison import earlier_batches, load_comparison
from ui.dashboards import (Filters, Overview, as_date, as_of_bounds, as_of_problem, choose_as_of,
                           last_done_day, load_overview)
from ui.data import current_batch, derived, read, stage_name_map, store
from ui.filters import choice, enter_applies, level_choice, type_choice
from ui.lagging import lagging_table
from ui.text import plain
from ui.report import report_pdf

actor = require_actor("admin", "gradschool")
batch = current_batch()
b = batch["batch_id"]
stage_names = stage_name_map()
colleges = derived("ov_colleges", lambda b: list(read("college_list", batch=b)["college"]), b)

st.title("离校进度看板")
st.caption(f"{batch['title']}　集中办理：{batch['period_start']:%Y-%m-%d} — {batch['period_end']:%Y-%m-%d}")

# -- inputs ------------------------------------------------------------------------------------
period_start, period_end = as_date(batch["period_start"]), as_date(batch["period_end"])
last_day = derived("ov_last_day", lambda b: last_done_day(read, b), b)
default = choose_as_of(period_start, period_end, last_day, beijing_now().date())
earliest, latest = as_of_bounds(period_start, period_end, last_day, default.day)
c = st.columns([1.2, 1, 1, 1, 1.6])
as_of = c[0].date_input(
    "统计日期（“今日”）", value=default.day, key="as_of", min_value=earliest, max_value=latest,
    format="YYYY-MM-DD",
    help=f"可选 {earliest:%Y-%m-%d} 至 {latest:%Y-%m-%d}；输入日期后按回车即可。默认：" + default.note)
enter_applies("as_of")
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
problem = as_of_problem(period_start, period_end, last_day, as_of)
if problem and as_of != default.day:
    st.error(problem)
    st.stop()



# -- data step: built once per (batch, filters, day) until a commit writes what it read ----------
@dataclass(frozen=True)
class OverviewPage:
    data: Overview
    stage_bar: go.Figure
    college_bar: go.Figure
    heat_map: go.Figure
    progress: go.Figure


def _overview_page(batch: dict, filters: Filters, as_of: date) -> OverviewPage:
    """The numbers and the four charts (the derivation and the plotly figures were most of a
    rerun's time), shared by every session through ui.data.derived."""
    data = load_overview(read, batch, filters, as_of)
    return OverviewPage(data, figures.stage_completion_bar(data.by_stage),
                        figures.college_completion_bar(data.by_college),
                        figures.completion_heat_map(data.heat), figures.progress_chart(data.progress))


CELL_COLUMNS = ["学号", "姓名", "培养层次", "离校类型", "校区", "手机", "未办环节数", "下一站", "未办环节"]


def _cell_table(batch: dict, college: str, stage: str, filters: Filters, as_of: date):
    cell = read("lagging_students", batch=batch["batch_id"], college=college, stage=stage,
                campus=filters.campus, level=filters.level, clearance_type=filters.clearance_type,
                as_of=as_of)
    return lagging_table(cell, batch["period_end"], get_catalogue(store()))[CELL_COLUMNS]


def _comparison_chart(batch: dict, other: dict, filters: Filters, as_of: date) -> go.Figure:
    return figures.comparison_chart(load_comparison(read, batch, other, filters, as_of))


page = derived("overview", _overview_page, batch, filters, as_of)
data = page.data


# -- sections ----------------------------------------------------------------------------------
def _show_headline() -> None:
    m = st.columns(5)
    since = "较前一日"
    m[0].metric("离校学生", f"{data.students:,}")
    m[1].metric("全部办结", f"{data.cleared:,}", f"{data.cleared_today:+,} 人", help=since)
    m[2].metric("办结率", f"{data.cleared_rate:.1%}",
                f"{(data.cleared_rate - data.cleared_rate_yesterday) * 100:+.1f} 个百分点", help=since)
    m[3].metric(f"今日办结（{data.as_of:%m-%d}）", f"{data.cleared_today:,}",
                f"{data.cleared_today - data.cleared_yesterday:+,} 人", help=f"与前一日（{data.cleared_yesterday:,} 人）相比")
    m[4].metric("尚未办结", f"{data.still_open:,}", f"{-data.cleared_today:+,} 人", delta_color="inverse",
                help=since)
    with st.container(horizontal=True, key="report_buttons"):
        download_link(
            actor, "下载领导报告（PDF）", lambda: report_pdf(data, batch, filters),
            f"离校进度报告_{batch['batch_id']}_{data.as_of:%Y%m%d}.pdf", "dl_report",
            help="一页 PDF：主要数字、每日曲线、各学院（最弱在前）及较前一日变化、三大卡点环节、截止日展望")
        link = {"day": f"{data.as_of:%Y-%m-%d}", "college": filters.college, "campus": filters.campus,
                "level": filters.level, "type": filters.clearance_type}
        # A link (new tab) rather than st.page_link: the print page stands on its own, and the
        # address carries the day and filters so it can be bookmarked or forwarded.
        st.link_button("打印版报告", "report?" + urlencode({k: v for k, v in link.items() if v}),
                       icon=":material/print:")


def _show_completion() -> None:
    left, right = st.columns(2)
    left.subheader("各环节完成率")
    left.plotly_chart(page.stage_bar, width="stretch")
    right.subheader("各学院全部办结比例")
    right.plotly_chart(page.college_bar, width="stretch")


@st.fragment  # a click on the map or a cell choice reruns this part only
def _show_heat_map() -> None:
    st.subheader("学院 × 环节完成率")
    st.caption("点击一个格子，或在下方选择学院和环节，查看该格未办结的学生。")
    event = st.plotly_chart(page.heat_map, width="stretch",
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
    if st.session_state.get("cell_college") not in data.heat.index and len(data.by_college):
        # Start at the weakest college's weakest stage, leaving out the last stage (研工办),
        # which every student who is not cleared still has open.
        weakest = data.by_college["college"].iloc[0]
        row = data.heat.loc[weakest].iloc[:-1].dropna()
        st.session_state["cell_college"] = weakest
        by_name = {v: k for k, v in stage_names.items()}
        st.session_state["cell_stage"] = by_name.get(row.idxmin() if len(row) else None,
                                                     next(iter(stage_names)))
    shown_colleges = list(data.heat.index)  # the heat map's rows: the 学院 filter applies here too
    if st.session_state.get("cell_college") not in shown_colleges and shown_colleges:
        st.session_state["cell_college"] = shown_colleges[0]
    c1, c2 = st.columns(2)
    college = c1.selectbox("学院", shown_colleges, key="cell_college")
    stage = c2.selectbox("环节", list(stage_names), key="cell_stage",
                         format_func=lambda s: stage_names[s])
    if college is None:
        return
    # The cell as the map shows it: every filter, and the stages open at the end of the as-of day.
    table = derived("ov_cell", _cell_table, batch, college, stage, filters, as_of)
    st.markdown(f"**{plain(college)} · {stage_names[stage]}**：截至 {as_of:%m-%d} 日终未办结 {len(table)} 人"
                "（未办环节为当日终状态）")
    st.dataframe(table, hide_index=True, width="stretch", height=300)


def _show_progress() -> None:
    p = data.progress
    st.subheader("每日办结（柱：当日新增；线：累计）")
    st.caption(figures.outlook_text(p, data.as_of))
    st.plotly_chart(page.progress, width="stretch")
    _show_comparison()


@st.fragment  # choosing the batch to compare with reruns this part only
def _show_comparison() -> None:
    earlier = earlier_batches(read("batch_list"), b)
    if earlier.empty:
        return
    st.subheader("与往批对比")
    titles = dict(zip(earlier["batch_id"], earlier["title"]))
    other = st.selectbox("对比批次", list(titles), key="ov_compare", format_func=titles.get,
                         help="两条曲线都从各自集中办理的第一天（第 0 天）算起，纵轴为累计全部办结的比例；"
                              "上方的筛选条件对两个批次同样适用。")
    chart = derived("ov_comparison", _comparison_chart, batch,
                    earlier.set_index("batch_id").loc[other].to_dict() | {"batch_id": other}, filters, as_of)
    st.plotly_chart(chart, width="stretch")


def _show_bottlenecks() -> None:
    st.subheader("卡点环节")
    st.caption("可立即办结：除最后的研工办外只差这一个环节的学生，在此办完即可去研工办办结；"
               "先卡在别处：还有其他环节未办。按“可立即办结”人数排列。中位用时：从集中办理开始（第 0 天）"
               "到该环节通过那天的天数的中位数（提前通过计 0 天）。")
    table = {"name": "环节", "open": "未办人数", "only_here": "可立即办结", "elsewhere": "先卡在别处",
             "median_days": "中位用时（天）"}
    config = {"中位用时（天）": st.column_config.NumberColumn(format="%.1f")}
    st.dataframe(data.blocking[list(table)].rename(columns=table), hide_index=True, width="stretch",
                 column_config=config, height=38 + 35 * len(data.blocking))
    final = data.final_stage
    if final is not None:
        st.markdown(f"**最后一站 · {final['name']}**（须其他环节全部 ✓ 后办理）：未办 {int(final['open']):,} 人，"
                    f"其中 **{int(final['only_here']):,} 人只差这一站、可立即办结**，"
                    f"{int(final['elsewhere']):,} 人仍卡在前面的环节。")


_show_headline()
_show_completion()
_show_heat_map()
_show_progress()
_show_bottlenecks()
