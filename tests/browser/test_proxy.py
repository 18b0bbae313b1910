"""deploy/nginx/lixiaotong.conf for real: Debian's nginx with a self-signed certificate on free
ports in front of a running app, and Chromium driven through it over TLS — the student page,
sign-in, a mark, an upload. The browser also sends a forged X-Forwarded-For; the audit must
record the address nginx saw, neither the forged one nor the proxy's own address. Only loopback
is used (no other address is ever a target here): the browser reaches nginx over IPv6 loopback
(::1) and nginx reaches the app over IPv4 loopback (127.0.0.1), the only trusted proxy in this
test's security.toml, so the client (::1) and the proxy differ. The student page's limiter
counts that client, not the proxy: another client (127.0.0.1) is not refused when the first
one is."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
from playwright.sync_api import sync_playwright

from clearance.rules.student_view import LOOKUP_FAILED
from tests.browser.harness import (CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, open_page,
                                   running_app, sign_in, sign_out, wait_idle)

SITE = ROOT / "deploy" / "nginx" / "lixiaotong.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FORGED = "203.0.113.9"
LOOKUP = 'input[aria-label="学号 / 姓名 / 姓名拼音首字母"]'


CLIENT = "::1"  # the browser's address as nginx sees it; the proxy itself is 127.0.0.1
# Streamlit refuses a websocket whose Origin is a bracketed IPv6 literal, so the browser uses a
# name that its own resolver maps to ::1 (no system file is changed).
SITE_NAME = "lixiao.test"


def security_file(tmp: Path) -> Path:
    """The shipped security.toml with only 127.0.0.1 trusted (so ::1 is a client, not a proxy)."""
    text = (ROOT / "config" / "security.toml").read_text(encoding="utf-8")
    text = _replace(text, 'trusted_proxies = ["127.0.0.1", "::1"]', 'trusted_proxies = ["127.0.0.1"]')
    path = tmp / "security.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/nginx/lixiaotong.conf no longer has: {old!r}"
    return text.replace(old, new)


def site_for_test(app_port: int, address: str, http_port: int, https_port: int, tmp: Path) -> str:
    """The deployed site file with only ports, paths and the upstream changed."""
    text = SITE.read_text(encoding="utf-8")
    text = _replace(text, "server 127.0.0.1:8501;", f"server 127.0.0.1:{app_port};")
    text = _replace(text, "listen 80;\n    listen [::]:80;", f"listen [{address}]:{http_port};")
    text = _replace(text, "listen 443 ssl;\n    listen [::]:443 ssl;",
                    f"listen [{address}]:{https_port} ssl;\n    listen 127.0.0.1:{https_port} ssl;")
    text = _replace(text, "/etc/ssl/lixiaotong/fullchain.pem", str(tmp / "cert.pem"))
    text = _replace(text, "/etc/ssl/lixiaotong/privkey.pem", str(tmp / "key.pem"))
    text = _replace(text, "/var/log/nginx/lixiaotong.access.log", str(tmp / "access.log"))
    text = _replace(text, "/var/log/nginx/lixiaotong.error.log", str(tmp / "error.log"))
    return text


def self_signed(tmp: Path, address: str) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
         "-subj", "/CN=lixiao.test", "-addext", f"subjectAltName=DNS:{SITE_NAME},IP:{address},IP:127.0.0.1"],
        check=True, capture_output=True)


class Nginx:
    def __init__(self, tmp: Path, site: str):
        self.tmp = tmp
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / d).mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
            f"error_log {tmp}/main-error.log warn;\nevents {{ worker_connections 256; }}\n"
            "http {\n  include /etc/nginx/mime.types;\n"
            f"  client_body_temp_path {tmp}/client_body;\n  proxy_temp_path {tmp}/proxy;\n"
            f"  fastcgi_temp_path {tmp}/fastcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n"
            f"  scgi_temp_path {tmp}/scgi;\n  access_log off;\n{site}\n}}\n", encoding="utf-8")
        self.proc = None

    def start(self) -> "Nginx":
        conf = str(self.tmp / "nginx.conf")
        check = subprocess.run([NGINX, "-t", "-p", str(self.tmp), "-c", conf],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([NGINX, "-p", str(self.tmp), "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _wait_ready(url: str) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{url}/api/ready", context=context, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nginx did not answer on {url}")


def _students(db_path: Path) -> dict:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        library = con.execute(
            "SELECT s.student_no, s.name FROM students s JOIN stage_status x USING (student_no)"
            " WHERE x.stage_id = 'library' AND x.state = 'open' AND s.clearance_type = '毕业'"
            " ORDER BY 1 LIMIT 1").fetchall()[0]
        owing = [r[0] for r in con.execute(
            "SELECT student_no FROM stage_status WHERE stage_id = 'finance' AND state = 'passed'"
            " AND updated_by = 'feed:finance' AND student_no IN (SELECT student_no FROM"
            " stage_status WHERE stage_id = 'gso_office' AND state = 'open')"
            " ORDER BY 1 LIMIT 2").fetchall()]
        anyone = con.execute("SELECT student_no, name FROM students ORDER BY 1 DESC LIMIT 1").fetchall()[0]
    finally:
        con.close()
    return {"library": library, "owing": owing, "anyone": anyone}


@contextmanager
def proxied_app(demo_db_path, tmp_path):
    address = CLIENT
    tmp = tmp_path / "nginx"
    tmp.mkdir()
    self_signed(tmp, address)
    https_port, http_port = free_port(), free_port()
    # uvicorn rewrites the peer from X-Forwarded-For for the addresses in FORWARDED_ALLOW_IPS
    # (its default trusts ::1 too): it is given the same list, as DEPLOY.md's unit does.
    env = {"CLEARANCE_SECURITY": str(security_file(tmp)), "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with running_app(demo_db_path, env) as app:
        nginx = Nginx(tmp, site_for_test(app.port, address, http_port, https_port, tmp)).start()
        try:
            url = f"https://{SITE_NAME}:{https_port}"
            _wait_ready(f"https://[{address}]:{https_port}")
            yield {"url": url, "direct_url": f"https://[{address}]:{https_port}", "loopback_url": f"https://127.0.0.1:{https_port}",
                   "http_url": f"http://[{address}]:{http_port}", "address": address, "tmp": tmp}
        finally:
            nginx.stop()


def _look_up(page, no: str, name: str) -> str:
    page.get_by_label("学号").fill(no)
    page.get_by_label("姓名").fill(name)
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)
    return page.inner_text("body")


def test_through_nginx_with_tls(demo_db_path, tmp_path):
    who = _students(demo_db_path)
    feed = tmp_path / "财务处欠费.xlsx"
    pd.DataFrame({"学号": who["owing"], "欠费金额": [1500, 320]}).to_excel(feed, index=False)
    with proxied_app(demo_db_path, tmp_path) as proxy:
        _drive(proxy, who, feed)
    access = (proxy["tmp"] / "access.log").read_text()
    assert "/_stcore/stream" in access and " 101 " in access  # the websocket went through nginx
    con = duckdb.connect(str(demo_db_path), read_only=True)
    try:
        ref = con.execute("SELECT source_ref FROM events WHERE actor = 'lib_staff' AND"
                          " student_no = $n AND stage_id = 'library'",
                          {"n": who["library"][0]}).fetchall()
        finance = dict(con.execute(
            "SELECT student_no, state FROM stage_status WHERE stage_id = 'finance'"
            " AND student_no IN (SELECT unnest($n))", {"n": who["owing"]}).fetchall())
    finally:
        con.close()
    # The audit has the browser's own address: not the forged header, not nginx's loopback.
    assert ref == [(f"ip:{proxy['address']}",)]
    assert finance == {no: "rejected" for no in who["owing"]}  # the upload went through


def _drive(proxy, who, feed) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            *CHROMIUM_ARGS, f"--host-resolver-rules=MAP {SITE_NAME} [{CLIENT}]"])
        try:
            context = browser.new_context(ignore_https_errors=True, locale="zh-CN",
                                          viewport={"width": 1400, "height": 1000},
                                          extra_http_headers={"X-Forwarded-For": FORGED})
            page = context.new_page()
            # Plain http is sent to https.
            response = page.request.get(proxy["http_url"] + "/student", max_redirects=0)
            assert response.status == 301 and response.headers["location"].startswith("https://")
            # The backup route is not reachable through the proxy.
            assert page.request.post(proxy["direct_url"] + "/api/ops/backup").status == 403

            # The student page, over TLS and the websocket.
            open_page(page, f"{proxy['url']}/student")
            no, name = who["anyone"]
            assert f"{name}（{no}）" in _look_up(page, no, name)
            # The advisor form is offered to this lookup's client address: the address nginx
            # saw, on the download request as on the page (ui/downloads.py).
            with page.expect_download() as form:
                page.get_by_role("link", name=re.compile("下载《导师准许离校确认书》")).click()
            assert open(form.value.path(), "rb").read().startswith(b"%PDF")
            open_page(page, f"{proxy['url']}/student")  # a new session: the form again
            # Five wrong names for one 学号, then the next try waits (SECURITY.md) ...
            for _ in range(5):
                assert LOOKUP_FAILED in _look_up(page, no, name + "某")
            assert "查询失败次数较多" in _look_up(page, no, name + "某")
            # ... while another client (loopback, through the same proxy) is not slowed on
            # another 学号: the client limit is per address, not shared behind the proxy.
            other = context.browser.new_context(ignore_https_errors=True, locale="zh-CN")
            other_page = other.new_page()
            open_page(other_page, f"{proxy['loopback_url']}/student")
            other_no = no[:-1] + str((int(no[-1]) + 1) % 10)
            assert LOOKUP_FAILED in _look_up(other_page, other_no, name + "某")
            other.close()

            # A desk: sign in, mark by keyboard.
            open_page(page, proxy["url"])
            sign_in(page, "lib_staff", "demo1234")
            page.get_by_role("link", name="办理", exact=True).click()
            page.wait_for_timeout(300)
            wait_idle(page)
            page.locator(LOOKUP).fill(who["library"][0])
            page.keyboard.press("Enter")
            page.wait_for_timeout(400)
            wait_idle(page)
            # What the library checks is recorded with the pass (issue 10).
            for item in ("所借图书已全部归还 *", "超期违约金已缴清（10元以内免收） *",
                         "借用的硬件设备已归还 *", "学位论文电子版已提交 *"):
                page.get_by_text(item).click()
                page.wait_for_timeout(200)
            page.get_by_label("已缴超期违约金（元，免收或无则填 0） *").fill("0")
            page.wait_for_timeout(300)
            wait_idle(page)
            page.get_by_role("button", name="通过", exact=True).click()
            page.get_by_text("“图书馆”已通过").wait_for(timeout=30_000)
            sign_out(page)

            # An upload: the finance office's file on 系统对接数据.
            sign_in(page, "admin", "demo1234")
            page.get_by_role("link", name="系统对接数据").click()
            wait_idle(page)
            # A staff export through the proxy: the Secure cookie goes with the download request.
            page.get_by_text("文件格式（CSV、XLSX 或 XLS，第一行为列名）").click()
            with page.expect_download() as template:
                page.get_by_role("link", name="下载导入模板").click()
            assert template.value.suggested_filename.endswith("导入模板.xlsx")
            page.locator("input[type='file']").set_input_files(str(feed))
            page.get_by_text("将发生的变化").wait_for(timeout=30_000)
            wait_idle(page)
            page.get_by_role("button", name="确认导入").click()
            page.get_by_text(f"已导入 {feed.name}").wait_for(timeout=30_000)
            page.screenshot(path=str(proxy["tmp"] / "through-nginx.png"), full_page=True)
        finally:
            browser.close()
