"""The admin uploads a roster in a real browser: a bad file is refused naming its rows, a good one imports."""

from tests.browser.harness import go_to, open_page, sign_in, wait_idle
from tests.conftest import roster_frame


def _upload(page, path):
    page.locator("input[type='file']").set_input_files(str(path))
    page.wait_for_timeout(800)
    wait_idle(page)
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_timeout(800)
    wait_idle(page)


def test_admin_uploads_a_roster(demo_app, browser_page, tmp_path):
    bad = roster_frame(3)
    bad.loc[1, "离校类型"] = "毕了业"
    bad_path = tmp_path / "坏名单.csv"
    bad.to_csv(bad_path, index=False)
    good_path = tmp_path / "好名单.xlsx"
    roster_frame(3).to_excel(good_path, index=False)

    open_page(browser_page, demo_app.url)
    sign_in(browser_page, "admin", "demo1234")
    go_to(browser_page, "名单导入")
    _upload(browser_page, bad_path)
    text = browser_page.inner_text("body")
    assert "导入失败，未做任何修改" in text
    assert "坏名单.csv 第3行“离校类型”列：“毕了业”无效" in text

    _upload(browser_page, good_path)
    text = browser_page.inner_text("body")
    assert "导入成功（好名单.xlsx）：3 行，新增 3 人" in text
    browser_page.screenshot(path=str(tmp_path / "roster.png"), full_page=True)


def _demo_rows(db_path):
    """Three demo students whose re-import changes something (read before the app opens the file):
    a graduate the library refused for the thesis alone, a student cleared to the last stage,
    a non-member passed 无需办理 at the party branch."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        def one(where):
            return con.execute(
                "SELECT s.* FROM students s WHERE " + where + " ORDER BY student_no LIMIT 1").df()
        thesis = one("clearance_type = '毕业' AND EXISTS (SELECT 1 FROM stage_status x WHERE"
                     " x.student_no = s.student_no AND stage_id = 'library' AND state = 'rejected'"
                     " AND reason = '学位论文未提交')")
        cleared = one("college = '计算机学院' AND EXISTS (SELECT 1 FROM stage_status x WHERE"
                      " x.student_no = s.student_no AND stage_id = 'gso_office' AND state = 'passed')")
        joined = one("political_status = '群众' AND EXISTS (SELECT 1 FROM stage_status x WHERE"
                     " x.student_no = s.student_no AND stage_id = 'party' AND state = 'not_needed')")
    finally:
        con.close()
    thesis["clearance_type"] = "结业"
    cleared["college"] = "软件学院"
    joined["political_status"] = "中共党员"
    from loaders.roster import COLUMNS

    frame = pd.concat([thesis, cleared, joined])[list(COLUMNS.values())]
    return frame.rename(columns={v: k for k, v in COLUMNS.items()})


def test_a_reimport_lists_what_changed(demo_db_path, browser_page, tmp_path):
    from tests.browser.harness import running_app

    changed = _demo_rows(demo_db_path)
    path = tmp_path / "名单（更正）.xlsx"
    changed.to_excel(path, index=False)
    typo = changed.copy()
    typo.iloc[1, typo.columns.get_loc("学院")] = "软件学员"
    typo_path = tmp_path / "名单（有误）.csv"
    typo.to_csv(typo_path, index=False)
    with running_app(demo_db_path) as app:
        open_page(browser_page, app.url)
        sign_in(browser_page, "admin", "demo1234")
        go_to(browser_page, "名单导入")
        _upload(browser_page, typo_path)
        text = browser_page.inner_text("body")
        assert "名单（有误）.csv 第3行“学院”列：“软件学员”不是已知的学院，是否为“软件学院”？" in text
        _upload(browser_page, path)
        # The result table can arrive a moment after the script reports idle.
        browser_page.get_by_text("学院：计算机学院 → 软件学院").first.wait_for(timeout=20000)
        browser_page.set_viewport_size({"width": 1400, "height": 1700})
        browser_page.screenshot(path=str(tmp_path / "roster_changes.png"), full_page=True)
        text = browser_page.inner_text("body")
        assert "导入成功（名单（更正）.xlsx）：3 行，新增 0 人，更新 3 人" in text
        assert "信息有变化的学生：3 人" in text
        for expected in ("离校类型：毕业 → 结业", "学院：计算机学院 → 软件学院", "政治面貌：群众 → 中共党员"):
            assert expected in text
