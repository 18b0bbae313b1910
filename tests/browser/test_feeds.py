"""Feeds reaching the running app (streamlit run server.py): the command line hands a finance
file to the app's inbox, the lifespan's watcher applies it; a second send changes nothing; a
staff member's pass made in between stands. And the upload/preview and history pages in Chromium."""

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from clearance.store.accounts import get_actor
from clearance.store.marks import mark
from clearance.root import close_all_stores, open_store
from tests.browser.harness import ROOT, chromium, open_page, running_app, sign_in, wait_idle
from tests.conftest import evidence, held_store

FEED_STATE = """
SELECT f.student_no FROM stage_status f
JOIN stage_status g ON g.student_no = f.student_no AND g.stage_id = 'gso_office'
WHERE f.stage_id = 'finance' AND f.state = $state AND f.updated_by = 'feed:finance'
  AND g.state = 'open'
ORDER BY f.student_no LIMIT $n
"""


def pick(db_path: Path, state: str, n: int) -> list[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return [r[0] for r in con.execute(FEED_STATE, {"state": state, "n": n}).fetchall()]
    finally:
        con.close()


def finance_state(db_path: Path, nos: list[str]) -> dict:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return dict(con.execute("SELECT student_no, state FROM stage_status WHERE stage_id = 'finance'"
                                " AND student_no IN (SELECT unnest($n))", {"n": nos}).fetchall())
    finally:
        con.close()


def send(file: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loaders", "finance", str(file), "--timeout", "60"],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def counts(output: str) -> tuple[int, ...]:
    m = re.search(r"通过 (\d+)，不通过/未办理 (\d+)，无变化 (\d+)，跳过 (\d+)", output)
    assert m, output
    return tuple(int(x) for x in m.groups())


def test_finance_file_through_the_running_app(demo_db_path, tmp_path):
    now_owing = pick(demo_db_path, "passed", 3)     # passed by the feed, now owe money
    now_paid = pick(demo_db_path, "rejected", 3)    # rejected by the feed, now paid
    assert len(now_owing) == 3 and len(now_paid) == 3
    file = tmp_path / "财务欠费.csv"
    file.write_text("学号,欠费金额\n" + "".join(f"{no},８００元\n" for no in now_owing)
                    + "".join(f" {no} ,0\n" for no in now_paid) + "\n", encoding="utf-8")
    env = {"CLEARANCE_DB": str(demo_db_path), "CLEARANCE_INBOX": str(tmp_path / "inbox")}

    with running_app(demo_db_path, env):
        first = send(file, env)
        assert first.returncode == 0, first.stderr
        assert "经收件箱" in first.stderr
        assert counts(first.stdout) == (3, 3, 0, 0)
        second = send(file, env)
        assert second.returncode == 0 and counts(second.stdout) == (0, 0, 6, 0)
        broken = tmp_path / "坏文件.csv"
        broken.write_text("学号,欠费金额\n2015010001,很多\n", encoding="utf-8")
        refused = send(broken, env)
        assert refused.returncode == 1
        assert "坏文件.csv 第2行“欠费金额”列：“很多”不是有效的金额" in refused.stderr
    states = finance_state(demo_db_path, now_owing + now_paid)
    assert {states[n] for n in now_owing} == {"rejected"} and {states[n] for n in now_paid} == {"passed"}
    assert len(list((tmp_path / "inbox" / "finance" / "done").glob("*.result.json"))) == 2
    assert len(list((tmp_path / "inbox" / "finance" / "rejected").glob("*.result.json"))) == 1

    # Between two sends, the finance desk passes a student who paid in cash.
    store = open_store(demo_db_path)
    mark(store, get_actor(store, "finance_staff"), now_owing[0], "finance", "pass", note="现场缴清",
         evidence=evidence("finance"))
    close_all_stores()
    with running_app(demo_db_path, env):  # a fresh start: the lifespan starts the watcher again
        third = send(file, env)
        assert third.returncode == 0 and counts(third.stdout) == (0, 0, 5, 1)
        assert f"跳过 {now_owing[0]}：" in third.stdout and "finance_staff 已办理" in third.stdout
    assert finance_state(demo_db_path, [now_owing[0]]) == {now_owing[0]: "passed"}


def test_command_line_says_when_the_app_cannot_be_reached(demo_db_path, tmp_path):
    file = tmp_path / "f.csv"
    file.write_text("学号,欠费金额\n2015010001,0\n", encoding="utf-8")
    with held_store(demo_db_path):
        got = send(file, {"CLEARANCE_DB": str(demo_db_path), "CLEARANCE_INBOX": str(tmp_path / "none")})
    assert got.returncode == 3 and "找不到收件箱" in got.stderr


def shots_dir(tmp_path: Path) -> Path:
    """README screenshots when SCREENSHOT_DIR is set (docs/screenshots), else the test's tmp dir."""
    return Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)


def test_upload_preview_commit_and_history_pages(demo_db_path, tmp_path):
    owing = pick(demo_db_path, "passed", 2)
    paid = pick(demo_db_path, "rejected", 2)
    file = tmp_path / "财务处欠费0626.xlsx"
    import pandas as pd

    pd.DataFrame({"学号": [int(n) for n in owing + paid] + [2099000001],
                  "欠费金额": ["1,500.00元", "３２０", 0, "0.00", 50]}).to_excel(file, index=False)
    env = {"CLEARANCE_INBOX": str(tmp_path / "inbox")}
    out = shots_dir(tmp_path)
    with running_app(demo_db_path, env) as app, chromium({"width": 1400, "height": 1100}) as page:
        open_page(page, app.url)
        sign_in(page, "admin", "demo1234")
        page.get_by_role("link", name="系统对接数据").click()
        wait_idle(page)
        page.locator("input[type='file']").set_input_files(str(file))
        page.get_by_text("将发生的变化").wait_for(timeout=30_000)
        wait_idle(page)
        text = page.inner_text("body")
        assert "财务处欠费0626.xlsx，共 5 行" in text
        # The tables are drawn on a canvas; the metrics are text.
        assert re.search(r"将通过 / 无需办理\s*2\s*将不通过 / 未办理\s*2\s*无变化\s*0\s*跳过\s*1", text), text
        assert "跳过的行" in text
        page.screenshot(path=str(out / "feeds_upload.png"), full_page=True)
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("已导入 财务处欠费0626.xlsx").wait_for(timeout=30_000)
        assert "通过 2，不通过/未办理 2，无变化 0，跳过 1" in page.inner_text("body")

        page.get_by_role("link", name="导入记录").click()
        wait_idle(page)
        grid = page.locator("[data-testid='stDataFrame']").first
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 52)  # the first data row's selection cell
        page.get_by_text("导入编号").wait_for(timeout=30_000)
        wait_idle(page)
        text = page.inner_text("body")
        assert "财务处（欠费） · 财务处欠费0626.xlsx" in text and "跳过的行（1）" in text
        page.screenshot(path=str(out / "imports.png"), full_page=True)
    states = finance_state(demo_db_path, owing + paid)
    assert [states[n] for n in owing + paid] == ["rejected", "rejected", "passed", "passed"]
