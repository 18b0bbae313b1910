"""The real-browser harness every browser test reuses: a `streamlit run server.py` on a free
port over a given DuckDB file, and Debian's headless Chromium driven by Playwright.

As in Streamlit's own e2e tests: poll /_stcore/health until "ok", then wait for the app to
say its script is no longer running.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: list[str], env: dict | None, log: Path, url: str, what: str,
                 answers: Callable = lambda r: r.status == 200,
                 timeout: float = 60, cwd: Path = ROOT) -> subprocess.Popen:
    """Start a test server (`args`, from `cwd`, its output in `log`; env None: this process's)
    and wait until `url` answers as `answers` says. Raises "<what> exited" or "<what> did not
    answer" with the log's tail; a server that never answered is stopped first."""
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if answers(r):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"{what} did not answer at {url}: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class AppServer:
    def __init__(self, db_path: Path, env: dict | None = None):
        self.db_path = db_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = db_path.parent / f"streamlit-{self.port}.log"
        self._env = {**os.environ, "CLEARANCE_DB": str(db_path), **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "AppServer":
        self.proc = start_server(
            [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            self._env, self.log, f"{self.url}/_stcore/health", "streamlit",
            answers=lambda r: r.read().decode().strip() == "ok", timeout=timeout)
        return self

    def stop(self) -> None:
        stop_server(self.proc)


@contextmanager
def running_app(db_path: Path, env: dict | None = None):
    server = AppServer(db_path, env).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium(viewport: dict | None = None):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000},
                                          locale="zh-CN")
            yield context.new_page()
        finally:
            browser.close()


def wait_idle(page: Page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script for this page."""
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(300)  # let the last delta render
    page.wait_for_selector(IDLE, timeout=timeout)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def _after_reload(page: Page, passing_text: str) -> None:
    """Signing in and out end with the browser trading a code for its HttpOnly cookie (or
    clearing it) and reloading: wait for that reload to settle."""
    page.wait_for_timeout(500)
    wait_idle(page)
    page.wait_for_function(f"() => !document.body.innerText.includes({passing_text!r})",
                           timeout=30_000)
    wait_idle(page)


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill the staff sign-in form and wait for the app to settle."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    _after_reload(page, "正在登录")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()
    _after_reload(page, "已退出登录")


def go_to(page: Page, title: str) -> None:
    """Follow a sidebar navigation link in the same session (a reload would start a new one)."""
    page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    page.wait_for_timeout(500)
    wait_idle(page)
