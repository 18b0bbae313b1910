"""The re-derive rules of a roster re-import, as pure functions over the real catalogue."""

import pytest

from clearance.rules.roster_changes import item_changes, reason_no_longer_applies, rederive
from clearance.store.config import load_catalogue

CATALOGUE = load_catalogue()
STUDENT = {"college": "计算机学院", "clearance_type": "毕业", "political_status": "群众"}


@pytest.mark.parametrize("stage, reason, applies", [
    ("library", "学位论文未提交", False),
    ("library", "图书未还 2 册；学位论文未提交", True),
    ("library", "图书未还 2 册", True),
    ("thesis_center", "学位论文电子最终版未收到", False),
    ("thesis_center", "论文制作费 120 元未缴清；学位论文电子最终版未收到", True),
    ("thesis_center", "未交授权书", False),
    ("finance", "学位论文未提交", True),  # finance has no thesis item: its rejection stands
    ("library", "", True),
])
def test_which_rejections_a_completing_student_still_owes(stage, reason, applies):
    dropped = reason_no_longer_applies(CATALOGUE.stage(stage), reason, "毕业", "结业")
    assert dropped is not applies


def test_a_graduate_again_owes_the_thesis_but_keeps_the_libraries_pass():
    assert [(i.stage_id, i.needed) for i in item_changes(CATALOGUE, "结业", "毕业")] == [
        ("library", True), ("thesis_center", True), ("thesis_center", True)]
    states = {"library": ("passed", None)}
    assert rederive(CATALOGUE, STUDENT | {"clearance_type": "结业"}, STUDENT, states) == []


def test_nothing_changes_when_only_the_phone_does():
    states = {s: ("passed", None) for s in CATALOGUE.stage_ids}
    assert rederive(CATALOGUE, STUDENT, STUDENT | {"phone": "13900000000"}, states) == []


def test_a_move_reopens_college_marks_and_their_dependents_first():
    states = {s: ("passed", None) for s in CATALOGUE.stage_ids}
    states["party"] = ("not_needed", None)
    states["student_work"] = ("rejected", "登记表未交")
    changes = rederive(CATALOGUE, STUDENT, STUDENT | {"college": "软件学院"}, states)
    assert [(c.stage_id, c.action) for c in changes] == [
        ("gso_office", "reset"), ("party", "reset"), ("student_work", "reset"),
        ("secretary", "reset"), ("advisor", "reset")]


def test_a_member_who_leaves_the_party_list_keeps_the_branchs_mark():
    member = STUDENT | {"political_status": "中共党员"}
    assert rederive(CATALOGUE, member, STUDENT, {"party": ("passed", None)}) == []
    assert rederive(CATALOGUE, STUDENT, member, {"party": ("passed", None)}) == []
    [change] = rederive(CATALOGUE, STUDENT, member, {"party": ("not_needed", None)})
    assert (change.stage_id, change.action) == ("party", "reset")
