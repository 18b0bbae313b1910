"""An admin uploads files that used to crash or fool the app, in a real browser: a workbook
whose parser aborts (calamine asks for 512 GB; limits loose enough for it to try), a VLOOKUP
export with #N/A, then a good roster; on the feeds page, an old binary .xls whose amounts are
error records. Each refusal is Chinese and names what to do, the server keeps running, and the
good file imports."""

import os

from tests.browser.harness import chromium, go_to, open_page, running_app, sign_in, wait_idle
from tests.conftest import roster_frame
from tests.loaders import rawxlsx

LAX = os.path.join(os.path.dirname(__file__), "..", "loaders", "data", "lax_limits.toml")
FAR_CELL = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def _upload(page, path):
    page.locator("input[type='file']").set_input_files(str(path))
    page.wait_for_timeout(800)
    wait_idle(page)
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_timeout(800)
    wait_idle(page, timeout=90_000)


def test_crashing_and_lying_workbooks_on_the_roster_page(demo_db_path, tmp_path):
    frame = roster_frame(2)
    headers = list(frame.columns)
    crash = tmp_path / "5KB名单.xlsx"
    crash.write_bytes(rawxlsx.one_sheet([headers, *frame.astype(str).values.tolist()], extra_cells=FAR_CELL))
    lying = tmp_path / "VLOOKUP名单.xlsx"
    rows = frame.astype(str).values.tolist()
    rows[1][2] = ("e", "#N/A")
    lying.write_bytes(rawxlsx.one_sheet([headers, *rows]))
    good = tmp_path / "好名单.xlsx"
    roster_frame(3).to_excel(good, index=False)

    with running_app(demo_db_path, {"CLEARANCE_IMPORTS": os.path.abspath(LAX)}) as app, chromium() as page:
        open_page(page, app.url)
        sign_in(page, "admin", "demo1234")
        go_to(page, "名单导入")
        _upload(page, crash)
        text = page.inner_text("body")
        assert "导入失败，未做任何修改" in text
        assert "5KB名单.xlsx：表格范围异常" in text or "5KB名单.xlsx：文件过大" in text
        assert app.proc.poll() is None  # the server survived its parser's abort

        _upload(page, lying)
        text = page.inner_text("body")
        assert "VLOOKUP名单.xlsx 第3行“学院”列：“#N/A”是 Excel 的错误值" in text
        page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)

        _upload(page, good)
        assert "导入成功（好名单.xlsx）：3 行" in page.inner_text("body")
        for word in ("Error", "Exception", "Traceback"):
            assert word not in page.inner_text("body")


def test_error_cells_of_a_binary_xls_on_the_feeds_page(demo_db_path, tmp_path):
    """An old-format finance export (.xls, BIFF8) whose amounts are #N/A / #VALUE! error records:
    the preview refuses it by row and column, in Chinese, and nothing is offered to import."""
    xls = os.path.join(os.path.dirname(__file__), "..", "loaders", "data", "arrears_errors.xls")
    with running_app(demo_db_path) as app, chromium() as page:
        open_page(page, app.url)
        sign_in(page, "admin", "demo1234")
        go_to(page, "系统对接数据")
        page.locator("input[type='file']").set_input_files(xls)
        page.wait_for_timeout(800)
        wait_idle(page, timeout=90_000)
        text = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "xls-refused.png"), full_page=True)
        assert "文件未导入（共 4 处错误）" in text
        assert "arrears_errors.xls 第3行“欠费金额”列：“#N/A”是 Excel 的错误值" in text
        assert "arrears_errors.xls 第6行“欠费金额”列：“#DIV/0!”是 Excel 的错误值" in text
        assert page.get_by_role("button", name="确认导入").count() == 0
        for word in ("Error", "Exception", "Traceback"):
            assert word not in text
