"""Running it for a university, against a real `streamlit run server.py`: the start refuses a
locked or damaged store with one log line naming the problem; /api/ready tells the truth; the
backup command goes through the running app; a batch created on the admin page shows on the
dashboards beside the last batch's curve."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from clearance.root import close_all_stores, open_store
from loaders.demo import generate_earlier_batch
from tests.browser.harness import ROOT, AppServer, go_to, open_page, running_app, sign_in, wait_idle
from tests.conftest import held_store


def _get(url: str, headers: dict | None = None, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {}, method=method,
                                     data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _refused_start(db_path, env=None) -> str:
    with pytest.raises(RuntimeError, match="streamlit exited") as failed:
        AppServer(db_path, env).start()
    return str(failed.value)


def test_a_locked_store_stops_the_start_naming_the_holder(demo_db_path):
    with held_store(demo_db_path) as holder_pid:
        log = _refused_start(demo_db_path)
    assert "CRITICAL clearance: 离校通 not started" in log
    assert "is locked by another process" in log and f"PID {holder_pid}" in log


def test_a_truncated_store_stops_the_start(demo_db_path):
    with demo_db_path.open("r+b") as f:
        f.truncate(demo_db_path.stat().st_size // 2)
    log = _refused_start(demo_db_path)
    assert "not started" in log and "is damaged (truncated or garbled)" in log


def test_readiness_and_the_backup_command_while_the_app_runs(demo_db_path, tmp_path):
    server = AppServer(demo_db_path)
    operations = tmp_path / "operations.toml"
    operations.write_text(f'[backup]\nkeep = 5\ndaily_at = ""\n[command]\napp_url = "{server.url}"\n')
    server._env["CLEARANCE_OPERATIONS"] = str(operations)
    server.start()
    try:
        status, body = _get(f"{server.url}/api/ready")
        assert status == 200 and body["ready"], body
        env = {**os.environ, "CLEARANCE_DB": str(demo_db_path), "CLEARANCE_OPERATIONS": str(operations)}
        run = subprocess.run([sys.executable, "-m", "clearance.backup", "backup"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and "备份完成" in run.stdout, run.stderr
        listed = subprocess.run([sys.executable, "-m", "clearance.backup", "list"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=60)
        assert "命令行" in listed.stdout
        status, body = _get(f"{server.url}/api/ops/backup", {"Authorization": "Bearer guessed"}, "POST")
        assert status == 401
        # The store file is moved away under the running app: not ready, and it says why.
        demo_db_path.rename(tmp_path / "moved.duckdb")
        status, body = _get(f"{server.url}/api/ready")
        assert status == 503 and not body["ready"] and "已不存在" in body["checks"]["file"]
    finally:
        server.stop()


def test_a_batch_created_on_the_admin_page_shows_beside_the_last_one(demo_db_path, browser_page):
    generate_earlier_batch(open_store(demo_db_path))  # the closed December-2017 batch
    close_all_stores()
    page = browser_page
    with running_app(demo_db_path) as app:
        open_page(page, app.url)
        sign_in(page, "admin", "demo1234")
        go_to(page, "批次与备份")
        page.get_by_label("批次编号（年-月）").fill("2018-12")
        page.get_by_label("批次名称").first.fill("2018年12月毕（结、肄）业研究生离校")
        for label, day in (("集中办理开始", "20181224"), ("集中办理结束", "20181228"),
                           ("证书发放开始", "20181226"), ("证书发放结束", "20181228"),
                           ("校园卡停用", "20190110")):
            # Streamlit's date field is a row of year / month / day segments: type the digits.
            page.get_by_role("group", name=label).first.get_by_role("spinbutton").first.click()
            page.keyboard.type(day)
        page.get_by_role("button", name="新建批次").click()
        page.wait_for_timeout(500)
        wait_idle(page)
        assert page.get_by_text("已新建批次 2018-12").is_visible()
        page.screenshot(path=str(demo_db_path.parent / "batch-created.png"), full_page=True)

        go_to(page, "进度看板")
        picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']")
        picker.click()
        page.get_by_role("option", name="2018年12月毕（结、肄）业研究生离校").click()
        page.wait_for_timeout(500)
        wait_idle(page)
        assert page.get_by_text("离校进度看板").is_visible()
        page.get_by_text("与往批对比").scroll_into_view_if_needed()
        # The comparison defaults to the batch before: June 2018, with its students.
        assert page.get_by_text("2018年6月毕（结、肄）业研究生离校（3,110 人）").count() >= 1
        assert not page.locator("[data-testid='stException']").count()
        page.screenshot(path=str(demo_db_path.parent / "comparison.png"), full_page=True)
