"""What the desk browser tests share (办理 and 刷卡办理 at a queue): the students they pick from
the demo store, the stage state they check afterwards, the library's checklist, where the
keyboard focus is, and a 学号 typed at a barcode scanner's speed.

The store is read with its own read-only connection: call these before the app starts or after
it stops (the running app holds the file's lock).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from playwright.sync_api import Page

from tests.browser.harness import open_page, sign_in, wait_idle

LOOKUP = 'input[aria-label="学号 / 姓名 / 姓名拼音首字母"]'
LIBRARY_ITEMS = ("所借图书已全部归还 *", "超期违约金已缴清（10元以内免收） *", "借用的硬件设备已归还 *",
                 "学位论文电子版已提交 *")
LIBRARY_FINE = "已缴超期违约金（元，免收或无则填 0） *"
WEDGE_MS = 30  # a keyboard-wedge scanner's pace, a key every 30 ms


def _read(db_path: Path, sql: str, params: dict) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def students_at(db_path: Path, stage_id: str, state: str = "open", n: int = 1) -> list[tuple[str, str]]:
    """(学号, 姓名) of the first `n` students whose `stage_id` is in `state`, by 学号."""
    return _read(db_path,
                 "SELECT s.student_no, s.name FROM students s JOIN stage_status x USING (student_no)"
                 " WHERE x.stage_id = $stage AND x.state = $st ORDER BY s.student_no LIMIT $n",
                 {"stage": stage_id, "st": state, "n": n})


def stage_state(db_path: Path, student_no: str, stage_id: str = "library") -> str:
    return _read(db_path, "SELECT state FROM stage_status WHERE student_no = $n AND stage_id = $stage",
                 {"n": student_no, "stage": stage_id})[0][0]


def tick_library_items(page: Page) -> None:
    """Tick what the library checks before a pass and fill in the fine (0), committed by Tab."""
    for item in LIBRARY_ITEMS:
        page.get_by_text(item).click()
        page.wait_for_timeout(200)
    page.get_by_label(LIBRARY_FINE).fill("0")
    page.keyboard.press("Tab")
    page.wait_for_timeout(800)  # the amount is committed by a rerun
    wait_idle(page)


def active(page: Page) -> str:
    """What has the keyboard focus: "aria-label|TAG|text"."""
    return page.evaluate("() => { const e = document.activeElement;"
                         " return (e.getAttribute('aria-label') || '') + '|' + e.tagName + '|' + e.innerText; }")


def focus_on(page: Page, tag: str, text: str = "", timeout: float = 10_000) -> None:
    """Wait (bounded) for the focus script of the last run to put the focus on `tag` whose text
    holds `text`; a slow machine renders the button later than 400 ms. The caller asserts."""
    try:
        page.wait_for_function(
            "([tag, text]) => { const e = document.activeElement;"
            " return e && e.tagName === tag && (e.innerText || '').includes(text); }",
            arg=[tag, text], timeout=timeout)
    except Exception:  # noqa: BLE001 - the assertion that follows names what has the focus
        pass


def scan(page: Page, student_no: str) -> None:
    """A 学号 and Enter at wedge speed into whatever has the focus, then the redraw."""
    page.keyboard.type(student_no, delay=WEDGE_MS)
    page.keyboard.press("Enter")
    page.wait_for_timeout(400)
    wait_idle(page)
    page.wait_for_timeout(400)  # the focus script runs after the render


def open_library_desk(page: Page, url: str) -> None:
    """The library's clerk signs in and lands on 办理 at the library's stage."""
    open_page(page, url)
    sign_in(page, "lib_staff", "demo1234")
    page.get_by_text("当前环节：图书馆").wait_for()
    wait_idle(page)
    page.wait_for_timeout(400)  # the focus script runs after the render
