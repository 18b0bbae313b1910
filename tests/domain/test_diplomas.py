"""The diploma desk: only fully cleared students get certificates, and every hand-over is audited."""

from datetime import datetime

import pytest

from clearance.store.accounts import get_actor
from clearance.rules.actors import Actor
from clearance.store.diplomas import DiplomaError, record_handover


def _one(store, sql):
    return store.read_rows(sql)[0][0]


CLEARED = """SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)
    WHERE s.college = '计算机学院' AND s.clearance_type = '{t}'
    GROUP BY s.student_no HAVING bool_and(x.state IN ('passed', 'not_needed'))
    ORDER BY s.student_no LIMIT 1"""
NOT_CLEARED = """SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)
    WHERE s.college = '计算机学院' GROUP BY s.student_no
    HAVING NOT bool_and(x.state IN ('passed', 'not_needed')) ORDER BY s.student_no LIMIT 1"""


def test_a_cleared_graduate_gets_both_certificates_with_an_audit(demo_store):
    secretary = get_actor(demo_store, "cs_secretary")
    no = _one(demo_store, CLEARED.format(t="毕业"))
    at = datetime(2018, 6, 29, 10, 0)
    record_handover(demo_store, secretary, no, "diploma", "本人", at)
    record_handover(demo_store, secretary, no, "degree", "李四（代领）", at, note="委托书已收")
    rows = demo_store.read_dicts(
        "SELECT kind, received_by, handed_at, recorded_by, note FROM diploma_handovers"
        " WHERE student_no = $no ORDER BY kind", {"no": no})
    assert [(r["kind"], r["received_by"], r["recorded_by"]) for r in rows] == [
        ("degree", "李四（代领）", "cs_secretary"), ("diploma", "本人", "cs_secretary")]
    assert rows[0]["handed_at"] == at and rows[0]["note"] == "委托书已收"


def test_a_student_with_an_open_stage_cannot_be_handed_a_certificate(demo_store):
    no = _one(demo_store, NOT_CLEARED)
    with pytest.raises(DiplomaError, match="尚未全部办结"):
        record_handover(demo_store, get_actor(demo_store, "admin"), no, "diploma")
    assert _one(demo_store, "SELECT count(*) FROM diploma_handovers") == 0


def test_certificates_follow_the_clearance_type(demo_store):
    admin = get_actor(demo_store, "admin")
    completing = _one(demo_store, CLEARED.format(t="结业"))
    with pytest.raises(DiplomaError, match="不发放学位证书"):
        record_handover(demo_store, admin, completing, "degree")
    record_handover(demo_store, admin, completing, "diploma")  # 结业证书
    withdrawn = demo_store.read_rows(CLEARED.format(t="退学").replace("s.college = '计算机学院' AND ", ""))
    assert withdrawn, "the demo has a cleared 退学 student"
    with pytest.raises(DiplomaError, match="不发放"):
        record_handover(demo_store, admin, withdrawn[0][0], "diploma")


def test_a_certificate_is_handed_over_once(demo_store):
    admin = get_actor(demo_store, "admin")
    no = _one(demo_store, CLEARED.format(t="毕业"))
    record_handover(demo_store, admin, no, "diploma")
    with pytest.raises(DiplomaError, match="不能重复登记"):
        record_handover(demo_store, admin, no, "diploma", "别人")
    assert _one(demo_store, "SELECT count(*) FROM diploma_handovers") == 1


def test_only_the_students_college_or_the_graduate_school_may_record(demo_store):
    no = _one(demo_store, CLEARED.format(t="毕业"))
    with pytest.raises(DiplomaError, match="只能登记本学院"):
        record_handover(demo_store, get_actor(demo_store, "civil_secretary"), no, "diploma")
    with pytest.raises(DiplomaError, match="无权登记"):
        record_handover(demo_store, get_actor(demo_store, "lib_staff"), no, "diploma")
    with pytest.raises(DiplomaError, match="领取人"):
        record_handover(demo_store, get_actor(demo_store, "gs"), no, "diploma", "  ")
    assert _one(demo_store, "SELECT count(*) FROM diploma_handovers") == 0
    record_handover(demo_store, get_actor(demo_store, "gs"), no, "diploma")


def test_unknown_student_and_kind_are_refused(demo_store):
    admin = Actor("admin", "admin")
    with pytest.raises(DiplomaError, match="查无此学生"):
        record_handover(demo_store, admin, "nobody", "diploma")
    with pytest.raises(DiplomaError, match="未知的证书类型"):
        record_handover(demo_store, admin, "nobody", "passport")


def test_a_hand_over_dated_outside_the_hand_out_period_warns(demo_store):
    """The handbook: 6月29日下午至7月2日. Today's date (years later), a morning of 6/29 and a
    day after 7/2 each warn; an afternoon of 6/29 and 7/2 do not. The record is kept either way."""
    secretary = get_actor(demo_store, "cs_secretary")
    assert demo_store.read_value("SELECT diploma_start_part FROM batches") == "下午"
    no = _one(demo_store, CLEARED.format(t="毕业"))
    late = record_handover(demo_store, secretary, no, "diploma", "本人", datetime(2026, 11, 28, 10, 0))
    assert late.warning and "6月29日下午至7月2日" in late.warning and "2026-11-28" in late.warning
    morning = record_handover(demo_store, secretary, no, "degree", "本人", datetime(2018, 6, 29, 9, 30))
    assert morning.warning
    assert demo_store.read_value(
        f"SELECT count(*) FROM diploma_handovers WHERE student_no = '{no}'") == 2
    other = demo_store.read_rows(CLEARED.format(t="毕业").replace("LIMIT 1", "LIMIT 1 OFFSET 1"))[0][0]
    assert record_handover(demo_store, secretary, other, "diploma", "本人",
                           datetime(2018, 6, 29, 14, 0)).warning is None
    assert record_handover(demo_store, secretary, other, "degree", "本人",
                           datetime(2018, 7, 2, 17, 30)).warning is None


def test_the_success_names_the_students_own_certificate(demo_store):
    secretary = get_actor(demo_store, "cs_secretary")
    no = demo_store.read_rows(CLEARED.format(t="结业").replace("'计算机学院'", "s.college"))[0][0]
    college = demo_store.read_value(f"SELECT college FROM students WHERE student_no = '{no}'")
    staff = Actor(username="gs", role="gradschool", display_name="研究生院") if college != "计算机学院" else secretary
    done = record_handover(demo_store, staff, no, "diploma", "本人", datetime(2018, 6, 30, 10, 0))
    assert done.certificate == "结业证书"
