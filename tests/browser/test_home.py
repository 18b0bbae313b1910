"""Smoke test: a real Chromium signs in to the running app and sees the home page's real numbers."""

import duckdb

from tests.browser.harness import open_page, sign_in, sign_out


def test_home_page_shows_the_batch_numbers(demo_app, browser_page, demo_db_path, tmp_path):
    open_page(browser_page, demo_app.url)
    assert "工作人员登录" in browser_page.inner_text("body")
    sign_in(browser_page, "gs", "demo1234")
    browser_page.locator(".js-plotly-plot").first.wait_for()  # the chart draws last
    text = browser_page.inner_text("body")
    assert "研究生电子离校" in text
    browser_page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    demo_app.stop()  # release the file to count directly in the store
    con = duckdb.connect(str(demo_db_path), read_only=True)
    students = con.execute("SELECT count(*) FROM students").fetchall()[0][0]
    cleared = con.execute(
        "SELECT count(*) FROM (SELECT student_no FROM stage_status GROUP BY 1"
        " HAVING bool_and(state IN ('passed', 'not_needed')))").fetchall()[0][0]
    con.close()
    assert f"{students:,}" in text
    assert f"{cleared:,}" in text
    assert "图书馆" in text and "一卡通管理中心" in text


def test_wrong_password_is_refused(demo_app, browser_page):
    open_page(browser_page, demo_app.url)
    sign_in(browser_page, "gs", "wrong-password")
    text = browser_page.inner_text("body")
    assert "用户名或密码错误" in text
    assert "离校学生" not in text


def test_a_reload_stays_signed_in_until_sign_out(demo_app, browser_page):
    open_page(browser_page, demo_app.url)
    sign_in(browser_page, "gs", "demo1234")
    open_page(browser_page, demo_app.url)  # a reload is a new Streamlit session
    assert "已登录：研究生院 张老师" in browser_page.inner_text("body")
    sign_out(browser_page)
    open_page(browser_page, demo_app.url)
    text = browser_page.inner_text("body")
    assert "工作人员登录" in text and "已登录" not in text


def test_a_direct_link_signs_in_to_the_page_asked_for(demo_app, browser_page):
    open_page(browser_page, demo_app.url + "/marking")
    text = browser_page.inner_text("body")
    assert "工作人员登录" in text and "Page not found" not in text
    sign_in(browser_page, "lib_staff", "demo1234")
    assert browser_page.locator("h1").first.inner_text() == "办理"
    open_page(browser_page, demo_app.url + "/admin_accounts")
    text = browser_page.inner_text("body")
    assert "无权访问此页面" in text and "Page not found" not in text
