"""The desk story in a real browser: the library passes a student by keyboard alone, the
graduate school sees the ✓ with the right name and time, another college's secretary cannot
mark the student."""

from datetime import timedelta

import duckdb

from clearance.clock import beijing_now
from loaders.demo import COLLEGES
from tests.browser.desk_steps import LIBRARY_ITEMS, LOOKUP, active
from tests.browser.harness import open_page, running_app, sign_in, sign_out, wait_idle


def _pick_students(db_path):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "SELECT s.student_no, s.name, s.college FROM students s JOIN stage_status x USING (student_no)"
            " WHERE x.stage_id = 'library' AND x.state = 'open'"
            " ORDER BY s.student_no LIMIT 3").fetchall()
    finally:
        con.close()


def _go(page, link: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)


def _press(page, key: str) -> None:
    page.keyboard.press(key)
    page.wait_for_timeout(400)
    wait_idle(page)
    page.wait_for_timeout(300)  # the focus script runs after the render


def test_library_passes_by_keyboard_gradschool_sees_it_other_college_cannot(browser_page, demo_db_path):
    page = browser_page
    started = beijing_now() - timedelta(minutes=1)
    # Read before the app starts: the running app holds the file's lock.
    (no, name, college), (no2, name2, _c2), (no3, name3, _c3) = _pick_students(demo_db_path)
    other_code = next(code for c, code, _n, _campus in COLLEGES if c != college)
    with running_app(demo_db_path) as demo_app:
        gs_view = _desk_story(page, demo_app.url, (no, name), (no2, name2), other_code, (no3, name3))
    # The app has stopped and released the file: check what was written.
    _check_store(demo_db_path, no, other_code, started, gs_view)
    con = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        assert con.execute("SELECT state, reason FROM stage_status WHERE student_no = $n"
                           " AND stage_id = 'library'", {"n": no3}).fetchall() == [("rejected", "图书未还")]
    finally:
        con.close()


def _desk_story(page, url, first, second, other_code, third) -> str:
    """Drive the three desks; returns what the graduate school saw."""
    no, name = first
    # The library desk: 学号, Enter, Enter — no mouse after opening the page.
    page.set_extra_http_headers({"X-Forwarded-For": "10.20.30.40"})  # as the campus proxy sends
    open_page(page, url)
    sign_in(page, "lib_staff", "demo1234")
    _go(page, "办理")
    page.wait_for_timeout(300)
    assert active(page).startswith("学号 / 姓名"), active(page)
    # The queue at the library: 回车即通过, with what the desk checks ticked once.
    page.get_by_text("回车即通过（").click()
    page.get_by_text("所借图书已全部归还 *").wait_for()
    for item in LIBRARY_ITEMS:
        page.get_by_text(item).click()
        page.wait_for_timeout(200)
    fine = page.get_by_label("已缴超期违约金（元，免收或无则填 0） *")
    fine.fill("0")
    fine.press("Enter")
    page.wait_for_timeout(500)
    page.locator(LOOKUP).click()
    for student_no, student_name in (first, second):
        page.keyboard.type(student_no)
        _press(page, "Enter")
        assert f"{student_name}（{student_no}）“图书馆”已通过" in page.inner_text("body")
        assert active(page).startswith("学号 / 姓名"), active(page)  # ready for the next one
    page.get_by_text("回车即通过（").click()  # back to looking before passing
    page.wait_for_timeout(800)
    wait_idle(page)
    page.locator(LOOKUP).click()
    _reject_by_keyboard(page, *third)
    sign_out(page)
    assert "工作人员登录" in page.inner_text("body")

    # The graduate school looks the student up (read only).
    sign_in(page, "gs", "demo1234")
    _go(page, "学生详情")
    page.locator(LOOKUP).fill(no)
    _press(page, "Enter")
    gs_view = page.inner_text("body")
    assert name in gs_view and "✓ 已办理" in gs_view and "图书馆 谭老师" in gs_view
    assert page.get_by_role("button", name="通过").count() == 0
    sign_out(page)

    # Another college's secretary cannot even open the student, let alone mark them.
    sign_in(page, f"{other_code}_secretary", "demo1234")
    _go(page, "办理")
    page.locator(LOOKUP).fill(no)
    _press(page, "Enter")
    refused = page.inner_text("body")
    # The same answer as for a 学号 nobody has: nothing about another college's student.
    assert f"学生中未找到“{no}”" in refused and name not in refused
    assert page.get_by_role("button", name="通过").count() == 0
    return gs_view


def _reject_by_keyboard(page, student_no, student_name) -> None:
    """学号 ⏎, Tab to the reason, type it, ⏎ = 不通过. Looked up again, the rejection shows and
    the focus is on the 学号 box, so a reflex Enter does not overturn it."""
    page.keyboard.type(student_no)
    _press(page, "Enter")
    assert active(page).endswith("|BUTTON|通过"), active(page)
    page.keyboard.press("F4")  # the key shown on the reason box
    page.wait_for_timeout(200)
    assert active(page).startswith("F4 不通过原因"), active(page)
    page.keyboard.type("图书未还")
    _press(page, "Enter")
    assert f"{student_name}（{student_no}）“图书馆”已不通过" in page.inner_text("body")
    assert active(page).startswith("学号 / 姓名"), active(page)
    page.keyboard.type(student_no)
    _press(page, "Enter")
    body = page.inner_text("body")
    assert "此前不通过，原因：图书未还" in body
    assert active(page).startswith("学号 / 姓名"), active(page)
    _press(page, "Enter")  # an empty box: nothing happens
    assert "已通过" not in page.inner_text("body")


def _check_store(demo_db_path, no, other_code, started, gs_view):
    con = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        event = con.execute(
            "SELECT actor, source, source_ref, marked_at, evidence FROM events WHERE student_no = $n"
            " AND stage_id = 'library' ORDER BY event_id DESC LIMIT 1", {"n": no}).fetchall()[0]
        # Demo marks are dated 2018; anything today was written by this test.
        by_secretary = con.execute("SELECT count(*) FROM events WHERE actor = $a AND marked_at >= $t",
                                   {"a": f"{other_code}_secretary", "t": started}).fetchall()[0][0]
    finally:
        con.close()
    assert event[:3] == ("lib_staff", "instant", "ip:10.20.30.40")  # 回车即通过
    assert "所借图书已全部归还" in event[4] and '"fine_paid": "0.00"' in event[4]
    assert f"{event[3]:%Y-%m-%d %H:%M}" in gs_view  # the time the graduate school saw
    assert by_secretary == 0
