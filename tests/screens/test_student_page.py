"""The public student page under AppTest over the demo store: nothing but the form until a
lookup succeeds, one neutral message for every mismatch, the stages and stops for the right
pair, and the sixth rapid failure refused."""

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from clearance.store.config import load_catalogue
from clearance.root import close_all_stores
from clearance.rules.student_view import LOOKUP_FAILED
from ui.student_lookup import limiter

PAGE = str(Path(__file__).resolve().parents[2] / "screens" / "student.py")


@pytest.fixture
def demo_env(demo_db_path, monkeypatch):
    monkeypatch.setenv("CLEARANCE_DB", str(demo_db_path))
    limiter().reset()  # one limiter per process: start each test with a clean slate
    yield demo_db_path
    limiter().reset()
    close_all_stores()


@pytest.fixture
def rejected_student(demo_db_path):
    """A demo student with a rejection at some stage (read before the app opens the file)."""
    con = duckdb.connect(str(demo_db_path), read_only=True)
    row = con.execute(
        "SELECT s.student_no, s.name, x.stage_id, x.reason, s.college, s.level,"
        " s.clearance_type, s.campus FROM students s"
        " JOIN stage_status x USING (student_no) WHERE x.state = 'rejected'"
        " ORDER BY s.student_no LIMIT 1").fetchall()[0]
    states = dict(con.execute("SELECT stage_id, state FROM stage_status WHERE student_no = $n",
                              {"n": row[0]}).fetchall())
    con.close()
    return {"no": row[0], "name": row[1], "stage": row[2], "reason": row[3], "states": states,
            "profile": row[4:]}


def page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def look_up(at: AppTest, no: str, name: str) -> AppTest:
    at.text_input(key="lookup_student_no").input(no)
    at.text_input(key="lookup_name").input(name)
    return at.button[0].click().run()


def shown_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [s.value for s in at.subheader] + [e.value for e in at.error]
    return "\n".join(parts)


def test_nothing_but_the_form_before_a_lookup(demo_env):
    at = page()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["学号", "姓名"]
    assert len(at.subheader) == 0 and not [h for h in at.html if "/download/" in h.value]
    assert "各环节" not in shown_text(at) and "重要日期" not in shown_text(at)


def test_wrong_name_and_unknown_number_get_the_same_message(demo_env, rejected_student):
    at = look_up(page(), rejected_student["no"], "不是这个人")
    assert [e.value for e in at.error] == [LOOKUP_FAILED]
    assert len(at.subheader) == 0
    at = look_up(page(), "1999999999", rejected_student["name"])
    assert [e.value for e in at.error] == [LOOKUP_FAILED]
    assert len(at.subheader) == 0


def test_the_right_pair_shows_every_stage_and_the_stops(demo_env, rejected_student):
    at = look_up(page(), f" {rejected_student['no']} ", rejected_student["name"])
    assert not at.exception and not at.error
    assert at.subheader[0].value == f"{rejected_student['name']}（{rejected_student['no']}）"
    text = shown_text(at)
    assert rejected_student["reason"] in text.replace("\\", "")
    # Each thing once: the reason only in its stop, the campus with one 校区 ("B区", not "B区校区").
    assert text.replace("\\", "").count(rejected_student["reason"]) == 1
    college, level, kind, campus = rejected_student["profile"]
    said = {"A区": "A区", "B区": "B区", "C区": "C区", "虎溪": "虎溪校区"}[campus]
    assert f"{college}　{level}　{kind}　{said}" in [c.value for c in at.caption]
    assert f"按可办理的顺序排列，地点为{said}学生的办理地点。" in [c.value for c in at.caption]
    assert "区校区" not in text and "不通过原因" not in text
    assert "× 为需要到相应部门办理" in text
    done = sum(s in ("passed", "not_needed") for s in rejected_student["states"].values())
    assert f"已完成 {done}/12 个环节" in at.progress[0].proto.text
    assert "接下来去哪里办" in text and "重要日期" in text
    assert any("/download/" in h.value and "下载《导师准许离校确认书》" in h.value for h in at.html)
    stage_lines = next(m.value for m in at.markdown if "导师" in m.value and "一卡通" in m.value)
    names = {s.stage_id: s.name for s in load_catalogue().stages}
    assert len(stage_lines.split("  \n")) == len(names) == 12
    for line, (stage_id, name) in zip(stage_lines.split("  \n"), names.items()):
        state = rejected_student["states"][stage_id]
        mark = "✓" if state in ("passed", "not_needed") else "×"
        assert f"**{mark}**]　{name}　" in line, (line, state)
    # Leaving shows the bare form again.
    exit_button = [b for b in at.button if b.label.startswith("退出")][0]
    at = exit_button.click().run()
    assert len(at.subheader) == 0 and len(at.text_input) == 2


def test_after_five_wrong_names_for_one_student_the_next_try_waits(demo_env, rejected_student):
    at = page()
    for _ in range(5):
        at = look_up(at, rejected_student["no"], "错误姓名")
        assert [e.value for e in at.error] == [LOOKUP_FAILED]
    at = look_up(at, rejected_student["no"], rejected_student["name"])
    assert "查询失败次数较多，请 5 秒后再试" in at.error[0].value
    assert len(at.subheader) == 0
