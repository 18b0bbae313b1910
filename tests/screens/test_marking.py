"""The marking page (办理) through AppTest over the demo store: find, mark, refuse, scope."""

import threading
from datetime import timedelta

from clearance.store.db import get_catalogue
from clearance.adapters.sessions import SESSION_IDLE_MINUTES
from clearance.clock import beijing_now
from tests.conftest import evidence, add_students, roster_frame, sign_in_apptest
from tests.screens.apptest_helpers import button, fill_evidence, lookup, page_test, texts


def _student(store, where: str, params: dict | None = None) -> dict:
    rows = store.read_dicts(
        "SELECT s.* FROM students s JOIN stage_status x USING (student_no) WHERE " + where +
        " ORDER BY s.student_no LIMIT 1", params or {})
    assert rows, where
    return rows[0]


def _state(store, no: str, stage: str) -> str:
    return store.read_value("SELECT state FROM stage_status WHERE student_no=$n AND stage_id=$s",
                            {"n": no, "s": stage})


def test_library_desk_finds_by_number_and_passes(desk_store):
    s = _student(desk_store, "x.stage_id='library' AND x.state='open'")
    at = lookup(page_test("marking.py", "lib_staff").run(), s["student_no"])
    assert not at.exception
    assert s["name"] in texts(at)
    assert "核对事项" in texts(at) and "所借图书已全部归还 *" in [c.label for c in at.checkbox]
    button(at, "通过").click().run()  # nothing ticked: refused with what is missing
    assert "通过须核对：所借图书已全部归还" in texts(at)
    assert _state(desk_store, s["student_no"], "library") == "open"
    fill_evidence(at, "evidence_library")
    button(at, "通过").click().run()
    assert _state(desk_store, s["student_no"], "library") == "passed"
    assert "已通过" in texts(at)
    event = desk_store.read_dicts("SELECT * FROM events WHERE student_no=$n ORDER BY event_id DESC LIMIT 1",
                                  {"n": s["student_no"]})[0]
    assert (event["actor"], event["source"], event["stage_id"]) == ("lib_staff", "page", "library")


def _found(at) -> str:
    """What a lookup shows: the student heading, or the choices when several match."""
    pickers = [w for w in list(at.radio) + list(at.selectbox) if w.key == "desk_pick"]
    choices = list(pickers[0].options) if pickers else []
    return texts(at) + "\n".join(choices)


def test_full_width_digits_find_the_student(desk_store):
    s = _student(desk_store, "x.stage_id='dorm' AND x.state='open'")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in s["student_no"])  # ２０１６…
    at = lookup(page_test("marking.py", "dorm_staff").run(), "　" + full_width + " ")
    assert not at.exception
    assert f"{s['name']}　{s['student_no']}" in texts(at)
    assert "未找到" not in texts(at)


def test_find_by_pinyin_initials_and_by_name(desk_store):
    s = _student(desk_store, "x.stage_id='dorm' AND length(s.name)=3")
    at = lookup(page_test("marking.py", "dorm_staff").run(), s["name_initials"])
    assert not at.exception
    assert s["name"] in _found(at)
    at = lookup(page_test("marking.py", "dorm_staff").run(), s["name"])
    assert s["name"] in _found(at)
    at = lookup(page_test("marking.py", "dorm_staff").run(), "不存在的人")
    assert "未找到" in texts(at)


def test_reject_needs_a_reason_the_student_will_see(desk_store):
    s = _student(desk_store, "x.stage_id='dorm' AND x.state='open'")
    at = lookup(page_test("marking.py", "dorm_staff").run(), s["student_no"])
    button(at, "不通过").click().run()
    assert "必须填写原因" in texts(at)
    assert _state(desk_store, s["student_no"], "dorm") == "open"
    at.text_input(key="act_reason").input("钥匙未归还")
    button(at, "不通过").click().run()
    row = desk_store.read_dicts("SELECT state, reason FROM stage_status WHERE student_no=$n AND stage_id='dorm'",
                                {"n": s["student_no"]})[0]
    assert row == {"state": "rejected", "reason": "钥匙未归还"}
    # 撤销 is its own action: a confirmation with a staff-only note, never the reason box.
    button(at, "撤销…").click().run()
    button(at, "确认撤销").click().run()  # no note: refused, nothing changes
    assert "撤销必须填写说明" in texts(at)
    assert _state(desk_store, s["student_no"], "dorm") == "rejected"
    button(at, "撤销…").click().run()
    at.text_input(key="reset_note").input("误判，钥匙已在前台登记归还")
    button(at, "确认撤销").click().run()
    row = desk_store.read_dicts("SELECT state, reason FROM stage_status WHERE student_no=$n AND stage_id='dorm'",
                                {"n": s["student_no"]})[0]
    assert row == {"state": "open", "reason": None}  # the student sees × 未办理, no reason
    note = desk_store.read_value("SELECT note FROM events WHERE student_no=$n AND action='reset'",
                                 {"n": s["student_no"]})
    assert note == "误判，钥匙已在前台登记归还"
    from ui.student_lookup import student_view
    view_text = repr(student_view(s["student_no"]))
    assert "误判" not in view_text and "钥匙未归还" not in view_text


def test_last_stage_refused_while_library_is_open_names_the_open_stages(desk_store):
    s = _student(desk_store, "x.stage_id='library' AND x.state IN ('open','rejected')")
    at = lookup(page_test("marking.py", "gso_staff").run(), s["student_no"])
    button(at, "通过").click().run()
    message = "\n".join(e.value for e in at.error)
    assert "最后环节" in message and "图书馆" in message
    # Says the action was not carried out, not something that reads like the student's status.
    assert message.startswith("操作未执行：") and "未办理：" not in message
    assert _state(desk_store, s["student_no"], "gso_office") == "open"


def test_college_staff_find_only_their_college(desk_store):
    other = _student(desk_store, "s.college <> '计算机学院'")
    at = lookup(page_test("marking.py", "cs_secretary").run(), other["student_no"])
    unknown = lookup(page_test("marking.py", "cs_secretary").run(), "20009999999")
    # The same answer as for a number nobody has: nothing about other colleges' students.
    assert texts(at).replace(other["student_no"], "X") == texts(unknown).replace("20009999999", "X")
    assert "计算机学院的学生中未找到" in texts(at)
    assert other["name"] not in texts(at)
    assert not [b for b in at.button if b.label == "通过"]
    mine = _student(desk_store, "s.college = '计算机学院'")
    at = lookup(at, mine["student_no"])
    assert mine["name"] in texts(at)
    # The secretary holds two stages and picks one.
    assert list(at.radio(key="desk_stage").options) == ["导师", "学院研究生教务秘书"]


def test_instant_mode_passes_on_enter(desk_store):
    s = _student(desk_store, "x.stage_id='card_center' AND x.state='open'")
    balance = desk_store.read_value("SELECT coalesce(max(balance), 0) FROM card_bindings WHERE student_no=$n",
                                    {"n": s["student_no"]})
    at = page_test("marking.py", "card_staff").run()
    at.toggle(key="instant_pass").set_value(True).run()
    fill_evidence(at, "evidence_card_center", amount=str(balance))
    at = lookup(at, s["student_no"])
    assert _state(desk_store, s["student_no"], "card_center") == "passed"
    assert "已通过" in texts(at)


def test_instant_mode_does_not_overturn_a_rejection(desk_store):
    from clearance.store.accounts import get_actor
    from clearance.store.marks import mark

    add_students(desk_store, roster_frame(1, college="计算机学院"))
    no = "20180000001"
    mark(desk_store, get_actor(desk_store, "card_staff"), no, "card_center", "reject", reason="卡内余额未结算")
    at = page_test("marking.py", "card_staff").run()
    at.toggle(key="instant_pass").set_value(True).run()
    fill_evidence(at, "evidence_card_center")
    at = lookup(at, no)
    assert _state(desk_store, no, "card_center") == "rejected"
    refused = "\n".join(w.value for w in at.error)
    assert "此前为 × 不通过（卡内余额未结算），须逐人确认后才能通过" in refused
    assert "已通过" not in texts(at)
    # The decision is left to one visible key (F2 on the button), recorded with its note.
    assert not [b for b in at.button if b.label == "通过"]
    button(at, "F2 问题已解决，通过").click().run()
    assert _state(desk_store, no, "card_center") == "passed"
    assert desk_store.read_value("SELECT note FROM events WHERE student_no=$n AND action='pass'",
                                 {"n": no}) == "问题已解决"


def test_secretary_passes_the_signed_form_as_both_stages_in_one_action(desk_store):
    add_students(desk_store, roster_frame(1, college="计算机学院"))
    no = "20180000001"
    at = lookup(page_test("marking.py", "cs_secretary").run(), no)
    assert at.radio(key="desk_stage").value == "secretary"  # the form's last stage
    fill_evidence(at, "evidence_advisor")
    fill_evidence(at, "evidence_secretary")
    button(at, "通过（导师 + 学院研究生教务秘书）").click().run()
    assert desk_store.read_rows("SELECT stage_id, action FROM events WHERE student_no=$n ORDER BY event_id",
                                {"n": no}) == [("advisor", "pass"), ("secretary", "pass")]
    assert "“导师”“学院研究生教务秘书”已通过" in texts(at)


def test_a_rejected_student_shows_the_reason_prominently(desk_store):
    from clearance.store.accounts import get_actor
    from clearance.store.marks import mark

    add_students(desk_store, roster_frame(1, college="计算机学院"))
    no = "20180000001"
    mark(desk_store, get_actor(desk_store, "dorm_staff"), no, "dorm", "reject", reason="钥匙未归还")
    at = lookup(page_test("marking.py", "dorm_staff").run(), no)
    assert "此前不通过，原因：钥匙未归还" in "\n".join(e.value for e in at.error)
    assert _state(desk_store, no, "dorm") == "rejected"


def test_two_students_of_the_same_name_are_not_preselected(desk_store):
    twins = roster_frame(2, college="计算机学院", 姓名="欧阳同名")
    add_students(desk_store, twins)
    at = lookup(page_test("marking.py", "dorm_staff").run(), "欧阳同名")
    assert not at.exception
    pick = at.radio(key="desk_pick")
    assert pick.value is None and len(pick.options) == 2
    assert not [b for b in at.button if b.label in ("通过", "无需办理", "不通过", "撤销")]
    pick.set_value("20180000002").run()
    assert "欧阳同名　20180000002" in texts(at)
    fill_evidence(at, "evidence_dorm")
    button(at, "通过").click().run()
    assert _state(desk_store, "20180000002", "dorm") == "passed"
    assert _state(desk_store, "20180000001", "dorm") == "open"


def test_a_search_cut_at_fifty_says_so(desk_store):
    many = roster_frame(60, college="计算机学院", 姓名="测试同名")
    add_students(desk_store, many)
    at = lookup(page_test("marking.py", "dorm_staff").run(), "测试同名")
    assert "仅显示前 50 名，请输入更完整的学号或姓名" in texts(at)
    assert len(at.selectbox(key="desk_pick").options) == 50
    at = lookup(page_test("marking.py", "dorm_staff").run(), "万")  # few or none: no warning
    assert "仅显示前" not in texts(at)


def test_graduate_school_sees_the_row_and_history_read_only(desk_store):
    s = _student(desk_store, "x.stage_id='library' AND x.state='passed'")
    at = lookup(page_test("marking.py", "gs").run(), s["student_no"])
    assert not at.exception
    assert at.title[0].value == "学生详情"
    assert s["name"] in texts(at)
    assert not [b for b in at.button if b.label == "通过"]
    assert len(at.table) == 1 and len(at.dataframe) == 1  # the row and the history
    row = at.table[0].value
    assert list(row["环节"]) == [s.name for s in get_catalogue(desk_store).stages]


def test_expired_session_asks_to_sign_in_again(desk_store):
    at = page_test("marking.py", None)
    sign_in_apptest(at, "lib_staff", now=beijing_now() - timedelta(minutes=SESSION_IDLE_MINUTES + 1))
    at.run()
    assert "登录已过期" in texts(at)
    assert [b.label for b in at.button] == ["登录"]


DESKS = {"dorm_staff": "dorm", "thesis_staff": "thesis_center", "lib_staff": "library",
         "loan_staff": "loan", "hospital_staff": "hospital", "finance_staff": "finance",
         "cs_work": "student_work", "cs_party": "party"}


def _passed(store, students) -> int:
    return store.read_value(
        "SELECT count(*) FROM stage_status WHERE student_no IN (SELECT unnest($n))"
        " AND stage_id IN (SELECT unnest($s)) AND state='passed'",
        {"n": students, "s": list(DESKS.values())})


def test_many_sessions_on_the_same_students_lose_nothing(desk_store):
    """Eight desks (AppTest sessions) each draw the same student, then all press 通过 on pages
    drawn before the others' marks: every pass lands, in the log and in the status."""
    add_students(desk_store, roster_frame(6, college="计算机学院"))  # every stage open
    students = [f"2018{i + 1:07d}" for i in range(6)]
    before = desk_store.read_value("SELECT count(*) FROM events")
    sessions = {u: page_test("marking.py", u).run() for u in DESKS}
    for no in students:
        for u in DESKS:
            sessions[u] = lookup(sessions[u], no)
        for u in DESKS:
            sessions[u] = fill_evidence(sessions[u], f"evidence_{DESKS[u]}")
        for u in DESKS:
            sessions[u] = button(sessions[u], "通过").click().run()
            assert not sessions[u].exception
            assert "已通过" in texts(sessions[u]), (u, texts(sessions[u]))
    assert _passed(desk_store, students) == len(students) * len(DESKS)
    assert desk_store.read_value("SELECT count(*) FROM events") - before == len(students) * len(DESKS)


def test_threads_through_the_page_write_path_lose_nothing(desk_store):
    """The page's write path (ui.marking_pages.mark_at_desk) from eight threads at once, as Streamlit
    runs sessions: every pass is recorded once, status in step with the log."""
    from clearance.store.accounts import get_actor
    from clearance.store.db import get_catalogue
    from ui.marking_pages import mark_at_desk

    add_students(desk_store, roster_frame(40, college="计算机学院"))
    students = [f"2018{i + 1:07d}" for i in range(40)]
    catalogue = get_catalogue(desk_store)
    before = desk_store.read_value("SELECT count(*) FROM events")
    outcomes = []

    def desk(username, stage_id):
        actor, stage = get_actor(desk_store, username), catalogue.stage(stage_id)
        for no in students:
            outcomes.append(mark_at_desk(actor, no, stage, "pass", None, no, "ip:test",
                                         evidence(stage_id))[0])

    threads = [threading.Thread(target=desk, args=item) for item in DESKS.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(True) == len(students) * len(DESKS)
    assert _passed(desk_store, students) == len(students) * len(DESKS)
    assert desk_store.read_value("SELECT count(*) FROM events") - before == len(students) * len(DESKS)
    assert desk_store.read_value("SELECT max(event_id) - count(*) FROM events") == 0


def test_ticks_for_one_student_do_not_carry_to_the_next(desk_store):
    """Evidence is per student: looking up the next student starts with nothing ticked, so a
    pass cannot carry what was checked for someone else."""
    add_students(desk_store, roster_frame(2, college="计算机学院"))
    at = lookup(page_test("marking.py", "dorm_staff").run(), "20180000001")
    fill_evidence(at, "evidence_dorm")
    assert all(c.value for c in at.checkbox if c.key.startswith("evidence_dorm_item_"))
    at = lookup(at, "20180000002")
    assert not any(c.value for c in at.checkbox if c.key.startswith("evidence_dorm_item_"))
    button(at, "通过").click().run()
    assert "通过须核对：寝室钥匙已退还" in texts(at)
    assert _state(desk_store, "20180000002", "dorm") == "open"
