"""离校进度报告 (print-friendly): the leadership report of the batch as of a day, as a page to
print (Ctrl+P) beside the one-page PDF. Opened from 进度看板 with the day and filters in the
address (?day=2018-06-28&college=…); every value there is checked before use."""

from datetime import date

import streamlit as st

from clearance.rules.catalogue import CLEARANCE_TYPES, LEVELS
from ui import figures
from ui.auth import require_actor
from ui.downloads import download_link
from ui.dashboards import Filters, as_date, as_of_problem, choose_as_of, last_done_day, load_overview
from ui.data import current_batch, read
from ui.report import build_report, report_pdf
from clearance.clock import beijing_now

CAMPUSES = ("A区", "B区", "C区", "虎溪")

actor = require_actor("admin", "gradschool")
batch = current_batch()
b = batch["batch_id"]
period_start, period_end = as_date(batch["period_start"]), as_date(batch["period_end"])
last_day = last_done_day(read, b)
default = choose_as_of(period_start, period_end, last_day, beijing_now().date())

params = st.query_params
try:
    day = date.fromisoformat(params.get("day", "")) if params.get("day") else default.day
except ValueError:
    st.error(f"地址中的日期“{params.get('day')}”无效，应为 YYYY-MM-DD。")
    st.stop()
problem = as_of_problem(period_start, period_end, last_day, day) if day != default.day else None
allowed = {"college": set(read("college_list", batch=b)["college"]), "campus": set(CAMPUSES),
           "level": set(LEVELS), "type": set(CLEARANCE_TYPES)}
chosen = {k: params.get(k) or None for k in allowed}
bad = [f"{k}={v}" for k, v in chosen.items() if v is not None and v not in allowed[k]]
if problem or bad:
    st.error(problem or f"地址中的筛选条件无效：{'，'.join(bad)}")
    st.stop()
filters = Filters(college=chosen["college"], campus=chosen["campus"], level=chosen["level"],
                  clearance_type=chosen["type"])
data = load_overview(read, batch, filters, day)
r = build_report(data, batch, filters)

# Print: only the report (no menu, header or buttons), on white.
st.html("""<style>
@media print {
  [data-testid="stSidebar"], header, [data-testid="stToolbar"], .st-key-report_actions { display: none !important; }
  .block-container { padding-top: 0 !important; }
}
</style>""")

st.title(r.title)
st.caption(r.subtitle)
with st.container(key="report_actions", horizontal=True):
    download_link(actor, "下载 PDF（一页）", lambda: report_pdf(data, batch, filters),
                  f"离校进度报告_{b}_{day:%Y%m%d}.pdf", "report_pdf")
    st.caption("打印本页：浏览器菜单“打印”或 Ctrl+P。")

m = st.columns(len(r.headline))
for col, (label, value, change) in zip(m, r.headline):
    col.metric(label, value, change or None, delta_color="off", delta_arrow="off")

st.subheader("每日办结（柱：当日新增；线：累计）")
st.plotly_chart(figures.progress_chart(data.progress), width="stretch", config={"displayModeBar": False})
st.markdown("**展望**：" + r.outlook)

left, right = st.columns([1.4, 1])
left.subheader("各学院办结情况（最弱在前）")
left.table(r.colleges.set_index("学院"))
right.subheader("三大卡点环节")
right.table(r.blocking.set_index("环节"))
right.caption("可立即办结：除研工办外只差这一个环节的学生；先卡在别处：还有其他环节未办。")
right.markdown(r.final_line)
