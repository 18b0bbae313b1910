"""Every screen, asked for first on a fresh server without signing in, shows no student data and
the app's own Chinese menu. (Streamlit serves a folder named pages/ by itself, its files' English
names as the menu, before app.py has run: the screens live in screens/ and each still checks who
is asking at its own top.) New screens are covered automatically (the test lists screens/)."""

from pathlib import Path

import duckdb
import pytest

from tests.browser.harness import chromium, open_page, running_app

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.stem for p in (ROOT / "screens").glob("*.py"))
PUBLIC = {"student"}  # the student self-service look-up: a form, no data until 学号+姓名 match


def _student_data(db_path: Path) -> tuple[list[str], list[str]]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute("SELECT student_no, name FROM students").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows], sorted({r[1] for r in rows})


@pytest.mark.parametrize("page_name", PAGES)
def test_page_first_on_a_fresh_server_shows_no_data(page_name, demo_db_path):
    numbers, names = _student_data(demo_db_path)
    with running_app(demo_db_path) as server, chromium() as page:
        open_page(page, f"{server.url}/{page_name}")
        text = page.inner_text("body")
    leaked = [n for n in numbers if n in text] + [n for n in names if n in text]
    assert leaked == [], f"{page_name} shows student data before sign-in: {leaked[:10]}"
    assert "Traceback" not in text and "Error" not in text
    if page_name not in PUBLIC:
        assert "工作人员登录" in text, f"{page_name} does not ask for sign-in:\n{text[:500]}"
    for number_like in ("离校学生", "全部办结", "待办理"):
        assert number_like not in text
    # app.py ran: its signed-out menu and the demo banner, not a menu of file names.
    assert "学生查询" in text and "演示库" in text, text[:500]
    for file_name in PAGES:
        assert f"\n{file_name.replace('_', ' ')}\n" not in f"\n{text}\n", f"{page_name}: menu of file names"
