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
    actual, projected = p.data[0], p.data[1]
    assert list(actual.y) == list(o.progress.daily["cumulative"])
    assert list(projected.x) == [date(2018, 6, 28), date(2018, 7, 2)]
    assert projected.y[-1] == o.progress.projected_at_deadline
    assert any(s.x0 == date(2018, 7, 2) for s in p.layout.shapes)  # the deadline line


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
