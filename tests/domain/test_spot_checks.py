"""Spot checks: a reproducible random sample of passed marks, outcomes recorded append-only."""

import pytest

from clearance.store.accounts import get_actor
from clearance.store.spot_checks import SpotCheckError, draw_sample, record_outcome


def test_a_draw_holds_only_passed_marks_of_the_chosen_stage_and_college(demo_store):
    gs = get_actor(demo_store, "gs")
    draw = draw_sample(demo_store, gs, "2018-06", 25, stage_id="library", college="计算机学院", seed=7)
    assert draw.drawn == 25
    rows = demo_store.read_dicts(
        "SELECT i.*, x.state, s.college, e.action, e.stage_id AS event_stage"
        " FROM spot_check_items i JOIN stage_status x USING (student_no, stage_id)"
        " JOIN students s USING (student_no) JOIN events e ON e.event_id = i.event_id"
        " WHERE i.check_id = $c", {"c": draw.check_id})
    assert len(rows) == 25 and len({r["student_no"] for r in rows}) == 25
    assert {(r["stage_id"], r["state"], r["college"], r["action"], r["event_stage"]) for r in rows} == {
        ("library", "passed", "计算机学院", "pass", "library")}
    check = demo_store.read_dicts("SELECT * FROM spot_checks WHERE check_id = $c", {"c": draw.check_id})[0]
    assert (check["stage_id"], check["college"], check["seed"], check["drawn_by"]) == (
        "library", "计算机学院", 7, "gs")


def test_the_same_seed_draws_the_same_marks(demo_store):
    gs = get_actor(demo_store, "gs")
    a = draw_sample(demo_store, gs, "2018-06", 10, seed=42)
    b = draw_sample(demo_store, gs, "2018-06", 10, seed=42)
    c = draw_sample(demo_store, gs, "2018-06", 10, seed=43)
    items = lambda d: demo_store.read_rows(  # noqa: E731
        "SELECT student_no, stage_id FROM spot_check_items WHERE check_id = $c ORDER BY item_no",
        {"c": d.check_id})
    assert items(a) == items(b) != items(c)


def test_a_sample_larger_than_the_candidates_takes_them_all(demo_store):
    gs = get_actor(demo_store, "gs")
    passed = demo_store.read_value(
        "SELECT count(*) FROM stage_status x JOIN students s USING (student_no)"
        " WHERE x.stage_id = 'advisor' AND x.state = 'passed' AND s.college = '航空航天学院'")
    assert 0 < passed < 200
    assert draw_sample(demo_store, gs, "2018-06", 200, "advisor", "航空航天学院").drawn == passed


def test_outcomes_are_kept_and_the_latest_counts(demo_store):
    gs = get_actor(demo_store, "gs")
    draw = draw_sample(demo_store, gs, "2018-06", 3, seed=1)
    with pytest.raises(SpotCheckError, match="须填写问题说明"):
        record_outcome(demo_store, gs, draw.check_id, 1, "problem", " ")
    record_outcome(demo_store, gs, draw.check_id, 1, "problem", "借书记录与系统不符")
    record_outcome(demo_store, get_actor(demo_store, "admin"), draw.check_id, 1, "ok", "复核无误")
    with pytest.raises(SpotCheckError, match="没有第 9 条"):
        record_outcome(demo_store, gs, draw.check_id, 9, "ok")
    import queries

    items = queries.run(demo_store, "spot_check_items", check_id=draw.check_id)
    assert list(items["outcome"].fillna("-")) == ["ok", "-", "-"]
    assert items["checked_by"].iloc[0] == "admin"
    history = queries.run(demo_store, "spot_check_outcome_history", check_id=draw.check_id)
    assert list(history["outcome"]) == ["ok", "problem"]
    listed = queries.run(demo_store, "spot_check_list", batch="2018-06").iloc[0]
    assert (listed["items"], listed["checked"], listed["problems"]) == (3, 1, 0)


def test_only_the_graduate_school_checks(demo_store):
    for user in ("cs_secretary", "lib_staff"):
        with pytest.raises(SpotCheckError, match="无权进行抽查"):
            draw_sample(demo_store, get_actor(demo_store, user), "2018-06", 5)
    with pytest.raises(SpotCheckError, match="1 到 200"):
        draw_sample(demo_store, get_actor(demo_store, "gs"), "2018-06", 0)
    with pytest.raises(SpotCheckError, match="没有符合条件"):
        draw_sample(demo_store, get_actor(demo_store, "gs"), "2099-01", 5)
    assert demo_store.read_value("SELECT count(*) FROM spot_checks") == 0
