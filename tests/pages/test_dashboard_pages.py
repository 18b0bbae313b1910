"""The overview, college, diploma and spot-check pages in AppTest over the demo store."""

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from clearance.root import close_all_stores
from tests.conftest import sign_in_apptest

ROOT = Path(__file__).resolve().parents[2]


def page(name: str, username: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    return sign_in_apptest(at, username).run()


def metrics(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def fmt(n: int) -> str:
    return f"{n:,}"


def count(db_path, sql):
    close_all_stores()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


CLEARED = ("SELECT count(*) FROM (SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)"
           " WHERE {where} GROUP BY 1 HAVING bool_and(x.state IN ('passed', 'not_needed')))")


def test_overview_shows_the_stores_numbers_and_refuses_college_staff(demo_env):
    at = page("overview", "gs")
    assert not at.exception
    m = metrics(at)
    assert "本批次集中办理期已结束" in at.info[0].value
    at.selectbox(key="ov_level").select("博士").run()
    assert not at.exception
    doctors = metrics(at)
    assert m["离校学生"] == fmt(count(demo_env, 'SELECT count(*) FROM students'))
    assert m["全部办结"] == fmt(count(demo_env, CLEARED.format(where='TRUE')))
    assert doctors["离校学生"] == fmt(count(demo_env, "SELECT count(*) FROM students WHERE level = '博士'"))
    assert doctors["全部办结"] == fmt(count(demo_env, CLEARED.format(where="s.level = '博士'")))
    refused = page("overview", "cs_secretary")
    assert "无权访问" in refused.error[0].value and not refused.metric


def test_choosing_a_heat_map_cell_lists_its_lagging_students(demo_env):
    at = page("overview", "admin")
    at.selectbox(key="cell_college").select("法学院")
    at.selectbox(key="cell_stage").select("library").run()
    assert not at.exception
    shown = [md.value for md in at.markdown if md.value.startswith("**法学院 · 图书馆**")]
    expected = count(demo_env, "SELECT count(*) FROM stage_status x JOIN students s USING (student_no)"
                               " WHERE s.college = '法学院' AND x.stage_id = 'library'"
                               " AND x.state NOT IN ('passed', 'not_needed')")
    assert shown == [f"**法学院 · 图书馆**：当前未办结 {expected} 人"]


def test_college_staff_see_their_own_college(demo_env):
    at = page("college", "civil_secretary")
    assert not at.exception
    assert at.title[0].value == "土木工程学院 · 离校催办"
    assert not [s for s in at.selectbox if s.key == "college_page_college"]
    m = metrics(at)
    where = "s.college = '土木工程学院'"
    assert m["本院离校学生"] == fmt(count(demo_env, "SELECT count(*) FROM students WHERE college = '土木工程学院'"))
    assert m["本院全部办结"] == fmt(count(demo_env, CLEARED.format(where=where)))
    lagging = at.dataframe[0].value
    assert set(lagging.columns) >= {"学号", "姓名", "未办环节", "办理地点及电话", "手机"}
    students = count(demo_env, "SELECT count(*) FROM students WHERE college = '土木工程学院'")
    assert len(lagging) == students - count(demo_env, CLEARED.format(where=where))
    assert "【离校通】" in at.code[0].value


def test_gradschool_chooses_a_college(demo_env):
    at = page("college", "gs")
    at.selectbox(key="college_page_college").select("法学院").run()
    assert not at.exception
    assert at.title[0].value == "法学院 · 离校催办"


def test_diploma_desk_records_a_hand_over_with_the_recorder(demo_env):
    cleared_no = count(demo_env, CLEARED.replace("count(*)", "min(student_no)", 1).format(
        where="s.college = '计算机学院' AND s.clearance_type = '毕业'"))
    open_no = count(demo_env, "SELECT min(student_no) FROM stage_status WHERE state = 'open'"
                              " AND student_no IN (SELECT student_no FROM students WHERE college = '计算机学院')")
    at = page("diplomas", "cs_secretary")
    assert not at.exception
    before = metrics(at)
    assert before["可领证学生（全部办结）"] == fmt(count(demo_env, CLEARED.format(where="s.college = '计算机学院'")))
    at.text_input(key="handover_no").input(open_no)
    at.button[0].click().run()
    assert "尚未全部办结" in at.error[0].value  # the domain refuses; the page says why
    at.text_input(key="handover_no").input(cleared_no)
    at.selectbox(key="handover_kind").select("degree")
    at.text_input[1].input("王五（代领）")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "已登记" in at.success[0].value
    assert metrics(at)["已登记发放（份）"] == "1"
    row = count(demo_env, "SELECT student_no || '/' || kind || '/' || received_by || '/' || recorded_by"
                          " FROM diploma_handovers")
    assert row == f"{cleared_no}/degree/王五（代领）/cs_secretary"


def test_spot_check_draw_and_outcome(demo_env):
    at = page("spot_checks", "gs")
    assert not at.exception
    at.selectbox(key="draw_stage").select("library")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "已抽取第 1 次抽查，共 10 条" in at.success[0].value
    assert len(at.dataframe[0].value) == 10
    assert set(at.dataframe[0].value["环节"]) == {"图书馆"}
    at.radio[0].set_value("problem")
    at.text_input[0].input("无还书记录")
    [b for b in at.button if b.label == "记录核查结果"][0].click().run()
    assert not at.exception
    assert at.dataframe[0].value["核查结果"].iloc[0] == "发现问题"
    assert count(demo_env, "SELECT note FROM spot_check_outcomes") == "无还书记录"
