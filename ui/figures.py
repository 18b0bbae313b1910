"""Figures as plain functions over DataFrames: no Streamlit, so a unit test checks their data."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go

from ui.dashboards import RECENT_PACE_DAYS, Progress

GREEN, RED, GREY = "#2e7d32", "#e57373", "#9e9e9e"
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
    fig = go.Figure(go.Bar(
        x=df["rate"], y=df["college"], orientation="h", marker_color=GREEN,
        text=[f"{r:.1%}（{int(c)}/{int(s)}）" for r, c, s in zip(df["rate"], df["cleared"], df["students"])],
        textposition="auto", hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    ))
    fig.update_layout(xaxis={"tickformat": ".0%", "range": [0, 1], "title": "全部办结比例"},
                      yaxis={"categoryorder": "array", "categoryarray": list(df["college"])[::-1]},
                      height=40 + 26 * len(df), margin=_MARGIN)
    return fig


def completion_heat_map(heat: pd.DataFrame) -> go.Figure:
    """College × stage ✓ rate; rows in the given order (weakest college on top)."""
    fig = go.Figure(go.Heatmap(
        z=heat.values, x=list(heat.columns), y=list(heat.index), zmin=0.5, zmax=1,
        colorscale="RdYlGn", colorbar={"title": "完成率", "tickformat": ".0%"},
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
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis={"side": "top"},
                      height=80 + 26 * len(heat), margin=_MARGIN, clickmode="event+select")
    return fig


def progress_chart(p: Progress) -> go.Figure:
    """Cumulative fully cleared per day, the deadline, and the projection at the recent pace."""
    d = p.daily
    fig = go.Figure(go.Scatter(x=d["day"], y=d["cumulative"], mode="lines+markers", name="累计全部办结",
                               line={"color": GREEN}))
    last_day, last = d["day"].iloc[-1], int(d["cumulative"].iloc[-1])
    if p.deadline > last_day:
        fig.add_trace(go.Scatter(x=[last_day, p.deadline], y=[last, p.projected_at_deadline],
                                 mode="lines+markers", name=f"按近{RECENT_PACE_DAYS}日速度预测",
                                 line={"color": GREY, "dash": "dash"}))
    fig.add_hline(y=p.students, line={"color": GREY, "dash": "dot"},
                  annotation_text=f"应离校 {p.students:,} 人", annotation_position="bottom right")
    # A date axis: draw the deadline as a shape (add_vline with annotations needs numeric x).
    fig.add_shape(type="line", x0=p.deadline, x1=p.deadline, y0=0, y1=1, yref="paper",
                  line={"color": RED, "dash": "dash"})
    fig.add_annotation(x=p.deadline, y=1, yref="paper", text=f"截止 {p.deadline:%m-%d}",
                       showarrow=False, yanchor="bottom", xanchor="right", font={"color": RED})
    start = d["day"].iloc[0]
    fig.update_layout(xaxis={"range": [start - timedelta(days=0.5), max(p.deadline, last_day) + timedelta(days=0.5)],
                             "tickformat": "%m-%d", "dtick": 86400000},
                      yaxis={"title": "人数", "rangemode": "tozero"}, height=360, margin=_MARGIN,
                      legend={"orientation": "h", "y": -0.15})
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
