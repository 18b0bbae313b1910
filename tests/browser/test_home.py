"""Smoke test: a real Chromium loads the running app and sees the home page's real numbers."""

import duckdb

from tests.browser.harness import open_page


def test_home_page_shows_the_batch_numbers(demo_app, browser_page, demo_db_path, tmp_path):
    open_page(browser_page, demo_app.url)
    text = browser_page.inner_text("body")
    assert "离校总览" in text or "研究生电子离校" in text
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
