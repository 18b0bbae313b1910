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
    assert "导入成功：3 行，新增 3 人" in text
    browser_page.screenshot(path=str(tmp_path / "roster.png"), full_page=True)
