"""The card centre's export: all or nothing, per-row errors, the configured UID format."""

import io

import pandas as pd
import pytest

from clearance.store.cards import UidFormat, student_for_uid
from loaders.cards import import_cards
from loaders.sheets import ImportRejected
from tests.conftest import add_students, roster_frame


def _csv(rows: list[str], header: str = "学号,卡号,卡UID,余额") -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def test_import_and_reimport_updates(store):
    add_students(store, roster_frame(3))
    result = import_cards(store, _csv(["20180000001,100001,2C7FB28F,12.5",
                                       "20180000002,,F6E5D4C3B2A104,"]),
                          "cards.csv", "admin", UidFormat("hex", "reversed"))
    assert (result.rows, result.inserted, result.updated) == (2, 2, 0)
    assert student_for_uid(store, "8FB27F2C") == "20180000001"
    assert student_for_uid(store, "04A1B2C3D4E5F6") == "20180000002"
    again = import_cards(store, _csv(["20180000003,100001,2C7FB28F,0"]), "cards.csv", "admin",
                         UidFormat("hex", "reversed"))
    assert (again.inserted, again.updated) == (0, 1)
    assert student_for_uid(store, "8FB27F2C") == "20180000003"


def test_xlsx_with_decimal_uids_stored_as_numbers(store):
    add_students(store, roster_frame(1))
    buf = io.BytesIO()
    pd.DataFrame({"学号": [20180000001], "物理卡号": [746566287], "余额": [3]}).to_excel(buf, index=False)
    import_cards(store, buf.getvalue(), "导出.xlsx", "admin", UidFormat("decimal", "reversed"))
    assert student_for_uid(store, "8FB27F2C") == "20180000001"


def test_any_bad_row_refuses_the_whole_file(store):
    add_students(store, roster_frame(2))
    with pytest.raises(ImportRejected) as rejected:
        import_cards(store, _csv(["20180000001,1,8FB27F2C,1", "99999999,2,11223344,1",
                                  "20180000002,3,XYZ,1", "20180000002,4,8FB27F2C,abc"]),
                     "cards.csv", "admin", UidFormat("hex", "reader"))
    errors = "\n".join(rejected.value.errors)
    assert "cards.csv 第3行“学号”列" in errors and "不在离校学生名单中" in errors
    assert "第4行“卡UID”列" in errors
    assert "第5行“余额”列" in errors
    assert "“8FB27F2C”在第2、5行重复出现" in errors
    assert store.read_value("SELECT count(*) FROM card_bindings") == 0


def test_missing_uid_column(store):
    with pytest.raises(ImportRejected, match="缺少列“卡UID”"):
        import_cards(store, _csv(["1,2"], "学号,卡号"), "cards.csv", "admin")
