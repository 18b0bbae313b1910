"""The plain student page (/chaxun, webapi/student_page.py) in a real server: the lookup rule,
the shared limits, CSRF, escaping, the PDF; and in a real Chromium at phone width with
JavaScript turned off (reading one's status must not need it).

One server for the HTTP tests; each test speaks from its own address (X-Forwarded-For from the
loopback proxy, which config/student_page.toml trusts), so the per-client limits of one test do
not leak into another."""

from __future__ import annotations

import http.client
import json
import io
import re
import shutil
from urllib.parse import urlencode, urlsplit

import duckdb
import pytest
from pypdf import PdfReader

from clearance.store.config import load_catalogue
from clearance.rules.student_view import LOOKUP_FAILED, STATE_TEXT
from tests.browser.harness import chromium, open_page, running_app, wait_idle
from tests.conftest import _demo_file

PHONE = {"width": 390, "height": 844}
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
EVIL_NAME = "<img src=x onerror=alert(1)>韩梅"
EVIL_REASON = "<script>alert('x')</script>借书未还"


def _prepare(path):
    """A 虎溪 student with a rejection whose name and reason are markup, read before the app
    owns the file (a roster or a reason is data from outside: it must show as text)."""
    con = duckdb.connect(str(path))
    no, level, kind, college = con.execute(
        "SELECT s.student_no, s.level, s.clearance_type, s.college FROM students s"
        " JOIN stage_status x USING (student_no) WHERE s.campus = '虎溪'"
        " GROUP BY ALL HAVING count(*) FILTER (WHERE x.state = 'rejected') >= 1"
        "   AND count(*) FILTER (WHERE x.state = 'open') >= 2"
        " ORDER BY s.student_no LIMIT 1").fetchall()[0]
    con.execute("UPDATE students SET name = $n WHERE student_no = $s", {"n": EVIL_NAME, "s": no})
    con.execute("UPDATE stage_status SET reason = $r WHERE student_no = $s AND state = 'rejected'",
                {"r": EVIL_REASON, "s": no})
    states = dict(con.execute("SELECT stage_id, state FROM stage_status WHERE student_no = $n",
                              {"n": no}).fetchall())
    other = con.execute("SELECT student_no, name FROM students WHERE student_no <> $n LIMIT 1",
                        {"n": no}).fetchall()[0]
    b_campus = con.execute(
        "SELECT student_no, name, college, level, clearance_type FROM students"
        " WHERE campus = 'B区' ORDER BY student_no LIMIT 1").fetchall()[0]
    con.close()
    return {"no": no, "name": EVIL_NAME, "level": level, "type": kind, "college": college,
            "states": states, "other": other, "b_campus": b_campus}


@pytest.fixture(scope="module")
def app_and_student(tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "demo.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), path)
    student = _prepare(path)
    with running_app(path) as app:
        yield app, student


class Client:
    """One browser-like client: keeps the form token and cookie of the last page."""

    def __init__(self, url: str, ip: str):
        self.url, self.ip = url, ip
        parts = urlsplit(url)
        self.con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookie = ""
        self.token = ""

    def request(self, method, path, fields=None, headers=None):
        data = urlencode(fields).encode() if fields is not None else None
        h = {"X-Forwarded-For": self.ip, **(headers or {})}
        if data is not None:
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookie:
            h["Cookie"] = self.cookie
        self.con.request(method, path, body=data, headers=h)
        r = self.con.getresponse()
        body = r.read()
        set_cookie = r.getheader("set-cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";")[0]
        text = body.decode("utf-8", "replace") if r.getheader("content-type", "").startswith(
            "text/html") else ""
        found = TOKEN.search(text)
        if found:
            self.token = found.group(1)
        return r, body, text

    def open(self):
        return self.request("GET", "/chaxun")

    def look_up(self, no, name, path="/chaxun", **extra):
        fields = {"student_no": no, "name": name, "csrf": self.token, **extra}
        return self.request("POST", path, fields, {"Origin": self.url})


def test_form_page_is_plain_html_with_a_token(app_and_student):
    app, _ = app_and_student
    r, _, text = Client(app.url, "10.0.0.1").open()
    assert r.status == 200
    assert "学号" in text and "姓名" in text and 'type="submit"' in text
    assert "<script" not in text.lower()  # nothing to run
    assert r.getheader("cache-control") == "no-store"
    assert "script-src" not in r.getheader("content-security-policy")  # default-src 'none'
    cookie = r.getheader("set-cookie")
    assert "lxt_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_the_right_pair_shows_every_stage_with_markup_as_text(app_and_student):
    app, student = app_and_student
    c = Client(app.url, "10.0.0.2")
    c.open()
    r, _, text = c.look_up(student["no"], student["name"])
    assert r.status == 200
    assert "&lt;img src=x onerror=alert(1)&gt;韩梅（" in text
    assert "<img" not in text and "<script>" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;借书未还" in text
    catalogue = load_catalogue()
    items = re.findall(r'<li class="(done|open)">\s*<span class="mark">(.)</span>\s*<span>([^<]+)'
                       r'.*?<span class="label">([^<]+)</span>', text, re.S)
    assert [(name, label) for _, _, name, label in items] == [
        (s.name, STATE_TEXT[student["states"][s.stage_id]]) for s in catalogue.stages]
    for stage_id, state in student["states"].items():
        if state in ("open", "rejected"):
            assert catalogue.location(stage_id, "虎溪").room in text, stage_id
    # Each thing said once: the campus with one 校区, the reason only in its stop.
    assert (f'<p class="muted">{student["college"]}　{student["level"]}　{student["type"]}　虎溪校区</p>'
            in text)
    assert "按可办理的顺序排列，地点为虎溪校区学生的办理地点。" in text
    assert text.count("借书未还") == 1 and "不通过原因" not in text
    assert "<p>原因：&lt;script&gt;" in text


def test_a_b_campus_student_reads_b_not_b_campus_campus(app_and_student):
    app, student = app_and_student
    no, name, college, level, kind = student["b_campus"]
    c = Client(app.url, "10.0.0.12")
    c.open()
    r, _, text = c.look_up(no, name)
    assert r.status == 200
    assert f'<p class="muted">{college}　{level}　{kind}　B区</p>' in text
    assert "区校区" not in text


def test_wrong_name_and_unknown_number_get_the_same_answer(app_and_student):
    app, student = app_and_student
    c = Client(app.url, "10.0.0.3")
    c.open()
    _, _, wrong_name = c.look_up(student["no"], "韩梅")
    _, _, unknown = c.look_up("2099999999", "韩梅")
    assert LOOKUP_FAILED in wrong_name and LOOKUP_FAILED in unknown
    strip = lambda t: TOKEN.sub("", t).replace(student["no"], "").replace("2099999999", "")
    assert strip(wrong_name) == strip(unknown)  # nothing tells which 学号 exist
    assert "各环节办理情况" not in wrong_name


def test_a_post_without_the_token_or_from_another_site_is_refused(app_and_student):
    app, student = app_and_student
    c = Client(app.url, "10.0.0.4")
    c.open()
    good = c.token
    r, _, text = c.look_up(student["no"], student["name"], csrf="forged")
    assert r.status == 403 and "各环节办理情况" not in text
    c.token = good
    c.cookie = ""  # a cross-site post carries no SameSite=Strict cookie
    r, _, text = c.look_up(student["no"], student["name"])
    assert r.status == 403 and "各环节办理情况" not in text
    c.open()
    r, _, text = c.request("POST", "/chaxun", {"student_no": student["no"], "name": student["name"],
                                               "csrf": c.token}, {"Origin": "https://evil.example"})
    assert r.status == 403 and "各环节办理情况" not in text


def test_an_oversized_post_is_refused_before_it_is_read(app_and_student):
    app, student = app_and_student
    c = Client(app.url, "10.0.0.5")
    c.open()
    r, _, text = c.look_up(student["no"], student["name"], padding="x" * 10_000)
    assert r.status == 413 and "各环节办理情况" not in text
    r, _, text = c.look_up(student["no"] + "9" * 40, student["name"])
    assert r.status == 413


def test_a_body_that_is_not_our_urlencoded_form_is_refused(app_and_student):
    # The form's body is parsed by the page itself (not request.form()): anything but UTF-8
    # application/x-www-form-urlencoded with a few fields is refused and shows nobody.
    app, student = app_and_student
    c = Client(app.url, "10.0.0.9")
    c.open()
    fields = {"student_no": student["no"], "name": student["name"], "csrf": c.token}
    boundary = "lxtboundary"
    multipart = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                        for k, v in fields.items()) + f"--{boundary}--\r\n"
    attempts = [
        (multipart.encode(), f"multipart/form-data; boundary={boundary}"),
        (urlencode(fields).encode() + b"&x=%FF%FE", "application/x-www-form-urlencoded"),  # not UTF-8
        (urlencode({**fields, **{f"f{i}": "1" for i in range(20)}}).encode(),
         "application/x-www-form-urlencoded"),  # more fields than the form has
        (json.dumps(fields).encode(), "application/json"),
    ]
    for body, kind in attempts:
        c.con.request("POST", "/chaxun", body=body, headers={
            "X-Forwarded-For": c.ip, "Origin": app.url, "Cookie": c.cookie, "Content-Type": kind})
        r = c.con.getresponse()
        text = r.read().decode("utf-8", "replace")
        assert r.status == 403 and "各环节办理情况" not in text, kind
    r, _, text = c.look_up(student["no"], student["name"])  # the real form still works
    assert r.status == 200 and "各环节办理情况" in text


def test_the_pdf_needs_the_pair_again(app_and_student):
    app, student = app_and_student
    c = Client(app.url, "10.0.0.6")
    c.open()
    c.look_up(student["no"], student["name"])
    r, body, _ = c.look_up(student["no"], student["name"], path="/chaxun/form.pdf")
    assert r.status == 200 and r.getheader("content-type") == "application/pdf"
    assert student["no"] in r.getheader("content-disposition")
    pdf = re.sub(r"\s+", "", PdfReader(io.BytesIO(body)).pages[0].extract_text())
    assert f"{student['level']}研究生{student['name'].replace(' ', '')}，学号：{student['no']}" in pdf
    c.open()
    r, body, text = c.look_up(student["no"], "韩梅", path="/chaxun/form.pdf")
    assert r.getheader("content-type").startswith("text/html") and LOOKUP_FAILED in text


def test_failures_count_across_both_pages_and_a_known_pair_does_not_reset_them(app_and_student):
    """Failures on /chaxun for one 学号: once the limit is reached the next attempt there is
    refused even with the right pair, and so is the Streamlit 学生查询 page (one limiter)."""
    app, student = app_and_student
    with chromium(PHONE) as page:
        # The Streamlit page is open and filled in first: the delay after the sixth failure is
        # 5 s (per_student.base_delay), longer than starting a browser on a slow machine.
        open_page(page, f"{app.url}/student")
        page.get_by_label("学号").fill(student["no"])
        page.get_by_label("姓名").fill(student["name"])
        c = Client(app.url, "127.0.0.1")  # the same key as a browser on loopback without a proxy
        c.open()
        other_no, other_name = student["other"]
        c.look_up(other_no, other_name)  # a success first: refunds its own slot only
        # Five failures on this 学号 are free (config/security.toml, per_student; earlier tests
        # of this module may have used some), then the next attempt must wait.
        for attempt in range(6):
            _, _, text = c.look_up(student["no"], f"错{attempt}")
            if "查询失败次数较多" in text:
                break
            assert LOOKUP_FAILED in text, attempt
        else:
            raise AssertionError("six failures on one 学号 were never slowed down")
        r, _, text = c.look_up(student["no"], student["name"])
        assert r.status == 429 and "查询失败次数较多" in text and "各环节办理情况" not in text
        r, body, text = c.look_up(student["no"], student["name"], path="/chaxun/form.pdf")
        assert r.status == 429 and not body.startswith(b"%PDF")

        page.get_by_role("button", name="查询", exact=True).click()
        page.wait_for_timeout(300)
        wait_idle(page)
        assert "查询失败次数较多" in page.inner_text("body")


def test_phone_without_javascript(tmp_path, tmp_path_factory):
    """At 390 px with JavaScript off: the form, a lookup, the row, the PDF download."""
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS
    path = tmp_path / "demo.duckdb"
    shutil.copy(_demo_file(tmp_path_factory), path)
    con = duckdb.connect(str(path), read_only=True)
    no, name = con.execute("SELECT s.student_no, s.name FROM students s JOIN stage_status x"
                           " USING (student_no) WHERE x.state = 'open' AND s.campus = 'A区'"
                           " ORDER BY 1 LIMIT 1").fetchall()[0]
    con.close()
    with running_app(path) as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False,
                                          accept_downloads=True)
            page = context.new_page()
            page.goto(f"{app.url}/chaxun")
            page.get_by_label("学号").fill(no)
            page.get_by_label("姓名").fill(name)
            page.get_by_label("姓名").press("Enter")
            page.wait_for_load_state()
            text = page.inner_text("body")
            assert f"{name}（{no}）" in text and "各环节办理情况" in text and "接下来去哪里办" in text
            page.screenshot(path=str(tmp_path / "student-html-phone.png"), full_page=True)
            shutil.copy(tmp_path / "student-html-phone.png", "/tmp/student-html-phone.png")
            with page.expect_download() as download:
                page.get_by_role("button", name=re.compile("下载《导师准许离校确认书》")).click()
            data = open(download.value.path(), "rb").read()
            assert data.startswith(b"%PDF")
            assert download.value.suggested_filename == f"导师准许离校确认书_{no}.pdf"
        finally:
            browser.close()
