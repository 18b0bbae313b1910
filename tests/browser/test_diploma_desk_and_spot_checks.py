"""The diploma desk and a spot check, end to end in a real Chromium."""

import duckdb
import pytest

from tests.browser.harness import open_page, sign_in, wait_idle
from tests.browser.navigation import choose, go_to


@pytest.fixture
def cleared_student(demo_db_path) -> str:
    """A fully cleared 计算机学院 student, read before the app takes the file."""
    con = duckdb.connect(str(demo_db_path), read_only=True)
    no = con.execute(
        "SELECT min(student_no) FROM (SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)"
        " WHERE s.college = '计算机学院' GROUP BY 1 HAVING bool_and(x.state IN ('passed', 'not_needed')))"
    ).fetchall()[0][0]
    con.close()
    return no


def test_college_staff_record_a_diploma_hand_over(cleared_student, demo_app, browser_page, demo_db_path):
    page = browser_page
    open_page(page, demo_app.url)
    sign_in(page, "cs_secretary", "demo1234")
    go_to(page, "证书发放")
    page.get_by_role("textbox", name="学号").fill(cleared_student)
    page.get_by_role("textbox", name="领取人").fill("本人")
    page.get_by_role("button", name="登记发放").click()
    page.wait_for_timeout(800)
    page.wait_for_selector("text=已登记：")
    demo_app.stop()
    con = duckdb.connect(str(demo_db_path), read_only=True)
    rows = con.execute(
        "SELECT h.student_no, h.kind, h.recorded_by, bool_and(x.state IN ('passed', 'not_needed'))"
        " FROM diploma_handovers h JOIN students s USING (student_no)"
        " JOIN stage_status x ON x.student_no = h.student_no GROUP BY ALL").fetchall()
    con.close()
    assert rows == [(cleared_student, "diploma", "cs_secretary", True)]


def test_graduate_school_draws_a_spot_check_and_records_an_outcome(demo_app, browser_page, demo_db_path):
    page = browser_page
    open_page(page, demo_app.url)
    sign_in(page, "gs", "demo1234")
    go_to(page, "办理抽查")
    choose(page, "环节", "图书馆")
    page.get_by_role("button", name="随机抽取").click()
    page.wait_for_selector("text=已抽取第 1 次抽查，共 10 条")
    wait_idle(page)
    page.wait_for_selector("text=全部办理记录")
    page.get_by_text("核查无误").first.click()
    page.get_by_role("button", name="记录核查结果").click()
    page.wait_for_selector("text=已记录第 1 条：核查无误")
    demo_app.stop()
    con = duckdb.connect(str(demo_db_path), read_only=True)
    items = con.execute("SELECT DISTINCT stage_id FROM spot_check_items").fetchall()
    outcomes = con.execute("SELECT item_no, outcome, checked_by FROM spot_check_outcomes").fetchall()
    con.close()
    assert items == [("library",)]
    assert outcomes == [(1, "ok", "gs")]
