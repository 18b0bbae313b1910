"""办理's lookup and student panel rerun as a fragment (not the whole page) for speed at a queue
(issue 13). The whole page's run checks the session; a fragment's rerun must too: an account
disabled while its desk is open cannot pass the next scanned student."""

from tests.browser.desk_steps import (LOOKUP, open_library_desk, scan, stage_state,
                                      students_at, tick_library_items)
from tests.browser.harness import chromium, go_to, open_page, running_app, sign_in, wait_idle


def _scan_into_box(page, student_no: str) -> None:
    page.locator(LOOKUP).click()
    scan(page, student_no)


def test_a_disabled_account_cannot_pass_the_next_scan(demo_db_path):
    (first, first_name), (second, second_name) = students_at(demo_db_path, "library", n=2)
    with running_app(demo_db_path) as app, chromium() as desk:
        open_library_desk(desk, app.url)
        desk.get_by_text("回车即通过（").click()
        desk.wait_for_timeout(300)
        wait_idle(desk)
        tick_library_items(desk)
        _scan_into_box(desk, first)  # a fragment rerun that passes: the desk works
        assert f"{first_name}（{first}）“图书馆”已通过" in desk.inner_text("body")

        # Meanwhile the admin, in a browser of their own (cookies apart), disables the account.
        admin_context = desk.context.browser.new_context(viewport={"width": 1400, "height": 1000},
                                                         locale="zh-CN")
        try:
            admin = admin_context.new_page()
            open_page(admin, app.url)
            sign_in(admin, "admin", "demo1234")
            go_to(admin, "账号管理")
            admin.get_by_role("tab", name="修改账号").click()
            admin.wait_for_timeout(300)
            admin.get_by_label("选择账号").click()
            admin.keyboard.type("lib_staff")
            admin.keyboard.press("Enter")
            admin.wait_for_timeout(500)
            wait_idle(admin)
            admin.get_by_role("button", name="停用账号").click()
            admin.get_by_text("已停用 lib_staff").wait_for(timeout=30_000)
        finally:
            admin_context.close()

        _scan_into_box(desk, second)
        desk.get_by_role("button", name="登录").wait_for(timeout=30_000)
        body = desk.inner_text("body")
        assert second_name not in body and "已通过" not in body
    assert stage_state(demo_db_path, first) == "passed"
    assert stage_state(demo_db_path, second) == "open"


def test_a_scan_right_after_a_rejection_keeps_its_first_digit(demo_db_path):
    """不通过 is sent with Enter in the reason box; the next student's scan starts at once, before
    the redraw moves the focus: its first digit must go to the 学号 box, not the old reason box
    (seen in bench/desk_queue: "未找到“016192784”")."""
    students = students_at(demo_db_path, "library", n=4)
    with running_app(demo_db_path) as app, chromium() as desk:
        open_library_desk(desk, app.url)
        _scan_into_box(desk, students[0][0])
        for (no, name), (next_no, next_name) in zip(students, students[1:]):
            desk.locator(".st-key-act_pass button").wait_for()
            desk.keyboard.press("F4")
            desk.keyboard.type("图书未还", delay=30)
            desk.keyboard.press("Enter")
            desk.keyboard.type(next_no, delay=30)  # the scanner does not wait for the redraw
            desk.keyboard.press("Enter")
            desk.wait_for_function(
                "t => document.body.innerText.includes(t)", arg=f"{next_name}　{next_no}", timeout=30_000)
            wait_idle(desk)
            assert "未找到" not in desk.inner_text("body")
    for no, _name in students[:-1]:
        assert stage_state(demo_db_path, no) == "rejected"
