"""The dashboards' numbers agree with direct counts in the store."""

from datetime import date
from functools import partial

import pandas as pd
import pytest

import queries
from ui.dashboards import Filters, choose_as_of, load_college, load_overview, progress

BATCH = {"batch_id": "2018-06", "period_start": pd.Timestamp("2018-06-25"),
         "period_end": pd.Timestamp("2018-07-02")}
LAST_DAY = date(2018, 7, 2)
DONE = "('passed', 'not_needed')"


@pytest.fixture
def read(demo_store):
    return partial(queries.run, demo_store)


def cleared_students(store, where: str = "TRUE", params=None) -> int:
    return store.read_value(
        "SELECT count(*) FROM (SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)"
        f" WHERE {where} GROUP BY s.student_no HAVING bool_and(x.state IN {DONE}))", params)


def test_overview_on_the_last_day_is_the_current_state(demo_store, read):
    o = load_overview(read, BATCH, Filters(), LAST_DAY)
    assert o.students == demo_store.read_value("SELECT count(*) FROM students")
    assert o.cleared == cleared_students(demo_store)
    assert o.still_open == o.students - o.cleared
    assert o.cleared_today == demo_store.read_value(
        "SELECT count(*) FROM (SELECT student_no FROM stage_status GROUP BY 1"
        f" HAVING bool_and(state IN {DONE}) AND CAST(max(updated_at) AS DATE) = DATE '2018-07-02')")
    direct = dict(demo_store.read_rows(
        f"SELECT stage_id, count(*) FILTER (WHERE state IN {DONE}) FROM stage_status GROUP BY 1"))
    assert dict(zip(o.by_stage["stage_id"], o.by_stage["done"])) == direct
    per_college = dict(zip(o.by_college["college"], o.by_college["cleared"]))
    assert per_college["计算机学院"] == cleared_students(demo_store, "s.college = '计算机学院'")
    assert list(o.by_college["rate"]) == sorted(o.by_college["rate"])  # weakest first
    assert list(o.heat.index) == list(o.by_college["college"])
    lib = demo_store.read_value(
        "SELECT avg(CASE WHEN x.state IN ('passed', 'not_needed') THEN 1.0 ELSE 0 END) FROM stage_status x"
        " JOIN students s USING (student_no) WHERE s.college = '法学院' AND x.stage_id = 'library'")
    assert o.heat.loc["法学院", "图书馆"] == pytest.approx(lib)
    assert o.bottlenecks["open"].iloc[0] == o.still_open  # the last stage holds every open student
    assert o.progress.daily["cumulative"].iloc[-1] == o.cleared


def test_overview_as_of_an_earlier_day_and_with_filters(demo_store, read):
    o = load_overview(read, BATCH, Filters(level="博士", campus="虎溪"), date(2018, 6, 28))
    where = "s.level = '博士' AND s.campus = '虎溪'"
    assert o.students == demo_store.read_value(f"SELECT count(*) FROM students s WHERE {where}")
    assert o.cleared == demo_store.read_value(
        "SELECT count(*) FROM (SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)"
        f" WHERE {where} GROUP BY 1 HAVING bool_and(x.state IN {DONE})"
        " AND max(x.updated_at) < TIMESTAMP '2018-06-29 00:00:00')")
    library_done = demo_store.read_value(
        "SELECT count(*) FROM stage_status x JOIN students s USING (student_no)"
        f" WHERE {where} AND x.stage_id = 'library' AND x.state IN {DONE}"
        " AND x.updated_at < TIMESTAMP '2018-06-29 00:00:00'")
    assert o.by_stage.set_index("stage_id").loc["library", "done"] == library_done
    assert list(o.progress.daily["day"])[-1] == date(2018, 6, 28)
    assert o.progress.projected_at_deadline >= o.cleared


def test_projection_follows_the_recent_pace():
    days = pd.DataFrame({"cleared_on": [None, date(2018, 6, 20), date(2018, 6, 25), date(2018, 6, 26),
                                        date(2018, 6, 27)], "students": [50, 10, 3, 6, 9]})
    p = progress(days, date(2018, 6, 25), date(2018, 7, 2), date(2018, 6, 27))
    assert list(p.daily["cumulative"]) == [13, 19, 28]
    assert p.pace_per_day == 6.0
    assert p.projected_at_deadline == 28 + 6 * 5
    capped = progress(days, date(2018, 6, 25), date(2018, 7, 30), date(2018, 6, 27))
    assert capped.projected_at_deadline == 78  # never more than the students


def test_today_after_the_period_is_the_last_mark_day():
    after = choose_as_of(date(2018, 6, 25), date(2018, 7, 2), date(2018, 7, 1), date(2026, 1, 1))
    assert after.day == date(2018, 7, 1) and "最后办理日" in after.note
    during = choose_as_of(date(2018, 6, 25), date(2018, 7, 2), date(2018, 6, 26), date(2018, 6, 27))
    assert during.day == date(2018, 6, 27)


def test_college_view_and_its_lagging_list(demo_store, read):
    v = load_college(read, BATCH, "计算机学院")
    assert v.students == demo_store.read_value("SELECT count(*) FROM students WHERE college = '计算机学院'")
    assert v.cleared == cleared_students(demo_store, "s.college = '计算机学院'")
    assert v.school_cleared == cleared_students(demo_store)
    assert len(v.lagging) == v.students - v.cleared
    assert set(v.lagging["college"]) == {"计算机学院"}
    assert list(v.lagging["open_count"]) == sorted(v.lagging["open_count"], reverse=True)
    row = v.lagging.iloc[0]
    direct = demo_store.read_rows(
        "SELECT x.stage_id, r.room FROM stage_status x JOIN students s USING (student_no)"
        " JOIN campus_routes r ON r.campus = s.campus AND r.stage_id = x.stage_id"
        f" WHERE x.student_no = $no AND x.state NOT IN {DONE}", {"no": row["student_no"]})
    assert sorted(row["open_stage_ids"]) == sorted(s for s, _ in direct)
    assert row["open_count"] == len(direct)
    assert all(room in row["where_to_go"] for _, room in direct)


def test_lagging_filters(demo_store, read):
    v = load_college(read, BATCH, "计算机学院", stage="library", level="硕士")
    assert len(v.lagging) == demo_store.read_value(
        "SELECT count(*) FROM stage_status x JOIN students s USING (student_no)"
        " WHERE s.college = '计算机学院' AND s.level = '硕士' AND x.stage_id = 'library'"
        f" AND x.state NOT IN {DONE}")
    assert all("library" in ids for ids in v.lagging["open_stage_ids"])


def test_median_pass_days_agree_with_a_direct_median(demo_store, read):
    o = load_overview(read, BATCH, Filters(college="计算机学院"), LAST_DAY)
    direct = dict(demo_store.read_rows(
        "SELECT x.stage_id, CAST(quantile_disc(greatest(0, date_diff('day', DATE '2018-06-25',"
        " CAST(x.updated_at AS DATE))), 0.5) AS INTEGER) FROM stage_status x JOIN students s USING (student_no)"
        " WHERE s.college = '计算机学院' AND x.state = 'passed' GROUP BY 1"))
    shown = o.bottlenecks.merge(o.by_stage[["name", "stage_id"]], on="name")
    assert dict(zip(shown["stage_id"], shown["median_days"])) == direct
