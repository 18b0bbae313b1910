"""The stage rules: prerequisites, the final stage, exemptions by clearance type, reasons, reset."""

import pytest

from clearance.rules.actors import SYSTEM, Actor
from clearance.store.db import get_catalogue
from clearance.store.marks import Mark, MarkError, apply_marks, mark, preview_marks
from tests.conftest import add_students, roster_frame

NO = "20180000001"


@pytest.fixture
def one_student(store):
    add_students(store, roster_frame(1))
    return store


def state(store, stage, no=NO):
    return store.read_value(
        "SELECT state FROM stage_status WHERE student_no = $n AND stage_id = $s", {"n": no, "s": stage})


def events(store, no=NO):
    return store.read_rows("SELECT stage_id, action, state_before, state_after, reason, source"
                           " FROM events WHERE student_no = $n ORDER BY event_id", {"n": no})


def pass_all_but(store, *skip):
    ids = [s for s in get_catalogue(store).stage_ids if s not in skip and s != "gso_office"]
    apply_marks(store, SYSTEM, [Mark(NO, s, "pass") for s in ids])


def test_every_student_gets_every_stage_open(one_student):
    rows = one_student.read_rows("SELECT stage_id, state FROM stage_status")
    assert len(rows) == 12
    assert {s for _, s in rows} == {"open"}


def test_secretary_needs_the_advisor_first(one_student):
    with pytest.raises(MarkError, match="须先完成：导师"):
        mark(one_student, SYSTEM, NO, "secretary", "pass")
    assert state(one_student, "secretary") == "open"
    assert events(one_student) == []
    mark(one_student, SYSTEM, NO, "advisor", "pass")
    mark(one_student, SYSTEM, NO, "secretary", "pass")
    assert state(one_student, "secretary") == "passed"


def test_final_stage_names_every_open_stage(one_student):
    pass_all_but(one_student, "library", "card_center")
    with pytest.raises(MarkError) as err:
        mark(one_student, SYSTEM, NO, "gso_office", "pass")
    assert "最后环节" in str(err.value)
    assert "图书馆" in str(err.value) and "一卡通管理中心" in str(err.value)
    assert "财务处" not in str(err.value)


def test_not_needed_counts_as_done_for_the_final_stage(one_student):
    pass_all_but(one_student, "loan")
    mark(one_student, SYSTEM, NO, "loan", "not_needed")
    mark(one_student, SYSTEM, NO, "gso_office", "pass")
    assert state(one_student, "gso_office") == "passed"


def test_a_rejected_stage_blocks_the_final_stage(one_student):
    pass_all_but(one_student, "finance")
    mark(one_student, SYSTEM, NO, "finance", "reject", reason="欠学费 800 元")
    with pytest.raises(MarkError, match="财务处"):
        mark(one_student, SYSTEM, NO, "gso_office", "pass")


@pytest.mark.parametrize("action", ["reject", "reset"])
def test_reject_and_reset_need_a_reason(one_student, action):
    with pytest.raises(MarkError, match="必须填写原因"):
        mark(one_student, SYSTEM, NO, "library", action, reason="  ")
    assert events(one_student) == []


def test_reject_then_pass_then_reset_are_all_in_the_log(one_student):
    mark(one_student, SYSTEM, NO, "library", "reject", reason="图书未还 2 册")
    assert one_student.read_value("SELECT reason FROM stage_status WHERE stage_id='library'") == "图书未还 2 册"
    mark(one_student, SYSTEM, NO, "library", "pass", note="已还书")
    mark(one_student, SYSTEM, NO, "library", "reset", reason="误操作")
    assert state(one_student, "library") == "open"
    assert [(a, b, c) for _, a, b, c, _, _ in events(one_student)] == [
        ("reject", "open", "rejected"), ("pass", "rejected", "passed"), ("reset", "passed", "open")]


def test_reset_is_refused_while_a_dependent_stage_is_done(one_student):
    mark(one_student, SYSTEM, NO, "advisor", "pass")
    mark(one_student, SYSTEM, NO, "secretary", "pass")
    with pytest.raises(MarkError, match="须先撤销"):
        mark(one_student, SYSTEM, NO, "advisor", "reset", reason="签字有误")
    mark(one_student, SYSTEM, NO, "secretary", "reset", reason="签字有误")
    mark(one_student, SYSTEM, NO, "advisor", "reset", reason="签字有误")
    assert state(one_student, "advisor") == "open"


def test_the_same_mark_twice_changes_nothing(one_student):
    assert mark(one_student, SYSTEM, NO, "dorm", "pass").changed == 1
    again = mark(one_student, SYSTEM, NO, "dorm", "pass")
    assert (again.changed, again.unchanged) == (0, 1)
    assert len(events(one_student)) == 1


def test_bulk_is_all_or_nothing(store):
    add_students(store, roster_frame(3))
    marks = [Mark("20180000001", "party", "not_needed"), Mark("20180000002", "party", "not_needed"),
             Mark("20180000003", "secretary", "pass"), Mark("99999999", "party", "pass")]
    with pytest.raises(MarkError) as err:
        apply_marks(store, SYSTEM, marks, source="bulk")
    assert len(err.value.errors) == 2
    assert "查无此学生" in str(err.value)
    assert store.read_value("SELECT count(*) FROM events") == 0
    assert store.read_value("SELECT count(*) FROM stage_status WHERE state <> 'open'") == 0


def test_marks_in_one_call_see_each_other(one_student):
    apply_marks(one_student, SYSTEM, [Mark(NO, "advisor", "pass"), Mark(NO, "secretary", "pass")])
    assert state(one_student, "secretary") == "passed"


def test_preview_writes_nothing(store):
    add_students(store, roster_frame(2))
    plan = preview_marks(store, SYSTEM, [Mark("20180000001", "dorm", "pass"),
                                         Mark("20180000002", "secretary", "pass")], source="page")
    assert len(plan.changes) == 1 and len(plan.refusals) == 1
    assert "须先完成" in plan.refusals[0]
    assert store.read_value("SELECT count(*) FROM events") == 0


@pytest.mark.parametrize("ctype", ["结业", "肄业", "退学"])
def test_thesis_items_are_not_required_for_non_graduates(store, ctype):
    add_students(store, roster_frame(1, 离校类型=ctype))
    library = get_catalogue(store).stage("library")
    texts = [i.text for i in library.items_for(ctype)]
    assert "学位论文电子版已提交" not in texts
    assert "所借图书已全部归还" in texts
    assert "学位论文电子版已提交" in [i.text for i in library.items_for("毕业")]


def test_a_stage_not_required_for_a_type_starts_not_needed(tmp_path, monkeypatch):
    from clearance.store import config as catalogue
    from clearance.root import close_all_stores, open_store

    text = catalogue.STAGES_FILE.read_text(encoding="utf-8").replace(
        'id = "thesis_center"\nseq = 10', 'id = "thesis_center"\nseq = 10\nnot_required_for_placeholder = 1')
    text = text.replace('not_required_for_placeholder = 1\nname = "研究生教育服务中心"',
                        'name = "研究生教育服务中心"')
    # A catalogue in which the thesis centre is not needed for 退学.
    lines = text.split("\n")
    i = lines.index('id = "thesis_center"')
    j = next(k for k in range(i, len(lines)) if lines[k].startswith("not_required_for = "))
    lines[j] = 'not_required_for = ["退学"]'
    custom = tmp_path / "stages.toml"
    custom.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(catalogue, "STAGES_FILE", custom)
    s = open_store(tmp_path / "x.duckdb")
    try:
        add_students(s, roster_frame(1, 离校类型="退学"))
        assert state(s, "thesis_center") == "not_needed"
        assert events(s)[0][1:4] == ("not_needed", "open", "not_needed")
    finally:
        close_all_stores()


def test_office_staff_only_mark_their_stages(one_student):
    librarian = Actor("lib", "office", stages=frozenset({"library"}))
    mark(one_student, librarian, NO, "library", "pass")
    with pytest.raises(MarkError, match="无权办理"):
        mark(one_student, librarian, NO, "dorm", "pass")


def test_college_staff_only_mark_their_college(one_student):
    other = Actor("civil_sec", "college", college="土木工程学院", stages=frozenset({"advisor"}))
    own = Actor("cs_sec", "college", college="计算机学院", stages=frozenset({"advisor"}))
    with pytest.raises(MarkError, match="无权办理"):
        mark(one_student, other, NO, "advisor", "pass")
    mark(one_student, own, NO, "advisor", "pass")
    assert events(one_student)[0][0] == "advisor"


def test_only_the_system_may_record_for_someone_else(one_student):
    librarian = Actor("lib", "office", stages=frozenset({"library"}))
    with pytest.raises(MarkError, match="只有系统"):
        apply_marks(one_student, librarian, [Mark(NO, "library", "pass", actor_name="someone")])


@pytest.mark.parametrize("stage_id, name", [
    ("advisor", "导师"), ("secretary", "学院研究生教务秘书"), ("student_work", "学院研究生工作组"),
    ("dorm", "学生公寓管理中心"), ("thesis_center", "研究生教育服务中心"), ("gso_office", "研究生院研工办"),
])
def test_a_stage_checked_in_person_refuses_a_bulk_pass(store, stage_id, name):
    add_students(store, roster_frame(2))
    assert not get_catalogue(store).stage(stage_id).bulk
    marks = [Mark("20180000001", stage_id, "pass"), Mark("20180000002", stage_id, "not_needed")]
    with pytest.raises(MarkError) as err:
        apply_marks(store, SYSTEM, marks, source="bulk")
    assert f"学生一（20180000001）：“{name}”须逐人核对办理，不能批量通过" in err.value.errors[0]
    assert len(err.value.errors) == 2
    assert store.read_value("SELECT count(*) FROM events") == 0


def test_stages_the_handbook_lets_pass_in_bulk(store):
    add_students(store, roster_frame(2))
    catalogue = get_catalogue(store)
    bulk = {s.stage_id for s in catalogue.stages if s.bulk}
    assert bulk == {"party", "finance", "loan", "library", "hospital", "card_center"}
    marks = [Mark(no, s, "pass") for no in ("20180000001", "20180000002") for s in sorted(bulk)]
    assert apply_marks(store, SYSTEM, marks, source="bulk").changed == len(marks)


def test_the_bulk_setting_must_be_true_or_false():
    from clearance.rules.catalogue import CatalogueError, parse_catalogue
    from clearance.store.config import STAGES_FILE

    text = STAGES_FILE.read_text(encoding="utf-8").replace("bulk = false", 'bulk = "no"', 1)
    with pytest.raises(CatalogueError, match="bulk 只能是 true 或 false"):
        parse_catalogue(text)


@pytest.mark.parametrize("status", ["中共党员", "中共预备党员"])
def test_a_party_member_cannot_be_marked_not_needed_at_the_party_branch(store, status):
    add_students(store, roster_frame(1, 政治面貌=status))
    with pytest.raises(MarkError) as err:
        mark(store, SYSTEM, NO, "party", "not_needed")
    assert err.value.errors == [f"学生一（{NO}）：{status}须转出党组织关系，“学院党委/党总支”不能标记为无需办理"]
    assert state(store, "party") == "open"
    # The same in a bulk: the whole call is refused.
    with pytest.raises(MarkError):
        apply_marks(store, SYSTEM, [Mark(NO, "party", "not_needed")], source="bulk")
    assert mark(store, SYSTEM, NO, "party", "pass").changed == 1  # transferred: passed


def test_a_non_member_may_be_not_needed_and_the_rule_is_the_catalogues(store):
    import dataclasses

    add_students(store, roster_frame(1, 政治面貌="共青团员"))
    assert mark(store, SYSTEM, NO, "party", "not_needed").changed == 1
    catalogue = get_catalogue(store)
    assert [s.stage_id for s in catalogue.stages if s.not_needed_only_for_non_members] == ["party"]
    # Another stage (no such setting) may mark a party member 无需办理.
    add_students(store, roster_frame(1, 政治面貌="中共党员", 学号="20180000009"))
    assert mark(store, SYSTEM, "20180000009", "loan", "not_needed").changed == 1
    # Switched off in the catalogue, the party branch may too.
    party = dataclasses.replace(catalogue.stage("party"), not_needed_only_for_non_members=False)
    store.catalogue = dataclasses.replace(
        catalogue, stages=tuple(party if s.stage_id == "party" else s for s in catalogue.stages))
    assert mark(store, SYSTEM, "20180000009", "party", "not_needed").changed == 1
