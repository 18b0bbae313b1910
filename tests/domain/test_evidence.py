"""What a pass records (issue 10): the catalogue declares actions, evidence and preconditions;
the domain checks them; one definition each of the party rule and of ✓."""

import json

import pytest

import queries
from clearance.rules.actors import SYSTEM
from clearance.rules.catalogue import DONE_STATES, CatalogueError, parse_catalogue
from clearance.rules.marking import check_evidence, is_party_member
from clearance.store.config import STAGES_FILE, load_catalogue
from clearance.store.marks import MarkError, mark
from tests.conftest import add_students, evidence, roster_frame

CAT = load_catalogue()
GRADUATE = {"clearance_type": "毕业", "political_status": "群众"}
NO = "20180000001"


def test_party_membership_is_two_exact_values():
    assert is_party_member("中共党员") and is_party_member("中共预备党员")
    for other in ("非党员", "群众", "共青团员", "", None, "中共党员（已转出）"):
        assert not is_party_member(other), other


def test_the_sql_done_macro_is_the_same_as_done_states(store):
    for state in ("passed", "not_needed", "open", "rejected"):
        assert store.read_value("SELECT is_done($s)", {"s": state}) == (state in DONE_STATES)


def _with(stage_id: str, **fields) -> dict:
    ev = evidence(stage_id)
    return {"checked": ev["checked"], "fields": {**ev["fields"], **fields}}


@pytest.mark.parametrize("stage_id,fields,words", [
    ("advisor", {"signed_by": "导师授权人", "authorised_name": ""}, "通过须填写：授权人姓名"),
    ("advisor", {"signed_by": "学生本人"}, "“签字人”不是有效的选项"),
    ("gso_office", {"student_card": "遗失声明", "newspaper": "", "published_on": ""},
     "通过须填写：报纸名称、刊登日期"),
    ("gso_office", {"student_card": "遗失声明", "newspaper": "重庆晚报", "published_on": "2018-02-30"},
     "“刊登日期”不是有效的日期"),
    ("library", {"fine_paid": "12.345"}, "不是有效的金额"),
    ("library", {"fine_paid": "-1"}, "不是有效的金额"),
    ("library", {"fine_paid": "NaN"}, "不是有效的金额"),
    ("card_center", {"settled_amount": ""}, "通过须填写：结算金额"),
])
def test_evidence_that_is_not_a_value_is_refused(stage_id, fields, words):
    problem, _stored = check_evidence(CAT.stage(stage_id), GRADUATE, _with(stage_id, **fields))
    assert problem and words in problem


def test_a_member_must_say_where_the_membership_went():
    party = CAT.stage("party")
    no_place = _with("party", transfer_to="")
    assert check_evidence(party, GRADUATE, no_place)[0] is None
    problem, _ = check_evidence(party, {"clearance_type": "毕业", "political_status": "中共预备党员"}, no_place)
    assert "通过须填写：组织关系转往" in problem


def test_ticks_a_type_is_exempt_from_are_neither_required_nor_stored():
    library = CAT.stage("library")
    thesis = "学位论文电子版已提交"
    ev = {"checked": [i.text for i in library.items if i.text != thesis], "fields": {"fine_paid": "0"}}
    assert "学位论文" in check_evidence(library, GRADUATE, ev)[0]
    problem, stored = check_evidence(library, {"clearance_type": "结业", "political_status": ""},
                                     {**ev, "checked": ev["checked"] + [thesis]})
    assert problem is None and thesis not in stored["checked"]
    assert "学位论文" not in library.brings_for("结业") and "学位论文" in library.brings_for("毕业")


def test_a_stored_pass_carries_its_evidence_and_the_history_shows_it(store):
    add_students(store, roster_frame(1))
    mark(store, SYSTEM, NO, "advisor", "pass",
         evidence=_with("advisor", signed_by="导师授权人", authorised_name="王老师"))
    history = queries.run(store, "student_history", student_no=NO)
    stored = json.loads(history.iloc[0]["evidence"])
    assert stored["fields"] == {"signed_by": "导师授权人", "authorised_name": "王老师"}
    from clearance.rules.marking import describe_evidence
    line = describe_evidence(CAT.stage("advisor"), stored)
    assert "签字人：导师授权人" in line and "授权人姓名：王老师" in line and "已核对" in line


def test_evidence_on_anything_but_a_pass_is_refused(store):
    add_students(store, roster_frame(1))
    with pytest.raises(MarkError, match="只有通过才记录核对材料"):
        mark(store, SYSTEM, NO, "dorm", "reject", reason="钥匙未还", evidence=evidence("dorm"))


def _broken(old: str, new: str) -> str:
    text = STAGES_FILE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("old,new,words", [
    ('actions = ["pass", "reject", "reset"]  # the handbook always needs the signed form',
     'actions = ["pass", "skip"]', "actions 只能取"),
    ('kind = "choice", choices = ["导师", "导师授权人"]', 'kind = "signature"', "kind 只能是"),
    ('required_when = ["signed_by", "导师授权人"]', 'required_when = ["signed_by", "校长"]',
     "required_when 须引用前面的选项字段"),
    ('preconditions = ["card_balance_settled"]', 'preconditions = ["balance_zero"]', "前提条件“balance_zero”未知"),
    ('{ text = "寝室钥匙已退还" }', '{ text = "寝室钥匙已退还", required = "是" }', "required 只能是 true 或 false"),
])
def test_a_bad_catalogue_is_refused_in_chinese(old, new, words):
    with pytest.raises(CatalogueError) as exc:
        parse_catalogue(_broken(old, new))
    assert words in str(exc.value) and "stages.toml" in str(exc.value)


def test_the_lagging_list_tells_each_type_what_to_bring(store):
    """需携带材料 follows the clearance type as the checklist does: no thesis for 结业."""
    add_students(store, roster_frame(1, 离校类型="结业"))
    add_students(store, roster_frame(1, 学号="20180000009"))
    rows = queries.run(store, "lagging_students", batch="2018-06", college=None, stage=None, campus=None,
                       level=None, clearance_type=None, as_of=None).set_index("student_no")
    assert "学位论文" not in rows.loc[NO, "brings"] and "归还所借图书" in rows.loc[NO, "brings"]
    assert "网上提交学位论文" in rows.loc["20180000009", "brings"]
