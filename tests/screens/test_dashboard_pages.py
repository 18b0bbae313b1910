"""The overview, college, diploma and spot-check pages in AppTest over the demo store."""

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from clearance.root import close_all_stores
from tests.conftest import sign_in_apptest

ROOT = Path(__file__).resolve().parents[2]


def page(name: str, username: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / f"{name}.py"), default_timeout=60)
    return sign_in_apptest(at, username).run()


def download_labels(at: AppTest) -> list[str]:
    """The pages' download links (ui/downloads.py), by label."""
    return [re.search(r"</span>([^<]+)</a>", h.value)[1] for h in at.html if 'href="/download/' in h.value]


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


def _cell_line(at, college: str, stage: str) -> list[str]:
    return [md.value for md in at.markdown if md.value.startswith(f"**{college} · {stage}**")]


def test_choosing_a_heat_map_cell_lists_its_lagging_students(demo_env):
    at = page("overview", "admin")
    at.selectbox(key="cell_college").select("法学院")
    at.selectbox(key="cell_stage").select("library").run()
    assert not at.exception
    expected = count(demo_env, "SELECT count(*) FROM stage_status x JOIN students s USING (student_no)"
                               " WHERE s.college = '法学院' AND x.stage_id = 'library'"
                               " AND x.state NOT IN ('passed', 'not_needed')")
    assert _cell_line(at, "法学院", "图书馆") == [f"**法学院 · 图书馆**：截至 07-02 日终未办结 {expected} 人（未办环节为当日终状态）"]


def test_the_drill_down_follows_the_as_of_day_and_the_college_filter(demo_env):
    at = page("overview", "gs")
    at.date_input(key="as_of").set_value(date(2018, 6, 28))
    at.selectbox(key="cell_college").select("机械工程学院")
    at.selectbox(key="cell_stage").select("library").run()
    assert not at.exception
    assert _cell_line(at, "机械工程学院", "图书馆") == [
        "**机械工程学院 · 图书馆**：截至 06-28 日终未办结 109 人（未办环节为当日终状态）"]
    assert len(at.dataframe[0].value) == 109
    at.selectbox(key="ov_college").select("计算机学院").run()
    assert not at.exception
    assert at.selectbox(key="cell_college").options == ["计算机学院"]
    assert at.selectbox(key="cell_college").value == "计算机学院"
    assert not _cell_line(at, "机械工程学院", "图书馆")


def test_a_day_outside_the_batch_is_refused(demo_env):
    """The box offers the batch's days only; a day before it sent anyway is not applied."""
    at = page("overview", "gs")
    box = at.date_input(key="as_of")
    assert (box.min, box.max) == (date(2018, 6, 25), date(2018, 7, 2))
    at.date_input(key="as_of").set_value(date(2018, 6, 20)).run()
    assert not at.exception
    shown = {m.label for m in at.metric}
    assert "今日办结（06-20）" not in shown and "今日办结（07-02）" in shown


def test_overview_shows_todays_change_the_blocker_and_the_report(demo_env):
    at = page("overview", "gs")
    at.date_input(key="as_of").set_value(date(2018, 6, 28)).run()
    assert not at.exception
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["全部办结"].startswith("+") and "人" in deltas["全部办结"]
    assert "个百分点" in deltas["办结率"]
    blocking = at.dataframe[-1].value
    assert list(blocking.columns) == ["环节", "未办人数", "可立即办结", "先卡在别处", "中位用时（天）"]
    assert "研究生院研工办" not in set(blocking["环节"])  # shown apart
    assert list(blocking["可立即办结"]) == sorted(blocking["可立即办结"], reverse=True)
    assert any("最后一站 · 研究生院研工办" in md.value and "可立即办结" in md.value for md in at.markdown)
    assert download_labels(at) == ["下载领导报告（PDF）"]


def test_college_staff_see_their_own_college(demo_env):
    at = page("college", "civil_secretary")
    assert not at.exception
    assert at.title[0].value == "土木工程学院 · 离校催办"
    assert not [s for s in at.selectbox if s.key == "college_page_college"]
    m = metrics(at)
    where = "s.college = '土木工程学院'"
    assert m["本院离校学生"] == fmt(count(demo_env, "SELECT count(*) FROM students WHERE college = '土木工程学院'"))
    assert m["本院全部办结"] == fmt(count(demo_env, CLEARED.format(where=where)))
    students = count(demo_env, "SELECT count(*) FROM students WHERE college = '土木工程学院'")
    lagging = students - count(demo_env, CLEARED.format(where=where))
    assert any(h.value == f"未办结学生（{lagging} 人）" for h in at.subheader)
    cards = next(h.value for h in at.html if "lag-list" in h.value)
    assert "需携带材料" in cards and 'href="tel:' in cards and "下一站" in cards
    assert "【离校通】" in at.code[0].value and len(at.code[0].value) <= 70


def test_one_click_filters_and_the_reminder_record(demo_env):
    at = page("college", "cs_secretary")
    at.pills(key="cl_quick").set_value("college_only").run()
    assert not at.exception
    per_student = ("SELECT x.student_no, list(x.stage_id) FILTER (WHERE x.state NOT IN ('passed', 'not_needed'))"
                   " AS open FROM stage_status x JOIN students s USING (student_no)"
                   " WHERE s.college = '计算机学院' GROUP BY 1")
    college_only = count(demo_env, f"SELECT count(*) FROM ({per_student}) WHERE len(open) > 0 AND"
                                   " len(list_filter(open, lambda s: s <> 'gso_office')) > 0 AND"
                                   " list_filter(open, lambda s: s NOT IN ('gso_office', 'advisor', 'secretary',"
                                   " 'student_work', 'party')) = []")
    assert any(h.value == f"未办结学生（{college_only} 人）" for h in at.subheader)
    at.pills(key="cl_quick").set_value("finish_now").run()
    finish_now = count(demo_env, f"SELECT count(*) FROM ({per_student}) WHERE len(open) > 0 AND"
                                 " len(list_filter(open, lambda s: s <> 'gso_office')) <= 1")
    assert any(h.value == f"未办结学生（{finish_now} 人）" for h in at.subheader)
    at.button(key="cl_record_all").click().run()
    assert not at.exception
    assert f"已登记：{finish_now} 人已短信提醒" in at.success[0].value
    sends = at.dataframe[-1].value
    assert list(sends["人数"]) == [finish_now] and sends["提醒人"].iloc[0] == "计算机学院研究生教务秘书"
    assert "已提醒" in next(h.value for h in at.html if "lag-list" in h.value)
    assert count(demo_env, "SELECT count(DISTINCT student_no) FROM reminders WHERE sent_by = 'cs_secretary'") \
        == finish_now


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
    assert "已登记" in at.success[0].value and "学位证书" in at.success[0].value
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
    # What the desk recorded with each pass is there to check against (issue 10).
    recorded = at.dataframe[0].value["办理时记录的核对材料"]
    assert all("已核对：所借图书已全部归还" in r and "已缴超期违约金：" in r for r in recorded)
    assert "核对材料" in at.dataframe[1].value.columns  # the item's whole history
    at.radio[0].set_value("problem")
    at.text_input[0].input("无还书记录")
    [b for b in at.button if b.label == "记录核查结果"][0].click().run()
    assert not at.exception
    assert at.dataframe[0].value["核查结果"].iloc[0] == "发现问题"
    assert count(demo_env, "SELECT note FROM spot_check_outcomes") == "无还书记录"


def test_diploma_desk_keeps_the_afternoon_and_warns_outside_the_period(demo_env):
    no = count(demo_env, CLEARED.replace("count(*)", "min(student_no)", 1).format(
        where="s.college = '计算机学院' AND s.clearance_type = '结业'"))
    at = page("diplomas", "cs_secretary")
    assert "6月29日下午至7月2日" in at.caption[0].value
    at.text_input(key="handover_no").input(no)
    at.button[0].click().run()  # dated today (the default): years after the hand-out period
    assert not at.exception, at.exception
    assert at.success[0].value.startswith(f"已登记：{no} 结业证书")
    assert "不在本批次证书发放时间（6月29日下午至7月2日）内" in at.warning[0].value


def test_home_completion_bars_are_not_red(demo_env):
    at = page("home", "gs")
    assert not at.exception
    assert '"color":"#2e7d32"' in at.dataframe[0].proto.columns.replace(" ", "")


def _report(username: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / "report.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return sign_in_apptest(at, username).run()


def test_the_print_page_shows_the_report_of_the_day_in_its_address(demo_env):
    at = _report("gs", day="2018-06-28", college="计算机学院")
    assert not at.exception, at.exception
    assert "截至 2018年06月28日 24:00（范围：计算机学院）" in at.caption[0].value
    assert {m.label for m in at.metric} >= {"离校学生", "全部办结", "办结率", "尚未办结"}
    assert list(at.table[0].value.index) == ["计算机学院"]
    assert download_labels(at) == ["下载 PDF（一页）"]


def test_the_print_page_refuses_what_its_address_should_not_carry(demo_env):
    assert "日期“2018-13-01”无效" in _report("gs", day="2018-13-01").error[0].value
    assert "早于本批次" in _report("gs", day="2018-01-01").error[0].value
    bad = _report("gs", day="2018-06-28", college="<script>alert(1)</script>")
    assert "筛选条件无效" in bad.error[0].value and not bad.metric
    refused = _report("cs_secretary", day="2018-06-28")
    assert "无权访问" in refused.error[0].value and not refused.metric
