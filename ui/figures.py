"""Figures as plain functions over DataFrames: no Streamlit, so a unit test checks their data."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.dashboards import RECENT_PACE_DAYS, Progress

GREEN, RED, GREY, BLUE = "#2e7d32", "#e57373", "#9e9e9e", "#1e88e5"
# The heat map's scale: the whole 0–100 % in a sequential red → yellow → green, so early in the
# week a 20 % cell and a 45 % cell look different.
HEAT_SCALE = "RdYlGn"
HEAT_TICKS = [0, 0.25, 0.5, 0.75, 1]
_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def stage_completion_bar(by_stage: pd.DataFrame) -> go.Figure:
    """✓ rate per stage, weakest first (top), with the open count in the label."""
    df = by_stage.sort_values(["rate", "seq"])
    fig = go.Figure(go.Bar(
        x=df["rate"], y=df["name"], orientation="h", marker_color=GREEN,
        text=[f"{r:.1%}（未办 {int(o)}）" for r, o in zip(df["rate"], df["open"])],
        textposition="auto", hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    ))
    fig.update_layout(xaxis={"tickformat": ".0%", "range": [0, 1], "title": "完成率"},
                      yaxis={"categoryorder": "array", "categoryarray": list(df["name"])[::-1]},
                      height=40 + 32 * len(df), margin=_MARGIN)
    return fig


def college_completion_bar(by_college: pd.DataFrame) -> go.Figure:
    """Fully cleared share per college, weakest first (top)."""
    df = by_college.sort_values(["rate", "college"])
    change = df["cleared_change"] if "cleared_change" in df else [None] * len(df)
    fig = go.Figure(go.Bar(
        x=df["rate"], y=df["college"], orientation="h", marker_color=GREEN,
        text=[f"{r:.1%}（{int(c)}/{int(s)}）" + (f" 较前日 +{int(d)}" if d is not None and d > 0 else "")
              for r, c, s, d in zip(df["rate"], df["cleared"], df["students"], change)],
        textposition="auto", hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    ))
    fig.update_layout(xaxis={"tickformat": ".0%", "range": [0, 1], "title": "全部办结比例"},
                      yaxis={"categoryorder": "array", "categoryarray": list(df["college"])[::-1]},
                      height=40 + 26 * len(df), margin=_MARGIN)
    return fig


def completion_heat_map(heat: pd.DataFrame) -> go.Figure:
    """College × stage ✓ rate; rows in the given order (weakest college on top)."""
    fig = go.Figure(go.Heatmap(
        z=heat.values, x=list(heat.columns), y=list(heat.index), zmin=0, zmax=1,
        colorscale=HEAT_SCALE,
        colorbar={"title": {"text": "完成率", "side": "top"}, "tickvals": HEAT_TICKS, "tickformat": ".0%",
                  "len": 1, "lenmode": "fraction", "thickness": 14},
        text=[[f"{v:.0%}" if pd.notna(v) else "" for v in row] for row in heat.values],
        texttemplate="%{text}", hovertemplate="%{y} · %{x}: %{z:.1%}<extra></extra>",
    ))
    # Streamlit reports clicks on points, not on heat-map cells: an all-but-invisible marker on
    # every cell makes a click select (college, stage).
    xs = [stage for _college in heat.index for stage in heat.columns]
    ys = [college for college in heat.index for _stage in heat.columns]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                             marker={"symbol": "square", "size": 22, "opacity": 0.01, "color": "#000"},
                             hovertemplate="%{y} · %{x}：点击查看未办结学生<extra></extra>"))
    # The stage names sit on top, turned so they fit; the height leaves room for them and for a
    # readable colour bar even with one college (a 106 px map clipped both).
    fig.update_layout(yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"side": "top", "tickangle": -35, "automargin": True},
                      height=max(300, 150 + 26 * len(heat)),
                      margin={"l": 10, "r": 10, "t": 120, "b": 10}, clickmode="event+select")
    return fig


def day_ticks(first: date, last: date) -> list[date]:
    """One tick per day from the first to the last day, both included (the deadline gets one)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def outlook_text(p: Progress, as_of: date) -> str:
    """The curve's caption and the report's outlook: the recent pace and where it leads."""
    now = int(p.daily["cumulative"].iloc[-1])
    if as_of < p.period_start:
        return f"集中办理期（{p.period_start:%m-%d} 起）尚未开始；已提前办结 {now:,} 人，暂无速度可预测。"
    if p.projected_at_deadline is None:
        return f"已到截止日 {p.deadline:%m-%d}：累计 {now:,} 人全部办结（{now / max(p.students, 1):.1%}）。"
    rest = p.students - p.projected_at_deadline
    return (f"近 {RECENT_PACE_DAYS} 日平均每天 {p.pace_per_day:.1f} 人办结；照此速度，截止日 {p.deadline:%m-%d} "
            f"将达到 {p.projected_at_deadline:,} 人（{p.projected_at_deadline / max(p.students, 1):.1%}），"
            f"仍有约 {rest:,} 人未办结。")


def progress_chart(p: Progress) -> go.Figure:
    """Above: cumulative fully cleared per day, the deadline and the projection at the recent
    pace. Below: the students cleared on each day (bars). Only days up to the as-of day."""
    d = p.daily
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=d["day"], y=d["cumulative"], mode="lines+markers", name="累计全部办结",
                             line={"color": GREEN}), row=1, col=1)
    fig.add_trace(go.Bar(x=d["day"], y=d["cleared_that_day"], name="当日新增办结", marker_color=BLUE,
                         text=d["cleared_that_day"], textposition="outside", cliponaxis=False),
                  row=2, col=1)
    first = d["day"].iloc[0]
    last_day, last = d["day"].iloc[-1], int(d["cumulative"].iloc[-1])
    if p.projected_at_deadline is not None and p.deadline > last_day:
        fig.add_trace(go.Scatter(x=[last_day, p.deadline], y=[last, p.projected_at_deadline],
                                 mode="lines+markers", name=f"按近{RECENT_PACE_DAYS}日速度预测",
                                 line={"color": GREY, "dash": "dash"}), row=1, col=1)
    fig.add_hline(y=p.students, line={"color": GREY, "dash": "dot"}, row=1, col=1,
                  annotation_text=f"应离校 {p.students:,} 人", annotation_position="bottom left")
    # A date axis: draw the deadline as a shape (add_vline with annotations needs numeric x).
    fig.add_shape(type="line", x0=p.deadline, x1=p.deadline, y0=0, y1=1, yref="paper",
                  line={"color": RED, "dash": "dash"})
    fig.add_annotation(x=p.deadline, y=1, yref="paper", text=f"截止 {p.deadline:%m-%d}",
                       showarrow=False, yanchor="bottom", xanchor="right", font={"color": RED})
    end = max(p.deadline, last_day)
    ticks = day_ticks(first, end)
    # Timestamps, not dates: date − timedelta(days=0.5) is the same date, which put the last
    # day on the axis's very edge and dropped its tick.
    x_range = [pd.Timestamp(first) - pd.Timedelta(hours=12), pd.Timestamp(end) + pd.Timedelta(hours=12)]
    for row in (1, 2):
        fig.update_xaxes(range=x_range, tickvals=ticks, ticktext=[f"{t:%m-%d}" for t in ticks],
                         row=row, col=1)
    fig.update_yaxes(title_text="累计人数", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="当日", rangemode="tozero", row=2, col=1)
    fig.update_layout(height=460, margin=_MARGIN, legend={"orientation": "h", "y": -0.12}, bargap=0.35)
    return fig


def college_vs_school_bar(stages: pd.DataFrame, college: str) -> go.Figure:
    """Per stage: the college's ✓ rate beside the whole school's."""
    fig = go.Figure([
        go.Bar(x=stages["name"], y=stages["college_rate"], name=college, marker_color=GREEN),
        go.Bar(x=stages["name"], y=stages["school_rate"], name="全校", marker_color=GREY),
    ])
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%", "range": [0, 1]}, height=340,
                      margin=_MARGIN, legend={"orientation": "h", "y": 1.12})
    return fig


def comparison_chart(c) -> go.Figure:
    """Two batches' cumulative clearance share, day by day from each batch's start
    (c: ui.comparison.Comparison)."""
    fig = go.Figure()
    for curve, color, dash in ((c.earlier, GREY, "dash"), (c.current, GREEN, None)):
        d = curve.curve
        fig.add_trace(go.Scatter(
            x=d["day_no"], y=d["rate"], mode="lines+markers", line={"color": color, "dash": dash},
            name=f"{curve.title}（{curve.students:,} 人）",
            customdata=list(zip(d["day"].astype(str), d["cumulative"])),
            hovertemplate="第 %{x} 天（%{customdata[0]}）：%{customdata[1]:,} 人，%{y:.1%}<extra></extra>"))
    fig.update_layout(xaxis={"title": "集中办理第几天（第 0 天 = 开始日）", "dtick": 1},
                      yaxis={"title": "累计全部办结比例", "tickformat": ".0%", "rangemode": "tozero"},
                      height=340, margin=_MARGIN, legend={"orientation": "h", "y": -0.25})
    return fig
