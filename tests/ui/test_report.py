"""The leadership report: one page whose text carries the overview's numbers (read back with
pypdf), the print page, and the evening copy into a folder."""

import io
import re
from datetime import date, datetime, time
from functools import partial

from pypdf import PdfReader

import queries
from ui.dashboards import Filters, load_overview
from ui.report import EveningReports, EveningSettings, build_report, report_pdf

DAY = date(2018, 6, 28)


def _batch(store) -> dict:
    return queries.run(store, "batch_list").iloc[0].to_dict()


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), re.sub(r"\s+", " ", reader.pages[0].extract_text())


def test_the_report_is_one_page_with_the_overviews_figures(demo_store):
    read = partial(queries.run, demo_store)
    batch = _batch(demo_store)
    o = load_overview(read, batch, Filters(), DAY)
    pages, text = _text(report_pdf(o, batch))
    assert pages == 1
    assert "2018年6月毕（结、肄）业研究生离校进度报告" in text.replace(" ", "")
    # Headline figures, independently counted.
    cleared = demo_store.read_value(
        "SELECT count(*) FROM (SELECT student_no FROM stage_status GROUP BY 1 HAVING"
        " bool_and(state IN ('passed', 'not_needed')) AND max(updated_at) < TIMESTAMP '2018-06-29 00:00:00')")
    students = demo_store.read_value("SELECT count(*) FROM students")
    flat = text.replace(" ", "")
    assert f"{students:,}" in flat and f"{cleared:,}" in flat
    assert f"{cleared / students:.1%}" in flat and f"{students - cleared:,}" in flat
    assert f"较前一日+{o.cleared_today:,}" in flat
    # Colleges weakest first, each with its change since the day before.
    weakest = o.by_college.iloc[0]
    assert weakest["college"] in flat
    assert flat.index(o.by_college["college"].iloc[0]) < flat.index(o.by_college["college"].iloc[-1])
    assert f"{int(weakest['cleared_change']):+d}{weakest['rate_change'] * 100:+.1f}" in flat.replace('　', '')
    # The three blocking stages, the last stage apart, the outlook.
    for name in o.blocking["name"].head(3):
        assert name in flat
    assert f"最后一站研究生院研工办：未办{o.final_stage['open']:,}人" in flat
    assert f"截止日07-02将达到{o.progress.projected_at_deadline:,}人" in flat
    assert "06-25" in flat and "07-02" in flat  # the curve's day axis


def test_the_report_says_its_scope(demo_store):
    read = partial(queries.run, demo_store)
    batch = _batch(demo_store)
    filters = Filters(college="计算机学院", level="博士")
    r = build_report(load_overview(read, batch, filters, DAY), batch, filters)
    assert "范围：计算机学院、博士" in r.subtitle
    assert list(r.colleges["学院"]) == ["计算机学院"]


def test_the_evening_copy_is_written_once_a_day_after_the_hour(demo_store, tmp_path):
    clock = {"now": datetime(2018, 6, 28, 19, 59)}
    evening = EveningReports(demo_store, EveningSettings(tmp_path, time(20, 0)), now=lambda: clock["now"])
    assert evening.tick() == []
    clock["now"] = datetime(2018, 6, 28, 20, 1)
    written = evening.tick()
    assert [p.name for p in written] == ["离校进度报告_2018-06_20180628.pdf"]
    assert _text(written[0].read_bytes())[0] == 1
    assert evening.tick() == []  # once a day
    clock["now"] = datetime(2018, 6, 29, 21, 0)
    assert [p.name for p in evening.tick()] == ["离校进度报告_2018-06_20180629.pdf"]
