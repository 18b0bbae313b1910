"""Lagging-list exports open in a spreadsheet with Chinese headers and no formula injection."""

import io
from datetime import date
from functools import partial

import openpyxl
import pandas as pd

import queries
from clearance.rules.reminders import SMS_CHARS
from clearance.store.db import get_catalogue
from ui.lagging import lagging_cards_html, lagging_table, neutralise, sms_list, to_csv, to_xlsx

DEADLINE = date(2018, 7, 2)


def _lagging(demo_store) -> pd.DataFrame:
    return queries.run(demo_store, "lagging_students", batch="2018-06", college="计算机学院",
                       stage=None, campus=None, level=None, clearance_type=None, as_of=None)


def _table(demo_store) -> pd.DataFrame:
    return lagging_table(_lagging(demo_store), DEADLINE, get_catalogue(demo_store))


def test_xlsx_export_reads_back_with_chinese_headers_and_text_numbers(demo_store):
    table = _table(demo_store)
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(table)))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("学号", "姓名", "学院", "培养层次", "离校类型", "校区", "手机", "未办环节数",
                       "未办环节", "不通过原因", "需携带材料", "办理地点及电话", "下一站", "最近到现场办理",
                       "最近提醒", "提醒短信")
    assert len(rows) == len(table) + 1
    first = dict(zip(rows[0], rows[1]))
    assert first["学号"] == table["学号"].iloc[0] and isinstance(first["学号"], str)
    assert first["手机"] == table["手机"].iloc[0]
    assert first["未办环节数"] == table["未办环节数"].iloc[0]
    assert "离校通" in first["提醒短信"]


def test_formula_cells_are_neutralised_in_both_formats():
    evil = pd.DataFrame({"姓名": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "张三"],
                         "人数": [1, 2, 3, 4, 5]})
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(evil))).active
    names = [ws.cell(r, 1).value for r in range(2, 7)]
    assert names == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "张三"]
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 7))
    assert [ws.cell(r, 2).value for r in range(2, 7)] == [1, 2, 3, 4, 5]  # numbers stay numbers
    text = to_csv(evil).decode("utf-8-sig")
    assert text.splitlines()[0] == "姓名,人数"
    assert "'=HYPERLINK" in text and "\n'+1," in text and "\n'@SUM" in text
    assert neutralise("-") == "'-" and neutralise(-3) == -3


def test_csv_has_a_bom_for_excel(demo_store):
    data = to_csv(_table(demo_store))
    assert data.startswith("\ufeff".encode("utf-8"))
    assert pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str).columns[0] == "学号"


def test_every_reminder_is_one_sms_naming_the_next_stop(demo_store):
    table = _table(demo_store)
    lengths = table["提醒短信"].str.len()
    assert lengths.max() <= SMS_CHARS, table.loc[lengths.idxmax(), "提醒短信"]
    assert all(row["下一站"] in row["提醒短信"] or "导师" in row["提醒短信"]
               for row in table.to_dict("records"))
    assert all(row["姓名"] in row["提醒短信"] and "7月2日前" in row["提醒短信"]
               for row in table.to_dict("records"))
    sms = pd.read_csv(io.BytesIO(sms_list(table)), encoding="utf-8-sig", dtype=str)
    assert list(sms.columns) == ["手机", "短信内容"]
    assert sms["手机"].iloc[0] == table["手机"].iloc[0]


def test_the_advisors_reminder_says_to_have_the_form_signed(demo_store):
    table = _table(demo_store)
    first_advisor = table[table["下一站"] == "导师"].iloc[0]
    assert "请导师在《导师准许离校确认书》上签字" in first_advisor["提醒短信"]
    assert len(first_advisor["提醒短信"]) <= SMS_CHARS


def test_the_wrapped_list_escapes_names_and_links_phones(demo_store):
    lagging = _lagging(demo_store).head(2).copy()
    lagging.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    html = lagging_cards_html(lagging_table(lagging, DEADLINE, get_catalogue(demo_store)))
    assert "<img" not in html and "&lt;img src=x" in html
    assert f'href="tel:{lagging["phone"].iloc[1]}"' in html
    assert "需携带材料" in html and "@media (max-width: 720px)" in html
