"""Desk rules of issue 13: the secretary's signed form records 导师 then 教务秘书 in one
transaction; a desk's 撤销 keeps its note from the student."""

import pytest

from clearance.rules.actors import Actor
from clearance.rules.marking import form_chain
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, MarkError, apply_marks, mark
from tests.conftest import add_students, evidence, roster_frame

NO = "20180000001"
SECRETARY = Actor("sec", "college", "教务秘书", college="计算机学院",
                  stages=frozenset({"advisor", "secretary"}))
ONLY_SECRETARY = Actor("sec2", "college", "教务秘书乙", college="计算机学院",
                       stages=frozenset({"secretary"}))


@pytest.fixture
def one_student(store):
    add_students(store, roster_frame(1))
    return store


def _events(store):
    return store.read_rows("SELECT stage_id, action, note FROM events WHERE student_no = $n"
                           " ORDER BY event_id", {"n": NO})


def test_secretary_holding_both_stages_passes_the_form_in_one_transaction_in_order(one_student):
    cat = get_catalogue(one_student)
    chain = form_chain(cat.stage("secretary"), SECRETARY, cat, {})
    assert [s.stage_id for s in chain] == ["advisor", "secretary"]
    apply_marks(one_student, SECRETARY, [Mark(NO, s.stage_id, "pass", evidence=evidence(s.stage_id))
                                         for s in chain])
    assert [(s, a) for s, a, _ in _events(one_student)] == [("advisor", "pass"), ("secretary", "pass")]
    # Once 导师 is ✓ the same action records only the secretary's stage.
    assert [s.stage_id for s in form_chain(cat.stage("secretary"), SECRETARY, cat,
                                           {"advisor": "passed"})] == ["secretary"]


def test_the_form_is_all_or_nothing(one_student):
    """The secretary's evidence missing: neither stage is written, not even 导师."""
    cat = get_catalogue(one_student)
    chain = form_chain(cat.stage("secretary"), SECRETARY, cat, {})
    with pytest.raises(MarkError, match="通过须核对"):
        apply_marks(one_student, SECRETARY, [
            Mark(NO, "advisor", "pass", evidence=evidence("advisor")),
            Mark(NO, "secretary", "pass", evidence={"checked": [], "fields": {}})])
    assert len(chain) == 2 and _events(one_student) == []


def test_a_secretary_without_the_advisor_stage_gets_no_chain(one_student):
    cat = get_catalogue(one_student)
    assert [s.stage_id for s in form_chain(cat.stage("secretary"), ONLY_SECRETARY, cat, {})] == ["secretary"]


def test_desk_reset_note_is_for_staff_the_student_sees_the_stage_open(one_student):
    mark(one_student, SECRETARY, NO, "advisor", "pass", evidence=evidence("advisor"))
    mark(one_student, SECRETARY, NO, "advisor", "reset", note="误点通过，学生尚未交确认书")
    row = one_student.read_rows("SELECT state, reason FROM stage_status WHERE student_no = $n"
                                " AND stage_id = 'advisor'", {"n": NO})
    assert row == [("open", None)]
    assert _events(one_student)[-1] == ("advisor", "reset", "误点通过，学生尚未交确认书")
