"""The living demo: deterministic and shaped like a real June-2018 batch."""

import pytest

from clearance.root import close_all_stores, open_store
from loaders.demo import generate


def _summary(store):
    return store.read_rows(
        "SELECT stage_id, state, count(*) FROM stage_status GROUP BY ALL ORDER BY ALL")


def test_demo_is_deterministic_and_realistic(demo_store, tmp_path):
    s = demo_store
    students = s.read_value("SELECT count(*) FROM students")
    assert 2800 <= students <= 3300
    assert s.read_value("SELECT count(DISTINCT college) FROM students") >= 20
    assert s.read_value("SELECT count(DISTINCT campus) FROM students") == 4
    types = dict(s.read_rows("SELECT clearance_type, count(*) FROM students GROUP BY 1"))
    assert set(types) == {"毕业", "结业", "肄业", "退学"} and types["毕业"] > 0.9 * students
    cleared = s.read_value("SELECT count(*) FROM (SELECT student_no FROM stage_status GROUP BY 1"
                           " HAVING bool_and(state IN ('passed','not_needed')))")
    assert 0.5 * students < cleared < 0.9 * students
    # Finance passed in advance, non-members passed in bulk, a lagging tail at library and card centre.
    assert s.read_value("SELECT count(*) FROM events WHERE stage_id='finance' AND marked_at < '2018-06-25'") > 0.8 * students
    assert s.read_value("SELECT count(*) FROM events WHERE stage_id='party' AND source='bulk'") > 0.4 * students
    open_at = dict(s.read_rows("SELECT stage_id, count(*) FROM stage_status WHERE state <> 'passed'"
                               " AND state <> 'not_needed' GROUP BY 1"))
    assert open_at["library"] > 50 and open_at["card_center"] > 50
    days = s.read_value("SELECT count(DISTINCT marked_at::DATE) FROM events WHERE marked_at >= '2018-06-25'")
    assert days == 8
    first = _summary(s)
    close_all_stores()
    again = open_store(tmp_path / "again.duckdb")
    generate(again)
    assert _summary(again) == first
    close_all_stores()


def test_demo_refuses_a_store_with_students(demo_store):
    with pytest.raises(RuntimeError, match="空库"):
        generate(demo_store)
