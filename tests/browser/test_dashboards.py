"""The overview and the college page in a real Chromium: the numbers on screen are the store's,
a heat-map cell's lagging list opens, and the lagging list downloads as an Excel file with
Chinese headers."""

import io

import duckdb
import openpyxl

from tests.browser.harness import open_page, sign_in, wait_idle
from tests.browser.navigation import choose, go_to, metric

CLEARED = ("SELECT count(*) FROM (SELECT s.student_no FROM students s JOIN stage_status x USING (student_no)"
           " WHERE {where} GROUP BY 1 HAVING bool_and(x.state IN ('passed', 'not_needed')))")


def direct(db_path, *sqls):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return [con.execute(sql).fetchall()[0][0] for sql in sqls]
    finally:
        con.close()


def test_overview_numbers_agree_with_the_store(demo_app, browser_page, demo_db_path, tmp_path):
    page = browser_page
    open_page(page, demo_app.url)
    sign_in(page, "gs", "demo1234")
    go_to(page, "进度看板")
    body = page.inner_text("body")
    assert "离校进度看板" in body and "最后办理日 2018-07-02" in body
    shown = {label: metric(page, label) for label in ("离校学生", "全部办结", "尚未办结")}
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    demo_app.stop()
    students, cleared = direct(demo_db_path, "SELECT count(*) FROM students", CLEARED.format(where="TRUE"))
    assert shown == {"离校学生": f"{students:,}", "全部办结": f"{cleared:,}",
                     "尚未办结": f"{students - cleared:,}"}
    assert "各环节完成率" in body and "学院 × 环节完成率" in body and "卡点环节" in body


def _click_heat_map_cell(page, college: str, stage: str) -> None:
    """Click the heat-map cell of (college, stage), located through plotly's own axes."""
    pos = page.evaluate("""([college, stage]) => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')]
            .find(g => g.data.some(t => t.type === 'heatmap'));
        gd.scrollIntoView({block: 'center'});
        const L = gd._fullLayout, r = gd.getBoundingClientRect();
        return {x: r.left + L._size.l + L.xaxis.d2p(stage), y: r.top + L._size.t + L.yaxis.d2p(college)};
    }""", [college, stage])
    page.mouse.move(pos["x"], pos["y"])
    page.wait_for_timeout(300)
    page.mouse.click(pos["x"], pos["y"])
    page.wait_for_timeout(800)
    wait_idle(page)


def lagging_at(db_path, college: str, stage_id: str) -> int:
    (n,) = direct(db_path, "SELECT count(*) FROM stage_status x JOIN students s USING (student_no)"
                           f" WHERE s.college = '{college}' AND x.stage_id = '{stage_id}'"
                           " AND x.state NOT IN ('passed', 'not_needed')")
    return n


def test_heat_map_cell_lists_its_students(demo_app, browser_page, demo_db_path):
    page = browser_page
    open_page(page, demo_app.url)
    sign_in(page, "admin", "demo1234")
    go_to(page, "进度看板")
    _click_heat_map_cell(page, "法学院", "图书馆")
    clicked = page.inner_text("body")
    choose(page, "学院", "艺术学院", nth=1)  # the cell chooser; nth=0 is the filter
    choose(page, "环节", "学生公寓管理中心")
    chosen = page.inner_text("body")  # a later choice is not undone by the earlier click
    demo_app.stop()
    assert f"法学院 · 图书馆：截至 07-02 日终未办结 {lagging_at(demo_db_path, '法学院', 'library')} 人" in clicked
    assert f"艺术学院 · 学生公寓管理中心：截至 07-02 日终未办结 {lagging_at(demo_db_path, '艺术学院', 'dorm')} 人" in chosen


def test_a_typed_date_is_applied_by_enter(demo_app, browser_page):
    """Typing 06-28 into the date box and pressing Enter shows 06-28 (it used to show the date
    in the box while the page stayed on 07-02)."""
    page = browser_page
    open_page(page, demo_app.url)
    sign_in(page, "gs", "demo1234")
    go_to(page, "进度看板")
    assert metric(page, "今日办结（07-02）")
    page.get_by_role("spinbutton", name="month, 统计日期（“今日”）").click()
    page.keyboard.type("0628")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "今日办结（06-28）" in body and "统计日期：2018-06-28（手动选择）" in body


def test_college_page_and_excel_export(demo_app, browser_page, demo_db_path, tmp_path):
    page = browser_page
    open_page(page, demo_app.url)
    sign_in(page, "cs_secretary", "demo1234")
    go_to(page, "学院催办")
    assert "计算机学院 · 离校催办" in page.inner_text("body")
    shown = (metric(page, "本院离校学生"), metric(page, "本院全部办结"))
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    xlsx = tmp_path / "lagging.xlsx"
    info.value.save_as(xlsx)
    assert info.value.suggested_filename.endswith(".xlsx")
    demo_app.stop()
    students, cleared = direct(demo_db_path, "SELECT count(*) FROM students WHERE college = '计算机学院'",
                               CLEARED.format(where="s.college = '计算机学院'"))
    assert shown == (f"{students:,}", f"{cleared:,}")
    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("学号", "姓名", "学院") and "提醒短信" in rows[0]
    assert len(rows) - 1 == students - cleared
    assert {r[2] for r in rows[1:]} == {"计算机学院"}
