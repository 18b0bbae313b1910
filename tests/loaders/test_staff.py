"""The staff list import: all or nothing, errors naming file, row and column; the template."""

import io

import pandas as pd
import pytest

from clearance.store.accounts import authenticate
from loaders.sheets import ImportRejected
from loaders.staff import COLUMNS, HEADERS, import_staff, template_xlsx
from tests.conftest import add_students, roster_frame


def _xlsx(rows: list[list[str]]) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=HEADERS if len(rows[0]) == len(HEADERS) else COLUMNS).to_excel(buf, index=False)
    return buf.getvalue()


GOOD = [
    ["lib_tan", "图书馆 谭老师", "部门工作人员", "", "图书馆", "library-pass"],
    ["cs_mi", "计算机学院 米老师", "学院工作人员", "计算机学院", "导师、学院研究生教务秘书", "cs-secret-1"],
    ["gs_zhang", "研究生院 张老师", "研究生院", "", "", "gs-secret-1"],
]


def test_a_good_list_creates_every_account(store):
    add_students(store, roster_frame(1, college="计算机学院"))
    assert import_staff(store, _xlsx(GOOD), "名单.xlsx", by="admin") == 3
    cs = authenticate(store, "cs_mi", "cs-secret-1").actor
    assert (cs.role, cs.college, cs.stages) == ("college", "计算机学院", frozenset({"advisor", "secretary"}))
    assert authenticate(store, "lib_tan", "library-pass").actor.stages == frozenset({"library"})
    assert store.read_value("SELECT count(*) FROM staff_changes WHERE change='created' AND actor='admin'") == 3
    # The admin chose these passwords: each owner must pick their own at the first sign-in.
    assert store.read_value("SELECT bool_and(must_change_password) FROM staff") is True


def test_the_optional_campus_column_sets_each_accounts_campus(store):
    add_students(store, roster_frame(1, college="计算机学院"))
    rows = [GOOD[0] + ["B区"], GOOD[1] + [""], GOOD[2] + ["虎溪校区"]]
    assert import_staff(store, _xlsx(rows), "名单.xlsx", by="admin") == 3
    assert authenticate(store, "lib_tan", "library-pass").actor.campus == "B区"
    assert authenticate(store, "cs_mi", "cs-secret-1").actor.campus is None
    assert authenticate(store, "gs_zhang", "gs-secret-1").actor.campus == "虎溪"  # as configured


def test_an_unknown_campus_refuses_the_file_naming_row_and_column(store):
    rows = [GOOD[0] + ["火星区"], GOOD[2] + ["A区"]]
    with pytest.raises(ImportRejected) as exc:
        import_staff(store, _xlsx(rows), "名单.xlsx", by="admin")
    assert exc.value.errors == ["名单.xlsx 第2行“校区”列：未知的校区“火星区”，应为 A区、B区、C区、虎溪 之一（或留空）"]
    assert store.read_value("SELECT count(*) FROM staff") == 0


def test_bad_rows_refuse_the_whole_file_with_row_and_column(store):
    add_students(store, roster_frame(1, college="计算机学院"))
    rows = GOOD + [
        ["lib_tan", "重复", "部门工作人员", "", "图书馆", "library-pass"],          # row 5: duplicate
        ["x1", "某老师", "校长", "", "", "long-enough"],                              # row 6: role
        ["x2", "某老师", "部门工作人员", "", "图书馆、食堂", "long-enough"],         # row 7: stage
        ["x3", "某老师", "学院工作人员", "火星学院", "导师", "long-enough"],          # row 8: college
        ["x4", "某老师", "部门工作人员", "", "学院党委/党总支", "long-enough"],      # row 9: wrong kind
        ["x5", "某老师", "部门工作人员", "", "图书馆", "short"],                     # row 10: password
        ["", "某老师", "部门工作人员", "", "图书馆", "long-enough"],                 # row 11: empty
    ]
    with pytest.raises(ImportRejected) as exc:
        import_staff(store, _xlsx(rows), "名单.xlsx", by="admin")
    errors = "\n".join(exc.value.errors)
    for expected in ["名单.xlsx 第2行“用户名”列：“lib_tan”在第2、5行重复出现",
                     "名单.xlsx 第6行“角色”列：“校长”无效",
                     "名单.xlsx 第7行“办理环节”列：没有这些环节：食堂",
                     "名单.xlsx 第8行“学院”列：“火星学院”不是已知的学院（学院名单见 config/colleges.toml）",
                     "名单.xlsx 第9行“办理环节”列：部门工作人员不能办理学院环节",
                     "名单.xlsx 第10行“初始密码”列：密码至少 10 位",
                     "名单.xlsx 第11行“用户名”列：不能为空"]:
        assert expected in errors, errors
    assert store.read_value("SELECT count(*) FROM staff") == 0


def test_existing_username_and_missing_column(store):
    import_staff(store, _xlsx(GOOD[:1]), "a.xlsx", by="admin")
    with pytest.raises(ImportRejected, match="第2行“用户名”列：“lib_tan”已存在"):
        import_staff(store, _xlsx(GOOD[:1]), "b.xlsx", by="admin")
    csv = "用户名,姓名\nu1,某老师\n".encode()
    with pytest.raises(ImportRejected, match="缺少列“角色”"):
        import_staff(store, csv, "c.csv", by="admin")


def test_the_template_has_the_documented_headers_and_imports(store):
    add_students(store, roster_frame(1, college="计算机学院"))
    data = template_xlsx()
    assert list(pd.read_excel(io.BytesIO(data)).columns) == COLUMNS
    assert import_staff(store, data, "模板.xlsx", by="admin") == 3


def test_colleges_are_checked_against_the_known_list(store):
    """Before any roster exists: an alias is stored as the college's name, a misspelling is
    refused with the nearest known name (the same list the roster import uses)."""
    rows = [
        ["cs_mi", "米老师", "学院工作人员", "计算机科学学院", "导师", "cs-secret-1"],
        ["cs_typo", "王老师", "学院工作人员", "计算机学员", "导师", "cs-secret-1"],
    ]
    with pytest.raises(ImportRejected) as exc:
        import_staff(store, _xlsx(rows), "名单.xlsx", by="admin")
    assert exc.value.errors == ["名单.xlsx 第3行“学院”列：“计算机学员”不是已知的学院，是否为“计算机学院”？"]
    assert import_staff(store, _xlsx(rows[:1]), "名单.xlsx", by="admin") == 1
    assert authenticate(store, "cs_mi", "cs-secret-1").actor.college == "计算机学院"
