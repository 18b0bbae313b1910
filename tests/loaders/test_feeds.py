"""Each feed's rule on messy real files (CSV and XLSX), all-or-nothing refusals, re-runs, and
the rule that a feed never overwrites a person's newer mark."""

import io

import pandas as pd
import pytest

from clearance.rules.actors import Actor
from clearance.store.feeds import load_feeds, parse_feeds, run_feed, FEEDS_FILE
from clearance.store.marks import mark
from loaders.feeds import import_feed, parse_feed, preview
from loaders.sheets import ImportRejected
from tests.conftest import add_students

# 学号 → (离校类型, 政治面貌)
STUDENTS = {
    "2018000001": ("毕业", "群众"), "2018000002": ("毕业", "中共党员"),
    "2018000003": ("结业", "共青团员"), "2018000004": ("肄业", "中共预备党员"),
    "2018000005": ("退学", "群众"), "2018000006": ("毕业", "共青团员"),
}
OFFICE = Actor("finance_desk", "office", "财务处 陈老师", stages=frozenset({"finance", "library"}))


@pytest.fixture
def cohort(store):
    add_students(store, pd.DataFrame([
        {"学号": no, "姓名": f"学生{n}", "学院": "计算机学院", "培养层次": "硕士", "离校类型": t,
         "校区": "虎溪", "导师": "李老师", "手机": "13800000000", "政治面貌": p}
        for n, (no, (t, p)) in enumerate(STUDENTS.items())]))
    return store


def state(store, no, stage):
    return store.read_rows("SELECT state, reason FROM stage_status WHERE student_no = $n AND stage_id = $s",
                           {"n": no, "s": stage})[0]


def csv(text: str) -> bytes:
    return text.encode("utf-8")


def xlsx(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_excel(buf, index=False, engine="openpyxl")
    return buf.getvalue()


def test_finance_messy_csv_passes_and_rejects_with_amount(cohort):
    data = csv("学号 , 欠费金额（元）\n"
               "２０１８０００００１,１２.５０元\n"
               " 2018000002 , 0\n"
               "\n"
               "2018000003,\n"
               "2018000006,\"1,200.00 元\"\n"
               ",\n")
    result = import_feed(cohort, "finance", data, "财务欠费.csv", "test", "upload")
    assert (result.rows, result.passed, result.rejected) == (4, 2, 2)
    assert state(cohort, "2018000001", "finance") == ("rejected", "欠费 12.5 元未缴清")
    assert state(cohort, "2018000002", "finance") == ("passed", None)
    assert state(cohort, "2018000003", "finance") == ("passed", None)  # blank amount = 0
    assert state(cohort, "2018000006", "finance") == ("rejected", "欠费 1200 元未缴清")
    refs = cohort.read_rows("SELECT DISTINCT source_ref, actor, source FROM events WHERE stage_id = 'finance'")
    assert refs == [(result.run_id, "feed:finance", "feed")]
    run = cohort.read_rows("SELECT kind, file_name, row_count, passed, rejected, unchanged, skipped,"
                           " channel, actor, content_hash FROM import_runs WHERE run_id = $r",
                           {"r": result.run_id})[0]
    assert run[:9] == ("finance", "财务欠费.csv", 4, 2, 2, 0, 0, "upload", "test")
    assert len(run[9]) == 64


def test_student_numbers_stored_as_numbers_in_xlsx(cohort):
    df = pd.DataFrame({"学号": [2018000001, 2.018000005e9], "欠费金额": [0, 3.5]})
    result = import_feed(cohort, "hospital", xlsx(df), "医院.xlsx", "test", "upload")
    assert (result.passed, result.rejected) == (1, 1)
    assert state(cohort, "2018000005", "hospital") == ("rejected", "医疗欠费 3.5 元未缴清")


def test_same_file_twice_changes_nothing(cohort):
    data = csv("学号,欠费金额\n2018000001,500\n2018000002,0\n")
    import_feed(cohort, "finance", data, "f.csv", "test", "inbox")
    events = cohort.read_value("SELECT count(*) FROM events")
    again = import_feed(cohort, "finance", data, "f.csv", "test", "inbox")
    assert (again.passed, again.rejected, again.unchanged, again.skipped) == (0, 0, 2, 0)
    assert cohort.read_value("SELECT count(*) FROM events") == events
    assert cohort.read_value("SELECT count(*) FROM import_runs WHERE kind = 'finance'") == 2


def test_a_newer_staff_mark_is_not_overwritten(cohort):
    data = csv("学号,欠费金额\n2018000001,500\n2018000002,80\n")
    import_feed(cohort, "finance", data, "f.csv", "test", "inbox")
    mark(cohort, OFFICE, "2018000001", "finance", "pass", note="现场缴清")
    again = import_feed(cohort, "finance", data, "f.csv", "test", "inbox")
    assert state(cohort, "2018000001", "finance") == ("passed", None)
    assert again.skipped == 1 and "finance_desk 已办理" in again.skips[0][1]
    # The feed's own earlier value is still the feed's to change.
    paid = import_feed(cohort, "finance", csv("学号,欠费金额\n2018000002,0\n"), "f2.csv", "t", "inbox")
    assert paid.passed == 1 and state(cohort, "2018000002", "finance") == ("passed", None)
    assert cohort.read_value("SELECT count(*) FROM feed_skips WHERE run_id = $r", {"r": again.run_id}) == 1


def test_amount_change_updates_the_reason(cohort):
    import_feed(cohort, "finance", csv("学号,欠费金额\n2018000001,500\n"), "a.csv", "t", "inbox")
    r = import_feed(cohort, "finance", csv("学号,欠费金额\n2018000001,300\n"), "b.csv", "t", "inbox")
    assert r.rejected == 1 and state(cohort, "2018000001", "finance") == ("rejected", "欠费 300 元未缴清")


def test_loan_rule(cohort):
    data = csv("学号,是否有贷款,是否签订还款协议\n2018000001,否,\n2018000002,是,已签\n2018000003,Y,N\n"
               "2018000005,1,0\n")
    r = import_feed(cohort, "loan", data, "loan.csv", "t", "inbox")
    assert state(cohort, "2018000001", "loan")[0] == "not_needed"
    assert state(cohort, "2018000002", "loan")[0] == "passed"
    assert state(cohort, "2018000003", "loan")[0] == "open"
    assert (r.passed, r.rejected, r.unchanged) == (2, 0, 2)
    # A student earlier cleared by the feed who now has an unsigned loan is reopened, with why.
    r = import_feed(cohort, "loan", csv("学号,是否有贷款,是否签订还款协议\n2018000001,是,否\n"),
                    "loan2.csv", "t", "inbox")
    assert r.rejected == 1
    assert state(cohort, "2018000001", "loan") == ("open", "有助学贷款，尚未签订还款协议")


def test_party_rule_from_political_status_or_flag(cohort):
    r = import_feed(cohort, "party", csv("学号,政治面貌\n2018000001,群众\n2018000002,中共党员\n"
                                         "2018000004,中共预备党员\n2018000006, 共青团员 \n"), "p.csv", "t", "inbox")
    assert (r.passed, r.skipped) == (2, 2)
    assert state(cohort, "2018000001", "party")[0] == "not_needed"
    assert state(cohort, "2018000002", "party")[0] == "open"
    assert all("党员" in why for _no, why in r.skips)
    r = import_feed(cohort, "party", csv("学号,是否党员\n2018000003,N\n2018000005,是\n"), "p2.csv", "t", "inbox")
    assert state(cohort, "2018000003", "party")[0] == "not_needed"
    assert state(cohort, "2018000005", "party")[0] == "open"


def test_library_fine_threshold_and_thesis_exemption(cohort):
    data = csv("学号,未还图书,超期违约金,未还设备,学位论文已提交\n"
               "2018000001,0,１０元,0,是\n"          # exactly 10 元: waived
               "2018000002,0,10.01,0,是\n"          # over the threshold
               "2018000003,0,0,0,否\n"              # 结业: no thesis needed
               "2018000004,0,0,0,\n"                # 肄业: no thesis needed
               "2018000005,0,0,0,否\n"              # 退学: no thesis needed
               "2018000006,２册,23.5,是,否\n")      # everything wrong
    import_feed(cohort, "library", data, "lib.csv", "t", "inbox")
    assert state(cohort, "2018000001", "library") == ("passed", None)
    assert state(cohort, "2018000002", "library") == ("rejected", "超期违约金 10.01 元未缴（10 元以内免收）")
    for no in ("2018000003", "2018000004", "2018000005"):
        assert state(cohort, no, "library") == ("passed", None)
    assert state(cohort, "2018000006", "library") == (
        "rejected", "图书未还 2 册；超期违约金 23.5 元未缴（10 元以内免收）；借用设备未还 1 件；学位论文未提交")


def test_library_threshold_is_configuration(cohort):
    config = parse_feeds(FEEDS_FILE.read_text(encoding="utf-8").replace("fine_waiver = 10", "fine_waiver = 0"))
    parsed = parse_feed(csv("学号,未还图书,超期违约金,未还设备,学位论文已提交\n2018000001,0,5,0,是\n"),
                        "lib.csv", config.feed("library"), config)
    run_feed(cohort, config.feed("library"), parsed.rows, "lib.csv", parsed.content_hash, "t", "inbox")
    assert state(cohort, "2018000001", "library") == ("rejected", "超期违约金 5 元未缴（0 元以内免收）")


def test_hospital_thesis_centre_and_card_centre(cohort):
    import_feed(cohort, "hospital", csv("学号,欠费金额\n2018000001,0.00\n2018000002,８元\n"), "h.csv", "t", "inbox")
    assert state(cohort, "2018000001", "hospital")[0] == "passed"
    assert state(cohort, "2018000002", "hospital") == ("rejected", "医疗欠费 8 元未缴清")
    import_feed(cohort, "thesis_center", csv(
        "学号,论文制作欠费,电子版已收\n2018000001,0,是\n2018000002,45元,是\n2018000003,0,否\n2018000006,0,否\n"),
        "t.csv", "t", "inbox")
    assert state(cohort, "2018000001", "thesis_center")[0] == "passed"
    assert state(cohort, "2018000002", "thesis_center") == ("rejected", "论文制作费 45 元未缴清")
    assert state(cohort, "2018000003", "thesis_center")[0] == "passed"  # 结业: no e-thesis
    assert state(cohort, "2018000006", "thesis_center") == ("rejected", "学位论文电子最终版未收到")
    r = import_feed(cohort, "card_center", csv("学号,余额已结算\n2018000001,是\n2018000002,否\n"), "c.csv", "t", "inbox")
    assert state(cohort, "2018000001", "card_center")[0] == "passed"
    assert state(cohort, "2018000002", "card_center")[0] == "open"
    assert (r.passed, r.unchanged) == (1, 1)
    assert cohort.read_value("SELECT DISTINCT actor FROM events WHERE stage_id = 'card_center'") == "feed:card"


def test_bad_rows_refuse_the_whole_file_naming_row_and_column(cohort):
    data = csv("学号,欠费金额\n2018000001,0\n2018000002,abc元\n2018000001,5\n12,0\n")
    before = cohort.read_value("SELECT count(*) FROM events")
    with pytest.raises(ImportRejected) as exc:
        import_feed(cohort, "finance", data, "bad.csv", "t", "upload")
    assert exc.value.errors == [
        "bad.csv 第3行“欠费金额”列：“abc元”不是有效的金额",
        "bad.csv 第5行“学号”列：“12”不是有效的学号",
        "bad.csv 第2行“学号”列：“2018000001”在第2、4行重复出现",
    ]
    assert cohort.read_value("SELECT count(*) FROM events") == before
    assert cohort.read_value("SELECT count(*) FROM import_runs WHERE kind = 'finance'") == 0


def test_unknown_flags_and_missing_columns_are_named(cohort):
    with pytest.raises(ImportRejected) as exc:
        import_feed(cohort, "card_center", csv("学号,余额已结算\n2018000001,也许\n"), "c.csv", "t", "upload")
    assert exc.value.errors == ["c.csv 第2行“余额已结算”列：“也许”无法识别，应为 是/否"]
    with pytest.raises(ImportRejected) as exc:
        import_feed(cohort, "library", csv("学号,超期违约金\n2018000001,0\n"), "l.csv", "t", "upload")
    assert exc.value.errors[0].startswith("l.csv：缺少列“未还图书”")
    with pytest.raises(ImportRejected) as exc:
        import_feed(cohort, "party", csv("学号,姓名\n2018000001,张三\n"), "p.csv", "t", "upload")
    assert exc.value.errors == ["p.csv：缺少列“政治面貌”或“是否党员”"]


def test_unknown_students_are_skipped_and_preview_writes_nothing(cohort):
    data = csv("学号,欠费金额\n2099000001,100\n2018000001,0\n")
    parsed, plan = preview(cohort, "finance", data, "f.csv")
    assert plan.passed == 1 and plan.skipped == [("2099000001", "不在离校名单中")]
    assert cohort.read_value("SELECT count(*) FROM events WHERE stage_id = 'finance'") == 0
    assert plan.changes[0]["source_ref"] is None


def test_every_configured_feed_names_a_catalogue_stage(store):
    from clearance.store.db import get_catalogue
    from clearance.store.feeds import check_stages

    check_stages(load_feeds(), get_catalogue(store))
    assert set(load_feeds().feeds) == {"finance", "loan", "party", "library", "hospital",
                                       "thesis_center", "card_center"}
