"""Roster import: messy real exports normalised, any bad row refuses the whole file,
re-import updates without duplicating, every run recorded, the CLI's exit codes."""

import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from loaders.roster import COLUMNS, import_roster, template_xlsx
from loaders.sheets import ImportRejected

ROOT = Path(__file__).resolve().parents[2]
HEADERS = list(COLUMNS)
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def workbook(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def messy_rows(n: int = 400) -> list[list]:
    """What real exports contain: numbers as numbers, full-width digits, stray spaces."""
    rows = []
    types = ["毕业"] * 17 + ["结业", "肄业", "退学"]
    for i in range(n):
        no = 20150100000 + i
        if i % 3 == 0:
            sno = no  # 学号 stored as a number
        elif i % 3 == 1:
            sno = str(no).translate(FULLWIDTH)  # full-width digits
        else:
            sno = f"  {no} "
        rows.append([sno, f" 王{'小' if i % 2 else ''} 明{i % 10}", " 计算机学院 ", "硕士" if i % 5 else "博士研究生",
                     types[i % 20], ["A区", "B区", "C区", "虎溪校区"][i % 4], "李 四",
                     13800000000 + i if i % 7 else "", "中共党员" if i % 4 == 0 else "共青团员"])
    return rows


def test_messy_400_row_workbook_imports_completely(store):
    result = import_roster(store, workbook(messy_rows()), "名单.xlsx", "2018-06", "admin")
    assert (result.rows, result.inserted, result.updated) == (400, 400, 0)
    got = store.read_rows("SELECT student_no, name, college, level, campus, phone FROM students"
                          " WHERE student_no IN ('20150100000', '20150100001', '20150100002')"
                          " ORDER BY 1")
    assert got[0] == ("20150100000", "王明0", "计算机学院", "博士", "A区", "")
    assert got[1] == ("20150100001", "王小明1", "计算机学院", "硕士", "B区", "13800000001")
    assert got[2][0] == "20150100002"
    assert store.read_value("SELECT count(*) FROM stage_status") == 400 * 12
    run = store.read_rows("SELECT kind, file_name, row_count, actor, length(content_hash) FROM import_runs")
    assert run == [("roster", "名单.xlsx", 400, "admin", 64)]


def test_reimport_updates_and_never_duplicates(store):
    data = workbook(messy_rows(50))
    import_roster(store, data, "a.xlsx", "2018-06", "admin")
    rows = messy_rows(50)
    rows[0][2] = "软件学院"
    result = import_roster(store, workbook(rows), "b.xlsx", "2018-06", "admin")
    assert (result.inserted, result.updated) == (0, 50)
    assert store.read_value("SELECT count(*) FROM students") == 50
    assert store.read_value("SELECT college FROM students WHERE student_no='20150100000'") == "软件学院"
    assert store.read_value("SELECT count(*) FROM stage_status") == 50 * 12
    assert store.read_value("SELECT count(*) FROM import_runs") == 2


def test_bad_rows_refuse_the_whole_file_naming_each_row(store):
    rows = messy_rows(400)
    rows[9][0] = rows[3][0]          # row 11 repeats the 学号 of row 5
    rows[99][1] = "  "               # row 101: missing name
    rows[249][4] = "毕了业"           # row 251: unknown 离校类型
    with pytest.raises(ImportRejected) as err:
        import_roster(store, workbook(rows), "bad.xlsx", "2018-06", "admin")
    text = "\n".join(err.value.errors)
    assert "bad.xlsx 第101行“姓名”列：不能为空" in text
    assert "bad.xlsx 第251行“离校类型”列：“毕了业”无效" in text
    assert "第5、11行重复出现" in text
    assert len(err.value.errors) == 3
    for table in ("students", "stage_status", "events", "import_runs"):
        assert store.read_value(f"SELECT count(*) FROM {table}") == 0


def test_missing_column_and_unknown_batch_are_refused(store):
    csv = "学号,姓名\n1,张三\n".encode()
    with pytest.raises(ImportRejected, match="缺少列“学院”"):
        import_roster(store, csv, "x.csv", "2018-06", "admin")
    with pytest.raises(ImportRejected, match="离校批次“2030-01”不存在"):
        import_roster(store, workbook(messy_rows(2)), "x.xlsx", "2030-01", "admin")
    with pytest.raises(ImportRejected, match="只支持"):
        import_roster(store, b"hello", "x.docx", "2018-06", "admin")
    with pytest.raises(ImportRejected, match="文件已损坏"):
        import_roster(store, b"not a zip", "x.xlsx", "2018-06", "admin")


def test_gbk_csv_from_excel_imports(store):
    csv = ",".join(HEADERS) + "\n20180001,张三,计算机学院,硕士,毕业,虎溪,李四,13800000000,群众\n"
    import_roster(store, csv.encode("gb18030"), "gbk.csv", "2018-06", "admin")
    assert store.read_value("SELECT name FROM students") == "张三"


def test_template_imports_as_is(store):
    import_roster(store, template_xlsx(), "模板.xlsx", "2018-06", "admin")
    assert store.read_value("SELECT name_initials FROM students") == "zs"


def _cli(*args, db):
    return subprocess.run([sys.executable, "-m", "loaders", *args], cwd=ROOT, capture_output=True,
                          text=True, env={"CLEARANCE_DB": str(db), "PATH": "/usr/bin:/bin"})


def test_cli_exit_codes(tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(messy_rows(5)))
    bad_rows = messy_rows(5)
    bad_rows[2][3] = "学士"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(bad_rows))
    db = tmp_path / "cli.duckdb"
    ok = _cli("roster", str(good), "--batch", "2018-06", db=db)
    assert ok.returncode == 0, ok.stderr
    assert "新增 5 人" in ok.stdout
    refused = _cli("roster", str(bad), "--batch", "2018-06", db=db)
    assert refused.returncode == 1
    assert "bad.xlsx 第4行“培养层次”列：“学士”无效" in refused.stderr


def test_cli_says_plainly_when_the_app_holds_the_database(tmp_path):
    import duckdb

    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        good = tmp_path / "good.xlsx"
        good.write_bytes(workbook(messy_rows(2)))
        out = _cli("roster", str(good), "--batch", "2018-06", db=db)
        assert out.returncode == 3
        assert "正被运行中的离校通应用占用" in out.stderr
    finally:
        holder.kill()
