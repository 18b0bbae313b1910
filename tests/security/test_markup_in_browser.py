"""Names and reasons are text, never markup, in a real Chromium: a roster name
`![](http://host/name.png)**粗体**:red[红字]` and a reason with an image link are shown as typed,
and the browser asks the tracking host for nothing. The data grid offers no raw CSV download."""

from tests.browser.harness import chromium, open_page, sign_in, wait_idle


def _assert_literal(page, hostile, tracker):
    body = page.inner_text("body")
    assert "**粗体**:red[红字]" in body                 # the characters, as typed
    assert page.locator("img[src*='127.0.0.1:%d']" % tracker.port).count() == 0
    assert page.locator("strong:has-text('粗体')").count() == 0
    return body


def test_student_page_shows_markup_names_as_text(attack_app, hostile, tracker):
    with chromium({"width": 420, "height": 900}) as page:
        open_page(page, attack_app.url + "/student")
        page.get_by_label("学号").fill(hostile["student_no"])
        page.get_by_label("姓名").fill(hostile["name"])
        page.get_by_role("button", name="查询").click()
        page.wait_for_timeout(500)
        wait_idle(page)
        body = _assert_literal(page, hostile, tracker)
        assert "欠书 **两本** :red[速还]" in body           # the reason, literally
        page.wait_for_timeout(1000)
    assert tracker.hits == []


def test_staff_desks_show_markup_names_as_text(attack_app, hostile, tracker):
    with chromium() as page:
        open_page(page, attack_app.url + "/")
        sign_in(page, "admin", "demo1234")
        page.goto(attack_app.url + "/marking")
        wait_idle(page)
        box = page.get_by_label("学号 / 姓名 / 姓名拼音首字母")
        box.fill(hostile["student_no"])
        box.press("Enter")
        page.wait_for_timeout(500)
        wait_idle(page)
        _assert_literal(page, hostile, tracker)
        page.wait_for_timeout(1000)
    assert tracker.hits == []


def test_the_data_grid_has_no_csv_download(attack_app):
    with chromium() as page:
        open_page(page, attack_app.url + "/")
        sign_in(page, "admin", "demo1234")
        page.goto(attack_app.url + "/imports")  # 导入记录: a data grid of import runs
        wait_idle(page)
        grid = page.locator("[data-testid='stDataFrame']").first
        grid.hover()
        page.wait_for_timeout(500)
        assert page.locator("[data-testid='stElementToolbar']").count() > 0  # the toolbar is there…
        assert page.get_by_role("button", name="Download as CSV").count() == 0  # …without the export
