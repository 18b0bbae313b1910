"""Exports after sign-out: a page's file is served by the app's own route, `/download/<id>`,
which checks on every request that the one asking is the export's holder (ui/downloads.py,
webapi/downloads.py). Before, Streamlit served it at `/media/<hash>` to anyone with the URL.

Each attack takes a real export URL (drawn by the real page) and fetches it the way an attacker
would: after sign-out, with no cookie, with another user's cookie, after the session expired,
after the account was disabled or moved; the signed-in owner gets the file, and its content is
right and formula-safe."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from clearance.adapters import downloads
from clearance.adapters.downloads import StaffHolder, StudentHolder
from clearance.adapters.sessions import COOKIE, end_session, start_session, token_hash
from clearance.clock import beijing_now
from clearance.root import open_store
from clearance.store.accounts import set_active
from tests.conftest import sign_in_apptest
from tests.security.asgi import get
from webapi.downloads import routes

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r'href="(/download/[^"]+)"[^>]*>.*?</span>([^<]+)</a>')
REFUSED = "无法下载"


def _college_page(username: str = "cs_secretary") -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / "college.py"), default_timeout=60)
    return sign_in_apptest(at, username).run()


def _links(at: AppTest) -> dict[str, str]:
    found = {}
    for element in at.html:
        match = LINK.search(element.value)
        if match:
            found[unescape(match[2])] = match[1]
    return found


def _refused(reply) -> None:
    assert reply.status == 403
    assert REFUSED in reply.text and "返回离校通" in reply.text
    assert "学号" not in reply.text and reply.headers["content-type"].startswith("text/html")


def _rows(csv_bytes: bytes) -> list[dict]:
    assert csv_bytes.startswith("\ufeff".encode())  # Excel on Windows reads the BOM as UTF-8
    return list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))


@pytest.fixture
def export(demo_env):
    """cs_secretary's 学院催办, a lagging student's name made a formula first: its links."""
    store = open_store()
    student = store.read_dicts(
        "SELECT student_no FROM students s WHERE college = '计算机学院' AND EXISTS (SELECT 1 FROM"
        " stage_status x WHERE x.student_no = s.student_no AND x.state <> 'passed'"
        " AND x.state <> 'not_needed') ORDER BY student_no LIMIT 1")[0]["student_no"]
    with store.transaction() as cur:
        cur.execute("UPDATE students SET name = '=1+1' WHERE student_no = $s", {"s": student})
    at = _college_page()
    assert not at.exception
    lagging = int(re.search(r"（(\d+) 人）", at.subheader[0].value)[1])
    return {"at": at, "links": _links(at), "token": at.session_state["signed_in"]["token"],
            "lagging": lagging, "formula_student": student}


def test_the_page_offers_every_export_through_the_route_not_media(export):
    assert set(export["links"]) == {"导出 Excel", "导出 CSV", "导出短信清单（手机, 短信内容）"}
    html = "".join(h.value for h in export["at"].html)
    assert "/media/" not in html and not export["at"].get("download_button")


def test_no_screen_hands_a_file_to_streamlit():
    """Every export goes through ui.downloads.download_link: a st.download_button anywhere in
    the app would put a file back on /media for anyone with its URL."""
    sources = [ROOT / "app.py", *ROOT.glob("screens/*.py"), *ROOT.glob("ui/*.py")]
    assert [p.name for p in sources if re.search(r"\bdownload_button\s*\(", p.read_text())] == []


def test_the_signed_in_owner_gets_the_files_and_they_are_right(export):
    cookie = {COOKIE: export["token"]}
    reply = get(routes, export["links"]["导出 CSV"], cookies=cookie)
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    assert reply.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    rows = _rows(reply.body)
    assert len(rows) == export["lagging"] and {r["学院"] for r in rows} == {"计算机学院"}
    formula = next(r for r in rows if r["学号"] == export["formula_student"])
    assert formula["姓名"] == "'=1+1"  # neutralised: a spreadsheet shows it, never runs it

    xlsx = get(routes, export["links"]["导出 Excel"], cookies=cookie)
    sheet = list(openpyxl.load_workbook(io.BytesIO(xlsx.body)).active.iter_rows(values_only=True))
    assert sheet[0][:3] == ("学号", "姓名", "学院") and len(sheet) - 1 == export["lagging"]
    assert "=1+1" not in [row[1] for row in sheet[1:]]

    sms = _rows(get(routes, export["links"]["导出短信清单（手机, 短信内容）"], cookies=cookie).body)
    assert list(sms[0]) == ["手机", "短信内容"] and len(sms) == export["lagging"]


def test_no_cookie_or_another_users_cookie_gets_nothing(export):
    url = export["links"]["导出 CSV"]
    _refused(get(routes, url))
    _refused(get(routes, url, cookies={COOKIE: "forged-" + export["token"][7:]}))
    for other in ("civil_secretary", "admin", "gs"):  # same role, another college; the admins
        _refused(get(routes, url, cookies={COOKIE: start_session(open_store(), other)}))
    assert get(routes, url, cookies={COOKIE: export["token"]}).status == 200  # control


def test_after_sign_out_the_url_is_worthless(export):
    url = export["links"]["导出 Excel"]
    assert get(routes, url, cookies={COOKIE: export["token"]}).status == 200
    end_session(open_store(), export["token"])  # 退出登录 (in this tab or any other)
    _refused(get(routes, url, cookies={COOKIE: export["token"]}))
    # Signing in again is a new sign-in: the old page's links stay dead.
    _refused(get(routes, url, cookies={COOKIE: start_session(open_store(), "cs_secretary")}))


def test_an_expired_session_gets_nothing(export):
    with open_store().transaction(touches_data=False) as cur:  # 31 minutes without use
        cur.execute("UPDATE staff_sessions SET last_seen = $t WHERE token_hash = $h",
                    {"t": beijing_now() - timedelta(minutes=31), "h": token_hash(export["token"])})
    _refused(get(routes, export["links"]["导出 CSV"], cookies={COOKIE: export["token"]}))


def test_a_disabled_or_moved_account_gets_nothing(export):
    url, cookie = export["links"]["导出 CSV"], {COOKIE: export["token"]}
    with open_store().transaction() as cur:  # moved to another college: no longer its export
        cur.execute("UPDATE staff SET college = '土木工程学院' WHERE username = 'cs_secretary'")
    _refused(get(routes, url, cookies=cookie))
    with open_store().transaction() as cur:
        cur.execute("UPDATE staff SET college = '计算机学院' WHERE username = 'cs_secretary'")
    assert get(routes, url, cookies=cookie).status == 200
    set_active(open_store(), "cs_secretary", False, by="admin")
    _refused(get(routes, url, cookies=cookie))


def test_a_redrawn_page_replaces_its_links_and_old_ones_expire(export, monkeypatch):
    old = export["links"]["导出 CSV"]
    cookie = {COOKIE: export["token"]}
    new = _links(export["at"].run())["导出 CSV"]
    assert new != old
    _refused(get(routes, old, cookies=cookie))
    assert get(routes, new, cookies=cookie).status == 200
    # A second tab of the same sign-in draws its own links and leaves the first tab's alone
    # (AppTest gives every run the same Streamlit session id; a browser tab has its own).
    import ui.downloads
    monkeypatch.setattr(ui.downloads, "session_id", lambda: "second tab")
    tab = AppTest.from_file(str(ROOT / "screens" / "college.py"), default_timeout=60)
    tab.session_state["signed_in"] = {"token": export["token"]}
    other_tab = _links(tab.run())["导出 CSV"]
    assert other_tab != new
    assert get(routes, new, cookies=cookie).status == 200
    assert get(routes, other_tab, cookies=cookie).status == 200
    holder = StaffHolder(token_hash(export["token"]), "cs_secretary", "college", "计算机学院")
    stale = downloads.offer(holder, "t", lambda: b"x", "x.csv", "text/csv",
                            now=time.monotonic() - downloads.OFFER_MINUTES * 60 - 1)
    _refused(get(routes, downloads.PATH + stale, cookies=cookie))
    _refused(get(routes, downloads.PATH + "guessed-id", cookies=cookie))


def test_the_advisor_form_is_for_the_students_own_lookup_only(demo_env, monkeypatch):
    """The student page's form: the lookup's client address and open page, until the student
    leaves. (No Streamlit server runs here: which tabs are open is set by the test; the real
    check runs in tests/browser/test_student_page.py.)"""
    import webapi.downloads
    open_tabs = {"tab-1", "tab-2"}
    monkeypatch.setattr(webapi.downloads, "page_open", lambda session_id: session_id in open_tabs)
    store = open_store()
    student_no = store.read_dicts("SELECT student_no FROM students ORDER BY student_no LIMIT 1")[0]["student_no"]
    holder = StudentHolder("lookup-1", "10.1.2.3", student_no, "tab-1")
    url = downloads.PATH + downloads.offer(holder, "advisor_form_download", lambda: b"%PDF-1.4 form",
                                           f"导师准许离校确认书_{student_no}.pdf", "application/pdf")
    assert get(routes, url, client=("10.1.2.3", 4000)).body == b"%PDF-1.4 form"  # the student
    _refused(get(routes, url, client=("10.9.9.9", 4000)))                       # anyone else
    _refused(get(routes, url, client=("10.9.9.9", 4000), headers={"X-Forwarded-For": "10.1.2.3"}))
    # a staff cookie does not open a student's form either
    _refused(get(routes, url, client=("10.9.9.9", 4000),
                 cookies={COOKIE: start_session(store, "cs_secretary")}))
    open_tabs.discard("tab-1")  # the student closed the tab: the same address gets nothing
    _refused(get(routes, url, client=("10.1.2.3", 4000)))
    open_tabs.add("tab-1")
    downloads.revoke_lookup("lookup-1")  # 退出 / 查询其他学号
    _refused(get(routes, url, client=("10.1.2.3", 4000)))
    # A student no longer on the roster (removed since the lookup) gets nothing either.
    gone = StudentHolder("lookup-2", "10.1.2.3", "1999999999", "tab-2")
    gone_url = downloads.PATH + downloads.offer(gone, "advisor_form_download", lambda: b"%PDF",
                                                "x.pdf", "application/pdf")
    _refused(get(routes, gone_url, client=("10.1.2.3", 4000)))


def test_in_a_real_browser_the_export_downloads_and_dies_with_the_sign_out(attack_app, tmp_path):
    """Chromium: cs_secretary downloads the CSV from 学院催办 (the page stays); the URL with the
    cookie works over plain HTTP too; with no cookie, another secretary's cookie, or after sign-out
    it answers 403 and the Chinese page."""
    import urllib.error
    import urllib.request

    from tests.browser.harness import chromium, open_page, sign_in, sign_out, wait_idle

    def fetch(url: str, cookie: str | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    with chromium() as page:
        open_page(page, attack_app.url + "/")
        sign_in(page, "cs_secretary", "demo1234")
        # 学院催办 of the largest college on a loaded CI machine can take a while the first time.
        page.locator("[data-testid='stSidebarNav']").get_by_text("学院催办", exact=True).click()
        link = page.get_by_role("link", name="导出 CSV")
        link.wait_for(timeout=120_000)
        wait_idle(page, timeout=60_000)
        url = attack_app.url + link.get_attribute("href")
        assert page.locator("[data-testid='stDownloadButton'], a[href*='/media/']").count() == 0
        with page.expect_download() as info:
            link.click()
        rows = _rows(Path(info.value.path()).read_bytes())
        assert info.value.suggested_filename.endswith("_未办结学生_2018-06.csv")
        assert rows and {r["学院"] for r in rows} == {"计算机学院"}
        page.wait_for_timeout(500)
        assert "离校催办" in page.inner_text("body")  # the download left the page where it was
        page.screenshot(path=str(tmp_path / "college-exports.png"))
        token = {c["name"]: c for c in page.context.cookies()}[COOKIE]["value"]

        status, body = fetch(url, token)  # the owner's cookie over plain HTTP: the same file
        assert status == 200 and _rows(body) == rows
        assert fetch(url)[0] == 403  # no cookie

        other = page.context.browser.new_context(locale="zh-CN").new_page()
        open_page(other, attack_app.url + "/")
        sign_in(other, "civil_secretary", "demo1234")
        other_token = {c["name"]: c for c in other.context.cookies()}[COOKIE]["value"]
        assert fetch(url, other_token)[0] == 403  # another college's secretary
        refused_in_browser = other.goto(url)
        assert refused_in_browser.status == 403 and REFUSED in other.inner_text("body")

        sign_out(page)
        status, body = fetch(url, token)  # the signed-out cookie
        assert status == 403 and REFUSED in body.decode()
        shown = page.goto(url)
        assert shown.status == 403 and "返回离校通" in page.inner_text("body")
        page.screenshot(path=str(tmp_path / "download-refused.png"))
        import shutil
        shutil.copy(tmp_path / "college-exports.png", "/tmp/guard/college-exports.png")
        shutil.copy(tmp_path / "download-refused.png", "/tmp/guard/download-refused.png")
