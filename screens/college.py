"""学院催办: a college's figures beside the school's, and its lagging students to chase."""

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from clearance.store.db import get_catalogue
from clearance.store.reminders import CHANNELS, ReminderError, record_reminders
from ui import figures
from ui.auth import current_actor, require_actor
from ui.dashboards import QUICK_FILTERS, QUICK_HELP, CollegeView, load_college
from ui.downloads import download_link
from ui.data import current_batch, derived, read, stage_name_map, store
from ui.filters import college_for, choice, level_choice, type_choice
from ui.lagging import lagging_cards_html, lagging_table, sms_list, to_csv, to_xlsx
from ui.text import plain

REMINDER_CHOICES = 300
CARDS_PER_PAGE = 40  # students per page of the wrapped list (a phone scrolls, it does not page)

actor = require_actor("admin", "gradschool", "college")
batch = current_batch()
b = batch["batch_id"]
stage_names = stage_name_map()

# College staff see their own college only; the graduate school picks one.
college = college_for(actor, b, key="college_page_college")

st.title(f"{plain(college)} · 离校催办")
st.caption(f"{batch['title']}　集中办理截止：{batch['period_end']:%Y-%m-%d}　数字为当前状态")

c = st.columns(3)
stage = choice("未办环节", list(stage_names), "cl_stage", c[0], format_func=lambda s: stage_names[s])
level = level_choice("cl_level", c[1])
clearance_type = type_choice("cl_type", c[2])


# -- data step: built once per (batch, college, choices) until a commit writes what it read ------
@dataclass(frozen=True)
class CollegePage:
    data: CollegeView
    chart: go.Figure
    table: pd.DataFrame  # the lagging students as shown and exported (a reminder text each)


def _college_page(batch: dict, college: str, stage, level, clearance_type, quick) -> CollegePage:
    """Numbers, chart and the lagging table, shared by every session (ui.data.derived): a
    rerun without a write rebuilds nothing; a reminder or a mark rebuilds it."""
    data = load_college(read, batch, college, stage=stage, level=level,
                        clearance_type=clearance_type, quick=quick)
    return CollegePage(data, figures.college_vs_school_bar(data.stages, college),
                       lagging_table(data.lagging, batch["period_end"], get_catalogue(store())))


# The one-click filters show how many each would list, so the data is read first (with the
# choice already in the widget's state) and the pills drawn after.
page = derived("college", _college_page, batch, college, stage, level, clearance_type,
               st.session_state.get("cl_quick"))
data = page.data
st.pills("快速筛选", list(QUICK_FILTERS), key="cl_quick",
         format_func=lambda k: f"{QUICK_FILTERS[k]}（{data.quick_counts[k]} 人）",
         help="；".join(f"{QUICK_FILTERS[k]}：{QUICK_HELP[k]}" for k in QUICK_FILTERS))


def _show_figures() -> None:
    m = st.columns(5)
    m[0].metric("本院离校学生", f"{data.students:,}")
    m[1].metric("本院全部办结", f"{data.cleared:,}")
    m[2].metric("本院办结率", f"{data.rate:.1%}", f"{(data.rate - data.school_rate) * 100:+.1f} 个百分点",
                help="与全校办结率相比")
    m[3].metric("全校办结率", f"{data.school_rate:.1%}")
    m[4].metric("各学院平均办结率", f"{data.school_college_mean:.1%}")
    st.plotly_chart(page.chart, width="stretch")
    blockers = data.stages[data.stages["only_here"] > 0].sort_values("only_here", ascending=False)
    st.caption("本院只差一个环节的学生（研工办除外；研工办为只差研工办）："
               + "、".join(f"{r.name} {int(r.only_here)} 人" for r in blockers.itertuples()) + "。")


def _record(messages: dict, channel: str) -> None:
    # A callback runs before the page's own check: re-check who is asking.
    if current_actor() != actor:
        st.session_state["cl_notice"] = ("error", "登录已失效，请重新登录。")
        return
    try:
        sent = record_reminders(store(), actor, b, messages, channel)
        st.session_state["cl_notice"] = ("success", f"已登记：{sent.students} 人已{CHANNELS[channel]}提醒"
                                                    f"（{sent.sent_at:%m-%d %H:%M}）。")
    except ReminderError as exc:
        st.session_state["cl_notice"] = ("error", str(exc))


def _show_lagging() -> None:
    table = page.table
    st.subheader(f"未办结学生（{len(table)} 人）")
    st.caption("按未办环节数从多到少排列；办理地点按学生本人所在校区；点电话号码可直接拨打。")
    kind, notice = st.session_state.pop("cl_notice", (None, None))
    if notice:
        (st.success if kind == "success" else st.error)(notice)
    if table.empty:
        st.success("筛选范围内的学生均已全部办结。")
        return
    name = f"{college}_未办结学生_{batch['batch_id']}"
    d = st.columns(3)
    # Files are built when fetched, not on every rerun (a large college's list takes a second or
    # more to write as xlsx), and only for this sign-in (ui/downloads.py).
    with d[0]:
        download_link(actor, "导出 Excel", lambda: to_xlsx(table), f"{name}.xlsx", "dl_xlsx")
    with d[1]:
        download_link(actor, "导出 CSV", lambda: to_csv(table), f"{name}.csv", "dl_csv")
    with d[2]:
        download_link(actor, "导出短信清单（手机, 短信内容）", lambda: sms_list(table), f"{name}_短信.csv",
                      "dl_sms")
    _show_cards(table)
    messages = dict(zip(table["学号"], table["提醒短信"]))
    st.button(f"登记：已通过短信平台提醒以上 {len(table)} 人", key="cl_record_all",
              on_click=_record, args=(messages, "sms"),
              help="导出短信清单并在校园短信平台发送后，点此记下谁在何时提醒了哪些学生")
    _show_reminder(table)


@st.fragment  # turning a page of the list reruns the list only
def _show_cards(table: pd.DataFrame) -> None:
    pages = max(1, -(-len(table) // CARDS_PER_PAGE))
    page_no = st.number_input(f"页码（共 {pages} 页，每页 {CARDS_PER_PAGE} 人）", 1, pages, 1,
                              key="cl_page", width=220) if pages > 1 else 1
    shown_rows = table.iloc[(page_no - 1) * CARDS_PER_PAGE: page_no * CARDS_PER_PAGE]
    st.html(lagging_cards_html(shown_rows))


@st.fragment  # picking a student reruns the reminder only, not the figures and the list
def _show_reminder(table: pd.DataFrame) -> None:
    if st.session_state.get("cl_notice"):
        st.rerun()  # a reminder was just recorded: the whole page shows it (notice, 最近提醒)
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
        st.warning(f"学号 {plain(typed)} 不在当前未办结名单中。")
        return
    text = row["提醒短信"].iloc[0]
    st.code(text, language=None, wrap_lines=True)
    st.caption(f"{len(text)} 字，一条短信（不超过 70 字）。点击右上角复制；或用“导出短信清单”批量导入校园短信平台。")
    one = {row["学号"].iloc[0]: text}
    c = st.columns(2)
    c[0].button("登记：已发短信提醒此学生", key="cl_record_sms", on_click=_record, args=(one, "sms"))
    c[1].button("登记：已电话提醒此学生", key="cl_record_phone", on_click=_record, args=(one, "phone"))


def _show_sends() -> None:
    st.subheader("提醒记录")
    if data.sends.empty:
        st.caption("尚无提醒记录。")
        return
    st.dataframe(data.sends.assign(channel=data.sends["channel"].map(CHANNELS))[
        ["sent_at", "sender", "channel", "students", "who"]].rename(columns={
            "sent_at": "提醒时间", "sender": "提醒人", "channel": "方式", "students": "人数",
            "who": "学生"}), hide_index=True, width="stretch", height=220)


_show_figures()
_show_lagging()
_show_sends()
