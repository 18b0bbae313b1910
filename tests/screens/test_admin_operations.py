"""批次与备份 through AppTest: admin only; a batch created, edited and closed on the page; a
backup taken from the page; and the error wrapper every page runs in."""

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.screens.apptest_helpers import button, page_test, texts


def _new(at, field):
    return at.date_input(key=f"new_batch_{field}")


def test_only_the_admin_gets_the_page(desk_store):
    for username in ("gs", "lib_staff", "cs_secretary"):
        at = page_test("admin_operations.py", username).run()
        assert "无权访问" in texts(at) and not at.dataframe


def test_admin_creates_edits_and_closes_a_batch(desk_store):
    at = page_test("admin_operations.py", "admin").run()
    assert not at.exception
    at.text_input(key="new_batch_id").input("2018-12")
    at.text_input(key="new_batch_title").input("2018年12月毕（结、肄）业研究生离校")
    _new(at, "period_start").set_value(date(2018, 12, 28))
    _new(at, "period_end").set_value(date(2018, 12, 24))  # before the start: refused
    button(at, "新建批次").click().run()
    assert "集中办理结束日期不能早于开始日期" in texts(at)
    assert desk_store.read_value("SELECT count(*) FROM batches WHERE batch_id = '2018-12'") == 0
    _new(at, "period_start").set_value(date(2018, 12, 24))
    _new(at, "period_end").set_value(date(2018, 12, 28))
    button(at, "新建批次").click().run()
    assert "已新建批次 2018\\-12" in texts(at), texts(at)  # data is escaped as text (ui.text.plain)
    assert "2018-12" in list(at.dataframe[0].value["编号"])

    at.selectbox(key="close_batch_id").select("2018-12").run()
    assert button(at, "关闭批次").disabled  # not before the confirmation is ticked
    at.checkbox(key="close_sure_2018-12").check().run()
    button(at, "关闭批次").click().run()
    assert "已关闭批次" in texts(at)
    assert desk_store.read_value(
        "SELECT closed_by FROM batches WHERE batch_id = '2018-12'") == "admin"
    history = [df.value for df in at.dataframe if "操作" in df.value.columns][0]
    assert list(history["操作"][:2]) == ["关闭", "新建"]


def test_admin_takes_a_backup_from_the_page(desk_store):
    at = page_test("admin_operations.py", "admin").run()
    button(at, "立即备份").click().run()
    assert "备份完成并已校验" in texts(at), texts(at)
    listed = [df.value for df in at.dataframe if "备份编号" in df.value.columns][0]
    assert len(listed) == 1 and listed["方式"].iloc[0] == "管理页面"


def test_an_unexpected_error_shows_a_short_chinese_message_and_logs_an_id(caplog):
    script = """
from ui.errors import run_guarded

class Broken:
    title = "测试"
    def run(self):
        raise RuntimeError("IO Error: /srv/clearance/data/clearance.duckdb PID 4242")

run_guarded(Broken())
"""
    at = AppTest.from_string(script).run()
    assert not at.exception
    shown = at.error[0].value
    assert "页面出错" in shown and "/srv" not in shown and "PID" not in shown
    error_id = shown.split("错误编号 ")[1].split(" ")[0]
    logged = [r for r in caplog.records if r.name == "clearance.pages"]
    assert logged and error_id in logged[0].getMessage() and logged[0].exc_info


def test_the_hand_out_half_day_is_set_on_the_page_and_the_student_page_says_it(desk_store):
    """The demo batch starts its hand-out "6月29日下午" (the handbook); the edit form shows it,
    the admin moves it to 上午, the list and the student page say so; a new batch gets 下午."""
    at = page_test("admin_operations.py", "admin").run()
    part = at.selectbox(key="edit_batch_2018-06_diploma_start_part")
    assert part.value == "下午"
    assert "2018-06-29 下午 至 2018-07-02" in list(at.dataframe[0].value["证书发放"])
    part.select("上午")
    button(at, "保存修改").click().run()
    assert not at.exception
    assert desk_store.read_value("SELECT diploma_start_part FROM batches WHERE batch_id = '2018-06'") == "上午"
    assert "2018-06-29 上午 至 2018-07-02" in list(at.dataframe[0].value["证书发放"])
    history = [df.value for df in at.dataframe if "操作" in df.value.columns][0]
    assert history["内容"].iloc[0] == "证书发放开始时段：下午 → 上午"

    at.text_input(key="new_batch_id").input("2018-12")
    at.text_input(key="new_batch_title").input("2018年12月离校")
    _new(at, "period_start").set_value(date(2018, 12, 24))
    _new(at, "period_end").set_value(date(2018, 12, 28))
    _new(at, "diploma_start").set_value(date(2018, 12, 27))
    _new(at, "diploma_end").set_value(date(2018, 12, 28))
    at.selectbox(key="new_batch_diploma_start_part").select("下午")
    button(at, "新建批次").click().run()
    assert desk_store.read_rows(
        "SELECT diploma_start, diploma_start_part FROM batches WHERE batch_id = '2018-12'") == [
        (date(2018, 12, 27), "下午")]

    # The student page reads the batch as stored: 上午 now.
    from ui.student_lookup import limiter
    limiter().reset()
    no, name = desk_store.read_rows(
        "SELECT student_no, name FROM students WHERE batch_id = '2018-06' ORDER BY 1 LIMIT 1")[0]
    student = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "screens" / "student.py"),
                                default_timeout=60).run()
    student.text_input(key="lookup_student_no").input(no)
    student.text_input(key="lookup_name").input(name)
    student.button[0].click().run()
    shown = "\n".join([m.value for m in student.markdown] + [c.value for c in student.caption])
    assert "2018年6月29日上午至7月2日" in shown, shown
