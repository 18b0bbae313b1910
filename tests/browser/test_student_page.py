"""The public student page in a real Chromium at phone size (390×844): a demo student sees
the right ✓/× for every stage and the rooms of their own campus, downloads the advisor form
with their name in it; a wrong name gets the neutral message; the sixth rapid failure from
one client is refused, in a fresh session too. The server is fresh, so the page is also
served directly (before app.py has run), as a student's bookmark would be."""

import io
import re

import duckdb
import pytest
from pypdf import PdfReader

from clearance.store.config import load_catalogue
from clearance.rules.student_view import LOOKUP_FAILED, STATE_MARKS, STATE_TEXT
from tests.browser.harness import chromium, open_page, running_app, wait_idle

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def student(demo_db_path):
    """A 虎溪 demo student with a rejection and open stages, read before the app owns the file."""
    con = duckdb.connect(str(demo_db_path), read_only=True)
    no, name, level, kind = con.execute(
        "SELECT s.student_no, s.name, s.level, s.clearance_type FROM students s"
        " JOIN stage_status x USING (student_no) WHERE s.campus = '虎溪'"
        " GROUP BY ALL HAVING count(*) FILTER (WHERE x.state = 'rejected') >= 1"
        "   AND count(*) FILTER (WHERE x.state = 'open') >= 2"
        " ORDER BY s.student_no LIMIT 1").fetchall()[0]
    states = dict(con.execute(
        "SELECT stage_id, state FROM stage_status WHERE student_no = $n", {"n": no}).fetchall())
    con.close()
    return {"no": no, "name": name, "level": level, "type": kind, "states": states}


def look_up(page, no: str, name: str) -> None:
    page.get_by_label("学号").fill(no)
    page.get_by_label("姓名").fill(name)
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)


def body(page) -> str:
    return page.inner_text("body")


def test_student_on_a_phone(demo_db_path, student, tmp_path):
    catalogue = load_catalogue()
    with running_app(demo_db_path) as app, chromium(PHONE) as page:
        open_page(page, f"{app.url}/student")
        assert page.get_by_label("学号").is_visible()
        assert "各环节办理情况" not in body(page)

        look_up(page, student["no"], student["name"] + "某")
        assert LOOKUP_FAILED in body(page)
        assert "各环节办理情况" not in body(page)

        look_up(page, student["no"], student["name"])
        text = body(page)
        page.screenshot(path=str(tmp_path / "student-phone.png"))
        assert f"{student['name']}（{student['no']}）" in text
        for stage in catalogue.stages:
            state = student["states"][stage.stage_id]
            assert f"{STATE_MARKS[state]}　{stage.name}　{STATE_TEXT[state]}" in text, stage.name
        for stage_id, state in student["states"].items():
            if state in ("open", "rejected"):
                room = catalogue.location(stage_id, "虎溪").room
                assert room and room in text, stage_id
        assert "A区研究生院305室" not in text  # another campus's office

        form_link = page.get_by_role("link", name=re.compile("下载《导师准许离校确认书》"))
        href = form_link.get_attribute("href")
        with page.expect_download() as download:
            form_link.click()
        data = open(download.value.path(), "rb").read()
        pdf = re.sub(r"\s+", "", PdfReader(io.BytesIO(data)).pages[0].extract_text())
        assert f"{student['level']}研究生{student['name']}，学号：{student['no']}" in pdf
        assert f"已经{student['type']}" in pdf and "导师签字" in pdf
        assert download.value.suggested_filename.endswith(f"{student['no']}.pdf")

        page.get_by_role("button", name=re.compile("退出")).click()
        wait_idle(page)
        assert "/media/" not in href and page.request.get(app.url + href).status == 403  # left: gone
        # A lookup whose tab was closed: the same address, the link of the closed page → 403.
        tab = page.context.new_page()
        open_page(tab, f"{app.url}/student")
        look_up(tab, student["no"], student["name"])
        closed = tab.get_by_role("link", name=re.compile("下载《导师准许离校确认书》")).get_attribute("href")
        assert page.request.get(app.url + closed).status == 200  # control: the tab is open
        tab.close()
        page.wait_for_timeout(1000)
        assert page.request.get(app.url + closed).status == 403
        for attempt in range(2, 6):  # failures 2 … 5 from this client
            look_up(page, student["no"], f"错{attempt}")
            assert LOOKUP_FAILED in body(page), attempt
        look_up(page, student["no"], "错6")
        assert "查询失败次数较多" in body(page)  # the sixth try on one 学号 waits…
        assert "各环节办理情况" not in body(page)
        page.screenshot(path=str(tmp_path / "student-refused.png"))

        page.wait_for_timeout(6000)  # …a few seconds, and is never locked out (SECURITY.md)
        open_page(page, f"{app.url}/student")  # a new session from the same client
        look_up(page, student["no"], student["name"])
        assert "各环节办理情况" in body(page)
