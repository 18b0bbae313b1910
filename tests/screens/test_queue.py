"""The pending queue (待办名单): scope, filters, bulk pass with confirmation in one transaction,
the party branch's one action for non-members, and a pasted list with a preview."""

from clearance.store.db import get_catalogue
from tests.conftest import evidence, add_students, roster_frame
from tests.screens.apptest_helpers import button, fill_evidence, page_test, texts


def _pending(at):
    return at.dataframe[0].value


def test_college_staff_see_only_their_college(desk_store):
    at = page_test("queue.py", "cs_work").run()
    assert not at.exception
    colleges = set(_pending(at)["学院"])
    assert colleges == {"计算机学院"}
    assert at.selectbox(key="q_college").disabled
    expected = desk_store.read_value(
        "SELECT count(*) FROM stage_status JOIN students USING (student_no) WHERE stage_id='student_work'"
        " AND state IN ('open','rejected') AND college='计算机学院'")
    assert len(_pending(at)) == expected


def test_filters_narrow_the_queue(desk_store):
    at = page_test("queue.py", "lib_staff").run()
    everyone = len(_pending(at))
    at.selectbox(key="q_campus").select("虎溪").run()
    tiger = _pending(at)
    assert 0 < len(tiger) < everyone and set(tiger["校区"]) == {"虎溪"}
    at.selectbox(key="q_level").select("博士").run()
    assert set(_pending(at)["层次"]) <= {"博士"}


def test_selected_rows_are_passed_after_confirmation_in_one_go(desk_store):
    add_students(desk_store, roster_frame(5, college="计算机学院"))
    at = page_test("queue.py", "hospital_staff").run()
    table = _pending(at)
    ours = [i for i, no in enumerate(table["学号"]) if no.startswith("2018000000")]
    key = "queue_table_hospital_0"  # the list's version is part of the key
    at.session_state[key] = {"selection": {"rows": ours[:3], "columns": []}}
    at.run()
    button(at, "通过所选 3 人").click().run()
    assert "将通过 0 人" in texts(at) and "不能办理 3 人" in texts(at)  # nothing ticked yet
    fill_evidence(at, "bulk_evidence_hospital")
    assert "将通过 3 人" in texts(at)
    before = desk_store.read_value("SELECT count(*) FROM events")
    button(at, "确认通过 3 人").click().run()
    assert "已通过 3 人" in texts(at)
    chosen = list(table.iloc[ours[:3]]["学号"])
    assert desk_store.read_value(
        "SELECT count(*) FROM stage_status WHERE stage_id='hospital' AND state='passed'"
        " AND student_no IN (SELECT unnest($n))", {"n": chosen}) == 3
    # One transaction: three events with consecutive ids, source bulk.
    rows = desk_store.read_rows("SELECT event_id, source FROM events WHERE event_id > (SELECT max(event_id) - 3 FROM events)")
    assert desk_store.read_value("SELECT count(*) FROM events") - before == 3
    assert {r[1] for r in rows} == {"bulk"}
    # The changed list gets a new key, so the old positional selection does not carry over.
    assert at.session_state["queue_version"] == 1
    assert "通过所选 0 人" in [b.label for b in at.button]


def test_party_branch_marks_all_non_members_in_one_action(desk_store):
    members = roster_frame(2, college="计算机学院", 政治面貌="中共党员")
    others = roster_frame(3, college="计算机学院", 政治面貌="共青团员")
    others["学号"] = [f"2018100000{i}" for i in range(3)]
    add_students(desk_store, members)
    add_students(desk_store, others)
    at = page_test("queue.py", "cs_party").run()
    button(at, "非党员一键标记“无需办理”（3 人）").click().run()
    button(at, "确认无需办理 3 人").click().run()
    states = dict(desk_store.read_rows(
        "SELECT student_no, state FROM stage_status WHERE stage_id='party' AND student_no LIKE '2018%'"))
    assert [states[n] for n in others["学号"]] == ["not_needed"] * 3
    assert [states[n] for n in members["学号"]] == ["open"] * 2


def test_a_pasted_list_is_previewed_before_anything_is_written(desk_store):
    add_students(desk_store, roster_frame(3, college="计算机学院"))
    at = page_test("queue.py", "loan_staff").run()
    at.text_area(key="list_text").input("20180000001\n20180000002\n99999999999\n20180000001")
    before = desk_store.read_value("SELECT count(*) FROM events")
    button(at, "预览").click().run()
    fill_evidence(at, "bulk_evidence_loan")
    assert "将通过 2 人" in texts(at) and "未找到 1 个学号" in texts(at)
    assert desk_store.read_value("SELECT count(*) FROM events") == before
    button(at, "确认通过 2 人").click().run()
    assert desk_store.read_value("SELECT count(*) FROM events") == before + 2


def test_bulk_refusals_are_listed_not_written(desk_store):
    """Refusals (here: a party member cannot be 无需办理) are listed in the preview, not written."""
    add_students(desk_store, roster_frame(2, college="计算机学院", 政治面貌="中共党员"))
    at = page_test("queue.py", "cs_party").run()
    at.session_state["bulk"] = {"stage": "party", "action": "not_needed", "title": "测试",
                                "nos": ["20180000001", "20180000002"], "unmatched": []}
    at.run()
    assert "不能办理 2 人" in texts(at)
    assert button(at, "确认无需办理 0 人").disabled


def test_a_pasted_list_does_not_name_another_colleges_students(desk_store):
    civil = roster_frame(2, college="土木工程学院", 姓名="周建辉")
    add_students(desk_store, civil)
    mine = roster_frame(1, college="计算机学院")
    mine["学号"] = ["20189999999"]
    add_students(desk_store, mine)
    at = page_test("queue.py", "cs_party").run()
    at.text_area(key="list_text").input("20180000001 20180000002 20189999999")
    button(at, "预览").click().run()
    fill_evidence(at, "bulk_evidence_party")
    shown = texts(at) + "\n".join(t.value for t in at.text) + "\n".join(e.label for e in at.expander)
    # Another college's students are "not found", exactly like a number nobody has.
    assert "将通过 1 人" in shown and "本学院中未找到 2 个学号" in shown
    assert "不是本学院" not in shown
    assert "周建辉" not in shown and "土木工程学院" not in shown
    before = desk_store.read_value("SELECT count(*) FROM events")
    button(at, "确认通过 1 人").click().run()
    assert desk_store.read_value("SELECT count(*) FROM events") == before + 1
    assert desk_store.read_value("SELECT state FROM stage_status WHERE student_no='20189999999'"
                                 " AND stage_id='party'") == "passed"


def test_a_stage_checked_in_person_lists_who_waits_but_offers_no_bulk_pass(desk_store):
    """Dorm keys are returned in person: the queue lists who is waiting and points to 办理."""
    add_students(desk_store, roster_frame(3, college="计算机学院"))
    at = page_test("queue.py", "dorm_staff").run()
    assert not at.exception
    assert "须逐人核对办理" in texts(at) and "办理" in texts(at)
    assert {"20180000001", "20180000002", "20180000003"} <= set(_pending(at)["学号"])
    assert not [b for b in at.button if b.label.startswith("通过所选") or b.label == "预览"]
    assert len(at.text_area) == 0 and len(at.checkbox) == 0
    # A bulk proposal left in the session (e.g. from before a catalogue change) is not shown.
    at.session_state["bulk"] = {"stage": "dorm", "action": "pass", "nos": ["20180000001"],
                                "title": "x", "unmatched": []}
    at.run()
    assert not [b for b in at.button if b.label.startswith("确认")]


def test_the_queue_names_the_other_open_stages(desk_store):
    from clearance.store.accounts import get_actor
    from clearance.store.marks import mark

    add_students(desk_store, roster_frame(1, college="计算机学院"))
    mark(desk_store, get_actor(desk_store, "lib_staff"), "20180000001", "library", "pass",
         evidence=evidence("library"))
    at = page_test("queue.py", "dorm_staff").run()
    row = _pending(at).set_index("学号").loc["20180000001"]
    expected = "、".join(s.name for s in get_catalogue(desk_store).stages
                        if s.stage_id not in ("dorm", "library"))
    assert row["其他未完成环节"] == expected


def test_the_last_stage_shows_by_default_only_students_ready_for_it(desk_store):
    at = page_test("queue.py", "gso_staff").run()
    assert not at.exception
    toggle = at.toggle(key="q_ready_gso_office")
    assert toggle.value is True
    ready = _pending(at)
    assert len(ready) > 0 and set(ready["其他未完成环节"]) == {"—（均已 ✓）"}
    toggle.set_value(False).run()
    everyone = _pending(at)
    assert len(everyone) > len(ready)
    assert everyone["其他未完成环节"].str.contains("、|图书馆|财务处").any()
