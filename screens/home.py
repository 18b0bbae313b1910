"""离校总览: the batch's real numbers, straight from the store."""

import pandas as pd
import plotly.express as px
import streamlit as st

from clearance.rules.handout import handout_period_text
from ui.auth import require_actor
from ui.data import current_batch, read
from ui.text import plain

COMPLETION_COLOR = "#2e7d32"

actor = require_actor("admin", "gradschool", "college", "office")
batch = current_batch()
# College staff see their own college; everyone else the whole school.
college = actor.college if actor.role == "college" else None
summary = read("batch_summary", batch=batch["batch_id"], college=college).iloc[0]
stages = read("stage_completion", batch=batch["batch_id"], college=college)

st.title(f"{plain(college)} · 离校总览" if college else "研究生电子离校 · 离校通")
st.caption(
    f"{batch['title']}　集中办理：{batch['period_start']:%m月%d日}—{batch['period_end']:%m月%d日}"
    f"　证书发放：{handout_period_text(batch)}"
    f"　校园卡停用：{batch['card_deactivation']:%m月%d日}"
)

students = int(summary["students"])
cleared = int(summary["fully_cleared"])
c1, c2, c3 = st.columns(3)
c1.metric("离校学生", f"{students:,}")
c2.metric("全部办结", f"{cleared:,}", f"占 {cleared / students:.1%}" if students else None,
          delta_color="off", delta_arrow="off")
c3.metric("尚有未办环节", f"{int(summary['still_open']):,}")

st.subheader("各环节办理情况（✓ = 已办理或无需办理）")
chart = stages.assign(未完成=stages["open"] + stages["rejected"]).rename(
    columns={"name": "环节", "passed": "已办理", "not_needed": "无需办理"})
fig = px.bar(chart, y="环节", x=["已办理", "无需办理", "未完成"], orientation="h",
             color_discrete_sequence=["#2e7d32", "#81c784", "#e57373"])
fig.update_layout(yaxis={"categoryorder": "array", "categoryarray": list(chart["环节"])[::-1]},
                  legend_title_text="", xaxis_title="人数", yaxis_title="", height=460,
                  margin={"l": 10, "r": 10, "t": 10, "b": 10})
st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})

table = pd.DataFrame({
    "环节": stages["name"],
    "✓ 合计": stages["done"],
    "已办理": stages["passed"],
    "无需办理": stages["not_needed"],
    "× 未办理": stages["open"],
    "× 不通过": stages["rejected"],
    "完成率": stages["done"] / stages["students"].where(stages["students"] > 0),
})
# One sequential colour (not the theme's red, which read as "bad" even at 99 %).
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"完成率": st.column_config.ProgressColumn("完成率", format="percent",
                                                                   min_value=0, max_value=1,
                                                                   color=COMPLETION_COLOR)})
