"""Files from campus systems that used to crash, stall or fool the app (issue 11): each is
refused with a Chinese message naming file, row and column, or read correctly; nothing is
written by a refused file; the app process survives what kills a parser."""

import io
import os
import re

import openpyxl
import pandas as pd
import pytest

from loaders.cards import import_cards
from loaders.feeds import import_feed
from loaders.roster import COLUMNS, import_roster
from loaders.sheets import ImportRejected, read_sheet
from loaders.student_numbers import numbers_from_file
from tests.loaders import rawxlsx
from tests.loaders.test_feeds import cohort, state  # noqa: F401  (cohort is a fixture)

HEADERS = list(COLUMNS)
GOOD = ["2018000101", "张三", "计算机学院", "硕士", "毕业", "虎溪", "李四", "13800000000", "群众"]
LAX = os.path.join(os.path.dirname(__file__), "data", "lax_limits.toml")
ENGLISH_EXCEPTION = re.compile(r"[A-Za-z]*(Error|Exception|Traceback|panicked)")


def refused(call, *args) -> list[str]:
    with pytest.raises(ImportRejected) as exc:
        call(*args)
    for line in exc.value.errors:
        assert not ENGLISH_EXCEPTION.search(line), line
    return exc.value.errors


def counts(store):
    return (store.read_value("SELECT count(*) FROM students"),
            store.read_value("SELECT count(*) FROM events"),
            store.read_value("SELECT count(*) FROM import_runs"))


def roster(rows, headers=HEADERS, title_rows=(), **kw) -> bytes:
    return rawxlsx.one_sheet([*title_rows, headers, *rows], **kw)


# ---------------------------------------------------------------- 1. a parser that dies

FAR_CELL = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


@pytest.mark.parametrize("kw", [{"extra_cells": FAR_CELL}, {"dimension": "A1:ZZZZZ40"}])
def test_a_workbook_that_would_allocate_512_gb_is_refused_as_out_of_range(store, kw):
    data = roster([GOOD], **kw)
    errors = refused(import_roster, store, data, "5kb.xlsx", "2018-06", "admin")
    assert errors[0].startswith("5kb.xlsx：表格范围异常")
    assert counts(store) == (0, 0, 0)


def test_when_calamine_really_aborts_only_the_child_dies(store, monkeypatch):
    """With limits loose enough that calamine gets the file, it tries to allocate 512 GB and
    aborts (SIGABRT): the refusal says so in Chinese and this process goes on."""
    monkeypatch.setenv("CLEARANCE_IMPORTS", LAX)
    data = roster([GOOD], extra_cells=FAR_CELL)
    errors = refused(import_roster, store, data, "abort.xlsx", "2018-06", "admin")
    assert "表格范围异常" in errors[0] or "文件过大" in errors[0]
    import_roster(store, roster([GOOD]), "good.xlsx", "2018-06", "admin")  # still alive
    assert counts(store)[0] == 1


def test_a_panic_in_the_reader_is_caught_in_the_child():
    """pyo3's PanicException is a BaseException, not an Exception."""
    from loaders import parse_child

    class PanicException(BaseException):
        pass

    class Exploding:
        @staticmethod
        def from_filelike(_f):
            raise PanicException("called `Option::unwrap()` on a `None` value")

    import python_calamine

    real = python_calamine.CalamineWorkbook
    python_calamine.CalamineWorkbook = Exploding
    try:
        with pytest.raises(parse_child.Refused) as exc:
            parse_child.parse(parse_child.OLE_MAGIC + b"\x00" * 600, {"file_name": "x.xls"})
    finally:
        python_calamine.CalamineWorkbook = real
    assert exc.value.code == parse_child.CORRUPT and "文件已损坏" in exc.value.message


@pytest.mark.parametrize("data", [
    rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", 0]])[:300],  # truncated zip
    b"PK\x03\x04" + os.urandom(2000),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000),  # a truncated old .xls
])
def test_truncated_and_garbage_workbooks_are_corrupt(cohort, data):
    before = counts(cohort)
    for name in ("f.xlsx", "f.xls"):
        errors = refused(import_feed, cohort, "finance", data, name, "t", "upload")
        assert "文件已损坏" in errors[0] or "文件" in errors[0]
    assert counts(cohort) == before


# ---------------------------------------------------------------- 2. a cell is a value

@pytest.mark.parametrize("cell,seen", [
    (("e", "#N/A"), "#N/A"), (("e", "#VALUE!"), "#VALUE!"), (("e", "#REF!"), "#REF!"),
    (("e", "#DIV/0!"), "#DIV/0!"), (("e", "#NAME?"), "#NAME?"), (("e", "#NULL!"), "#NULL!"),
    (("e", "#NUM!"), "#NUM!"), (("e", "#GETTING_DATA"), "#GETTING_DATA"),
    (("f", "VLOOKUP(A2,欠费!A:B,2,0)", None), "=VLOOKUP(A2,欠费!A:B,2,0)"),
    ("NaN", "NaN"), ("None", "None"), ("null", "null"), ("N/A", "N/A"), ("NA", "NA"),
    ("-", "-"), ("NULL", "NULL"),
])
def test_unknown_arrears_never_pass_a_student_xlsx(cohort, cell, seen):
    data = rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", 0], ["2018000002", cell]])
    before = counts(cohort)
    errors = refused(import_feed, cohort, "finance", data, "arrears.xlsx", "t", "upload")
    assert len(errors) == 1 and errors[0].startswith("arrears.xlsx 第3行“欠费金额”列：")
    assert f"“{seen}”" in errors[0]
    assert state(cohort, "2018000002", "finance")[0] == "open"
    assert counts(cohort) == before


@pytest.mark.parametrize("word", ["#N/A", "#VALUE!", "NaN", "None", "null", "N/A", "NA", "-", "NULL"])
def test_unknown_arrears_never_pass_a_student_csv(cohort, word):
    data = f"学号,欠费金额\n2018000001,0\n2018000002,{word}\n".encode()
    errors = refused(import_feed, cohort, "finance", data, "arrears.csv", "t", "upload")
    assert errors[0].startswith(f"arrears.csv 第3行“欠费金额”列：“{word}”")


XLS_ERRORS = os.path.join(os.path.dirname(__file__), "data", "arrears_errors.xls")  # make_xls.py
XLS_REFUSALS = [
    "arrears_errors.xls 第3行“欠费金额”列：“#N/A”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出",
    "arrears_errors.xls 第4行“欠费金额”列：“#VALUE!”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出",
    "arrears_errors.xls 第5行“学号”列：“#REF!”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出",
    "arrears_errors.xls 第6行“欠费金额”列：“#DIV/0!”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出",
]


def test_error_cells_of_a_binary_xls_never_pass_a_student(cohort):
    """A real BIFF8 .xls (written by xlwt) whose amounts are saved #N/A / #VALUE! error records,
    which python-calamine reads as empty: refused by row and column, nothing written."""
    with open(XLS_ERRORS, "rb") as f:
        data = f.read()
    before = counts(cohort)
    errors = refused(import_feed, cohort, "finance", data, "arrears_errors.xls", "t", "upload")
    assert errors == XLS_REFUSALS
    assert state(cohort, "2018000002", "finance")[0] == "open"
    assert counts(cohort) == before


def test_error_cells_of_a_binary_xls_dropped_into_the_inbox(cohort, tmp_path):
    import json
    import shutil

    from loaders.inbox import ensure_folders, process_waiting

    root = tmp_path / "inbox"
    ensure_folders(root, ("finance",))
    shutil.copy(XLS_ERRORS, root / "finance" / "arrears_errors.xls")
    old = os.path.getmtime(XLS_ERRORS) - 60
    os.utime(root / "finance" / "arrears_errors.xls", (old, old))
    [result] = process_waiting(cohort, root)
    assert (result["status"], result["errors"]) == ("rejected", XLS_REFUSALS)
    [filed] = (root / "finance" / "rejected").glob("*_arrears_errors.xls.result.json")
    assert json.loads(filed.read_text())["errors"] == XLS_REFUSALS
    assert cohort.read_value("SELECT count(*) FROM events WHERE stage_id = 'finance'") == 0


def xls(rows: list[list], formula_at: int | None = None) -> bytes:
    """A BIFF8 .xls by xlwt; `formula_at`: that row's amount is =1/0 saved as #DIV/0!."""
    import xlwt

    from tests.loaders.data.make_xls import DIV0, saved_result_as_error

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("欠费")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, xlwt.Formula("1/0") if (r, c) == (formula_at, 1) else value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue() if formula_at is None else saved_result_as_error(buf.getvalue(), DIV0)


def test_error_cells_of_a_binary_xls_on_the_command_line(tmp_path):
    import subprocess
    import sys

    root = os.path.join(os.path.dirname(__file__), "..", "..")
    roster_csv = tmp_path / "名单.csv"
    roster_csv.write_text(",".join(HEADERS) + "\n" + "".join(
        f"201800000{i},学生{i},计算机学院,硕士,毕业,虎溪,李老师,,群众\n" for i in range(1, 5)), encoding="utf-8")
    env = {"CLEARANCE_DB": str(tmp_path / "cli.duckdb"), "PATH": "/usr/bin:/bin",
           "CLEARANCE_INBOX": str(tmp_path / "no-app-inbox")}
    run = [sys.executable, "-m", "loaders"]
    ok = subprocess.run([*run, "roster", str(roster_csv), "--batch", "2018-06"], cwd=root,
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    out = subprocess.run([*run, "finance", XLS_ERRORS], cwd=root, capture_output=True, text=True, env=env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert [line.strip() for line in out.stderr.splitlines()[1:]] == XLS_REFUSALS
    assert not ENGLISH_EXCEPTION.search(out.stderr), out.stderr


def test_a_binary_xls_without_error_cells_is_read(cohort):
    data = xls([["学号", "欠费金额"], ["2018000001", 0], ["2018000002", 12.5]])
    result = import_feed(cohort, "finance", data, "ok.xls", "t", "upload")
    assert (result.passed, result.rejected) == (1, 1)
    assert state(cohort, "2018000002", "finance") == ("rejected", "欠费 12.5 元未缴清")


def test_a_formula_saved_with_an_error_result_in_a_binary_xls(cohort):
    """No error record at all, only a FORMULA whose saved result is #DIV/0! (the quick walk over
    the records must see it too)."""
    data = xls([["学号", "欠费金额"], ["2018000001", 0], ["2018000002", 0]], formula_at=2)
    errors = refused(import_feed, cohort, "finance", data, "f.xls", "t", "upload")
    assert errors == ["f.xls 第3行“欠费金额”列：“#DIV/0!”是 Excel 的错误值（公式没有算出结果），"
                      "不是一个值；请改正后重新导出"]


def test_an_xls_whose_cells_cannot_be_checked_is_refused_with_what_to_do(monkeypatch):
    """calamine reads it but xlrd cannot (a structure it does not know): refused, since an error
    cell could not be told from an empty one, with the fix (save as .xlsx)."""
    import xlrd

    from loaders import parse_child

    def unreadable(*_a, **_k):
        raise xlrd.XLRDError("Can't find workbook in OLE2 compound document")

    monkeypatch.setattr(xlrd, "open_workbook", unreadable)
    with open(XLS_ERRORS, "rb") as f:
        data = f.read()
    with pytest.raises(parse_child.Refused) as exc:
        parse_child.parse(data, {"file_name": "x.xls", "groups": [["学号"]], "search_rows": 30,
                                 "max_sheets": 20, "max_rows": 1000, "max_columns": 50,
                                 "max_cells": 50000})
    assert exc.value.code == parse_child.FORMAT
    assert "另存为” Excel 工作簿（.xlsx）" in exc.value.message


def test_error_values_are_never_a_yes_no_or_a_student_number(cohort):
    data = rawxlsx.one_sheet([["学号", "是否有贷款", "是否签订还款协议"],
                              [("e", "#N/A"), "否", "否"], ["2018000002", ("e", "#REF!"), "None"]])
    errors = refused(import_feed, cohort, "loan", data, "loan.xlsx", "t", "upload")
    assert errors == [
        "loan.xlsx 第2行“学号”列：“#N/A”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出",
        "loan.xlsx 第3行“是否有贷款”列：“#REF!”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出",
        "loan.xlsx 第3行“是否签订还款协议”列：“None”不是一个值（没有值时请留空）",
    ]


def test_floating_point_residue_is_rounded_to_fen_and_passes(cohort):
    data = rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", ("f", "0.1+0.2-0.3", 5.551115123125783e-17)],
                              ["2018000002", 12.345]])
    import_feed(cohort, "finance", data, "f.xlsx", "t", "upload")
    assert state(cohort, "2018000001", "finance") == ("passed", None)
    assert state(cohort, "2018000002", "finance") == ("rejected", "欠费 12.35 元未缴清")


def test_european_decimal_comma_is_refused_and_thousands_separators_read(cohort):
    errors = refused(import_feed, cohort, "finance", '学号,欠费金额\n2018000001,"1.200,00"\n'.encode(),
                     "f.csv", "t", "upload")
    assert errors == ["f.csv 第2行“欠费金额”列：“1.200,00”不是有效的金额"]
    import_feed(cohort, "finance", '学号,欠费金额\n2018000001,"1,200.50"\n'.encode(), "f.csv", "t", "upload")
    assert state(cohort, "2018000001", "finance") == ("rejected", "欠费 1200.5 元未缴清")


def test_a_blank_amount_is_what_feeds_toml_says(cohort):
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "config", "feeds.toml"), encoding="utf-8").read()
    assert re.search(r"^blank_amount_is_zero = true", text, re.M)  # written down there
    import_feed(cohort, "finance", "学号,欠费金额\n2018000001,\n".encode(), "f.csv", "t", "upload")
    assert state(cohort, "2018000001", "finance") == ("passed", None)


# ---------------------------------------------------------------- 3. 学号 is text or nothing

FIX = "学号列被 Excel 显示成了科学计数法，末几位已丢失；请把该列设为“文本”后重新导出"


def test_scientific_student_numbers_are_refused_with_the_fix(cohort):
    data = rawxlsx.one_sheet([["学号", "欠费金额"], ["2.0161301E+10", 0], [2018000002.5, 0]])
    errors = refused(import_feed, cohort, "finance", data, "f.xlsx", "t", "upload")
    assert errors == [f"f.xlsx 第2行“学号”列：“2.0161301E+10”：{FIX}",
                      f"f.xlsx 第3行“学号”列：“2018000002.5”：{FIX}"]
    csv = "学号,欠费金额\n2.01613E+11,0\n2.01613E+11,5\n".encode()
    errors = refused(import_feed, cohort, "finance", csv, "f.csv", "t", "upload")
    assert errors[:2] == [f"f.csv 第2行“学号”列：“2.01613E+11”：{FIX}",
                          f"f.csv 第3行“学号”列：“2.01613E+11”：{FIX}"]
    assert not any("重复" in e for e in errors)


def test_scientific_student_numbers_in_a_roster(store):
    rows = [["2.0161301E+10", *GOOD[1:]], ["20161301001", *GOOD[1:]]]
    errors = refused(import_roster, store, roster(rows), "r.xlsx", "2018-06", "admin")
    assert errors == [f"r.xlsx 第2行“学号”列：“2.0161301E+10”：{FIX}"]
    assert counts(store) == (0, 0, 0)


def test_lost_leading_zeros_are_reported_by_the_rosters_length(store):
    rows = [["0118000001", *GOOD[1:]], ["1118000002", *GOOD[1:]], [118000003, *GOOD[1:]]]
    errors = refused(import_roster, store, roster(rows), "r.xlsx", "2018-06", "admin")
    assert len(errors) == 1 and errors[0].startswith("r.xlsx 第4行“学号”列：“118000003”比名单中的学号（10 位）短")
    assert "开头的 0" in errors[0]


def test_a_numeric_student_number_that_is_whole_is_read(store):
    import_roster(store, roster([[20181301001, *GOOD[1:]]]), "r.xlsx", "2018-06", "admin")
    assert store.read_value("SELECT student_no FROM students") == "20181301001"


# ---------------------------------------------------------------- 4. the table as a person sees it

def test_title_rows_blank_rows_and_a_notes_sheet_first(store):
    notes = rawxlsx.sheet_xml([["填表说明"], ["1. 学号请设为文本"], ["2. 每人一行"]])
    data = rawxlsx.workbook({"说明": notes, "名单": rawxlsx.sheet_xml(
        [["重庆大学2018届研究生离校名单"], [], HEADERS, GOOD])})
    result = import_roster(store, data, "r.xlsx", "2018-06", "admin")
    assert result.rows == 1
    assert any("工作表“名单”" in n and "第3行" in n for n in result.notes)


def test_tab_separated_and_unicode_text_and_gbk(store):
    tsv = "\t".join(HEADERS) + "\n" + "\t".join(GOOD) + "\n"
    import_roster(store, tsv.encode("utf-8"), "a.csv", "2018-06", "admin")
    utf16 = "\t".join(HEADERS) + "\r\n" + "\t".join(["2018000102", *GOOD[1:]]) + "\r\n"
    import_roster(store, utf16.encode("utf-16"), "Unicode 文本.txt", "2018-06", "admin")
    gbk = "名单\n" + ",".join(HEADERS) + "\n" + ",".join(["2018000103", *GOOD[1:]]) + "\n"
    import_roster(store, gbk.encode("gb18030"), "gbk.csv", "2018-06", "admin")
    bom = ",".join(HEADERS) + "\n" + ",".join(["2018000104", *GOOD[1:]]) + "\n"
    import_roster(store, b"\xef\xbb\xbf" + bom.encode(), "bom.csv", "2018-06", "admin")
    assert store.read_value("SELECT count(*) FROM students WHERE name = '张三'") == 4


def test_duplicate_headers_are_refused_by_name(store):
    data = roster([GOOD + ["王五"]], headers=HEADERS + ["姓名 "])
    errors = refused(import_roster, store, data, "r.xlsx", "2018-06", "admin")
    assert errors == ["r.xlsx：列名重复：姓名（第B列“姓名”和第J列“姓名 ”），请删除或改名其中一列"]
    csv = (",".join(HEADERS + ["姓名"]) + "\n" + ",".join(GOOD + ["王五"]) + "\n").encode()
    assert "列名重复：姓名" in refused(import_roster, store, csv, "r.csv", "2018-06", "admin")[0]


def test_merged_cells_are_reported_as_merged(store):
    rows = [GOOD, ["2018000102", "李四", None, "硕士", "毕业", "虎溪", "李四", "", "群众"]]
    data = rawxlsx.one_sheet([HEADERS, *rows], merges=["C2:C3"])
    errors = refused(import_roster, store, data, "r.xlsx", "2018-06", "admin")
    assert errors == ["r.xlsx 第3行“学院”列：属于合并单元格 C2:C3；请取消合并，在每一行填写"]


def test_hidden_rows_are_imported_and_reported(cohort):
    data = rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", 0], ["2018000002", 5]], hidden={3})
    result = import_feed(cohort, "finance", data, "f.xlsx", "t", "upload")
    assert any("1 个隐藏行（第3行）" in n for n in result.as_dict()["notes"])


@pytest.mark.parametrize("data,said", [
    (b"<html><body><table><tr><td>\xe5\xad\xa6\xe5\x8f\xb7</td></tr></table></body></html>", "网页（HTML）"),
    (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook '
     b'xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>', "Excel 2003 XML"),
])
def test_xls_that_is_really_html_or_spreadsheetml_is_told_so(store, data, said):
    errors = refused(import_roster, store, data, "教务系统导出.xls", "2018-06", "admin")
    assert said in errors[0] and "另存为" in errors[0]


def test_invisible_characters_are_shown_and_long_values_cut(store):
    rows = [["2018\u200b000101", *GOOD[1:]], ["2018000102", "张" * 32767, *GOOD[2:]],
            ["2018000103", "李\u200b四", *GOOD[2:]]]
    errors = refused(import_roster, store, roster(rows), "r.xlsx", "2018-06", "admin")
    assert errors[0] == "r.xlsx 第2行“学号”列：“2018⟨U+200B⟩000101”不是有效的学号"
    assert all(len(e) < 300 for e in errors)
    assert any("“李⟨U+200B⟩四”含有看不见的字符" in e for e in errors)


def test_a_name_of_32767_characters_is_cut_in_the_message(cohort):
    data = rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", "9" * 32767]])
    errors = refused(import_feed, cohort, "finance", data, "f.xlsx", "t", "upload")
    assert "9" * 40 + "…”" in errors[0] and len(errors[0]) < 120


def test_a_csv_value_beyond_what_a_cell_can_hold_is_named_not_called_an_unpaired_quote(cohort):
    data = "学号,欠费金额\n2018000001,0\n2018000002,".encode() + b"9" * 200_000 + b"\n"
    errors = refused(import_feed, cohort, "finance", data, "f.csv", "t", "upload")
    assert errors == ["f.csv：第3行附近有一个超过 131072 个字符的值（Excel 单元格最多 32767 个字符），"
                      "多半是引号不成对或文件不是表格；请检查该行后重新导出"]


def test_template_party_has_a_legal_sheet_title(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "party.xlsx"
    done = subprocess.run([sys.executable, "-m", "loaders", "template", "party", str(out)],
                          capture_output=True, text=True, cwd=os.path.join(os.path.dirname(__file__), "..", ".."))
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["党员信息（党委、党总支）"]


def test_card_balance_of_2e10_is_refused_plainly(cohort):
    data = rawxlsx.one_sheet([["学号", "卡号", "卡UID", "余额"], ["2018000001", "100001", "8FB27F2C", 2.0e10]])
    errors = refused(import_cards, cohort, data, "cards.xlsx", "admin")
    assert errors == ["cards.xlsx 第2行“余额”列：“20000000000”超出了金额的合理范围"]
    assert cohort.read_value("SELECT count(*) FROM card_bindings") == 0


def test_a_csv_row_with_an_extra_field_is_named(store):
    csv = ",".join(HEADERS) + "\n" + ",".join(GOOD) + "\n" + ",".join(["2018000102", *GOOD[1:], "多出来"]) + "\n"
    errors = refused(import_roster, store, csv.encode(), "r.csv", "2018-06", "admin")
    assert errors == ["r.csv 第3行：有 10 个值，比表头的 9 列多（多出的值“多出来”）；"
                      "可能某个值中有逗号，请给该值加上引号或删去逗号"]


def test_a_student_number_list_with_error_cells(cohort):
    data = rawxlsx.one_sheet([["说明：要批量通过的学生"], ["学号"], ["2018000001"], [("e", "#N/A")]])
    errors = refused(numbers_from_file, data, "list.xlsx")
    assert errors == ["list.xlsx 第4行“学号”列：“#N/A”是 Excel 的错误值（公式没有算出结果），不是一个值；请改正后重新导出"]


def test_read_sheet_gives_every_cell_its_kind():
    data = rawxlsx.one_sheet([["学号", "x"], ["1", ("e", "#N/A")], [2, True]])
    sheet = read_sheet(data, "k.xlsx", ["学号"])
    assert sheet.kinds.to_dict("list") == {"学号": ["s", "n"], "x": ["e", "b"]}
    assert isinstance(sheet.rows, pd.DataFrame)


def test_the_command_line_refuses_a_crashing_workbook_in_chinese(tmp_path):
    import subprocess
    import sys

    crash = tmp_path / "5kb.xlsx"
    crash.write_bytes(roster([GOOD], extra_cells=FAR_CELL))
    good = tmp_path / "good.csv"
    good.write_text(",".join(HEADERS) + "\n" + ",".join(GOOD) + "\n", encoding="utf-8")
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    env = {"CLEARANCE_DB": str(tmp_path / "cli.duckdb"), "PATH": "/usr/bin:/bin", "CLEARANCE_IMPORTS": LAX}
    out = subprocess.run([sys.executable, "-m", "loaders", "roster", str(crash), "--batch", "2018-06"],
                         cwd=root, capture_output=True, text=True, env=env)
    assert out.returncode == 1 and "5kb.xlsx：" in out.stderr
    assert "表格范围异常" in out.stderr or "文件过大" in out.stderr
    assert not ENGLISH_EXCEPTION.search(out.stderr), out.stderr
    ok = subprocess.run([sys.executable, "-m", "loaders", "roster", str(good), "--batch", "2018-06"],
                        cwd=root, capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
