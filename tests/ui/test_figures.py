"""The figures show the data they are given (checked without Streamlit)."""

from datetime import date
from functools import partial

import pandas as pd

import queries
from ui import figures
from ui.dashboards import Filters, load_overview

BATCH = {"batch_id": "2018-06", "period_start": date(2018, 6, 25), "period_end": date(2018, 7, 2)}


def test_overview_figures_carry_the_overview_numbers(demo_store):
    o = load_overview(partial(queries.run, demo_store), BATCH, Filters(), date(2018, 6, 28))
    heat = figures.completion_heat_map(o.heat)
    assert list(heat.data[0].y) == list(o.heat.index)
    assert list(heat.data[0].x) == list(o.heat.columns)
    assert heat.data[0].z[0][0] == o.heat.iloc[0, 0]
    bar = figures.college_completion_bar(o.by_college)
    assert list(bar.data[0].y) == list(o.by_college["college"])  # weakest first
    stages = figures.stage_completion_bar(o.by_stage)
    assert sorted(stages.data[0].x) == sorted(o.by_stage["rate"])
    p = figures.progress_chart(o.progress)
    actual, bars, projected = p.data[0], p.data[1], p.data[2]
    assert list(actual.y) == list(o.progress.daily["cumulative"])
    assert list(bars.y) == list(o.progress.daily["cleared_that_day"]) and bars.type == "bar"
    assert list(projected.x) == [date(2018, 6, 28), date(2018, 7, 2)]
    assert projected.y[-1] == o.progress.projected_at_deadline
    assert any(s.x0 == date(2018, 7, 2) for s in p.layout.shapes)  # the deadline line
    assert max(actual.x) == date(2018, 6, 28)  # nothing after the as-of day


def test_college_vs_school_has_both_series():
    stages = pd.DataFrame({"name": ["导师", "图书馆"], "college_rate": [0.9, 0.5], "school_rate": [0.95, 0.7]})
    fig = figures.college_vs_school_bar(stages, "计算机学院")
    assert [t.name for t in fig.data] == ["计算机学院", "全校"]
    assert list(fig.data[1].y) == [0.95, 0.7]


def test_heat_map_has_a_clickable_point_on_every_cell():
    heat = pd.DataFrame([[0.9, 0.8], [1.0, 0.7]], index=["法学院", "艺术学院"], columns=["导师", "图书馆"])
    points = figures.completion_heat_map(heat).data[1]
    assert list(zip(points.y, points.x)) == [("法学院", "导师"), ("法学院", "图书馆"),
                                             ("艺术学院", "导师"), ("艺术学院", "图书馆")]


def test_the_curve_has_a_tick_on_every_day_including_the_deadline(demo_store):
    o = load_overview(partial(queries.run, demo_store), BATCH, Filters(), date(2018, 7, 2))
    fig = figures.progress_chart(o.progress)
    for axis in (fig.layout.xaxis, fig.layout.xaxis2):
        assert list(axis.ticktext) == ["06-25", "06-26", "06-27", "06-28", "06-29", "06-30", "07-01", "07-02"]
        low, high = (pd.Timestamp(v) for v in axis.range)
        assert low < pd.Timestamp("2018-06-25") and high > pd.Timestamp("2018-07-02")  # 07-02 inside
    assert len(fig.data) == 2  # the deadline reached: no projection


def test_heat_map_spans_the_whole_scale_and_fits_one_college():
    one = pd.DataFrame([[0.2, 0.45, 1.0]], index=["计算机学院"], columns=["导师", "研究生教育服务中心", "研究生院研工办"])
    fig = figures.completion_heat_map(one)
    trace = fig.data[0]
    assert (trace.zmin, trace.zmax) == (0, 1)
    assert list(trace.colorbar.tickvals) == [0, 0.25, 0.5, 0.75, 1]  # five ticks, not crowded
    assert trace.colorbar.title.side == "top"  # the title above the bar, not on its ticks
    assert fig.layout.height >= 300 and fig.layout.margin.t >= 100  # labels on top not clipped
    assert fig.layout.xaxis.automargin and fig.layout.xaxis.tickangle


def test_the_outlook_before_and_after_the_period():
    from ui.dashboards import progress
    days = pd.DataFrame({"cleared_on": [None, date(2018, 6, 20)], "students": [50, 10]})
    early = progress(days, date(2018, 6, 25), date(2018, 7, 2), date(2018, 6, 22))
    assert "尚未开始" in figures.outlook_text(early, date(2018, 6, 22))
    fig = figures.progress_chart(early)
    assert max(fig.data[0].x) == date(2018, 6, 22) and len(fig.data) == 2  # no projection trace
