"""The giant hostile files (issue 11), too slow for the test suite: each is fed to the finance
feed's import with the production limits (config/imports.toml) into a store of six students,
and the outcome and the time are printed. The small cases are the fuzz test's
(tests/loaders/fuzz_corpus.py); these are the ones that are large on purpose.

    python -m bench.hostile_giants

Expected: every case ends in a Chinese refusal (or, for the error-free .xls, an import) within
seconds, and the app process (this one) is still running at the end.
"""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

from clearance.root import close_all_stores, open_store
from loaders.feeds import import_feed
from loaders.sheets import ImportRejected
from tests.conftest import add_students
from tests.loaders import rawxlsx

STUDENTS = [f"201800000{i}" for i in range(1, 7)]


def big_csv_by_size() -> bytes:
    """31 MB: over max_file_mb, refused before any parse."""
    line = "2018000001,0\n".encode()
    return "学号,欠费金额\n".encode() + line * (31 * 1024 * 1024 // len(line))


def csv_over_the_row_limit() -> bytes:
    return "学号,欠费金额\n".encode() + b"2018000001,0\n" * 300_001


def one_cell_of_20_mb() -> bytes:
    return "学号,欠费金额\n".encode() + b"2018000001," + b"9" * 20_000_000 + b"\n"


def zip_bomb() -> bytes:
    """About 1 MB on disk, 700 MB of sheet XML once unpacked."""
    small = rawxlsx.one_sheet([["学号", "欠费金额"], ["2018000001", 0]])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(small)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, src.read(info))
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main"><sheetData>')
            chunk = b"<row/>" * (1 << 20)
            for _ in range(700 * (1 << 20) // len(chunk)):
                part.write(chunk)
            part.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def xls_rows(n: int, error_last: bool) -> bytes:
    """A binary .xls of n rows (xlwt), the last amount an #N/A error record if asked; the six
    students first, then 学号 not on the roster (a feed skips those)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("欠费")
    sheet.write(0, 0, "学号")
    sheet.write(0, 1, "欠费金额")
    for r in range(1, n + 1):
        sheet.write(r, 0, STUDENTS[r - 1] if r <= 6 else f"2019{r:07d}")  # others: not on the roster
        if error_last and r == n:
            sheet.row(r).set_cell_error(1, 0x2A)
        else:
            sheet.write(r, 1, 0)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


CASES = {  # label → (maker, file name)
    "CSV of 31 MB (over max_file_mb)": (big_csv_by_size, "big.csv"),
    "CSV of 300,001 rows (over max_rows)": (csv_over_the_row_limit, "rows.csv"),
    "CSV with one cell of 20 MB": (one_cell_of_20_mb, "cell.csv"),
    "xlsx declaring A1:ZZZZZ40 (5 KB)": (lambda: rawxlsx.one_sheet(
        [["学号", "欠费金额"], ["2018000001", 0]], dimension="A1:ZZZZZ40"), "dim.xlsx"),
    "xlsx with a cell at XFD1048576": (lambda: rawxlsx.one_sheet(
        [["学号", "欠费金额"], ["2018000001", 0]],
        extra_cells='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'), "far.xlsx"),
    "xlsx zip bomb (700 MB of XML)": (zip_bomb, "bomb.xlsx"),
    ".xls of 65,000 rows, #N/A in the last": (lambda: xls_rows(65_000, True), "errors.xls"),
    ".xls of 65,000 rows, no error cells": (lambda: xls_rows(65_000, False), "clean.xls"),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "giants.duckdb")
        add_students(store, pd.DataFrame([
            {"学号": no, "姓名": "学生", "学院": "计算机学院", "培养层次": "硕士", "离校类型": "毕业",
             "校区": "虎溪", "导师": "李老师", "手机": "", "政治面貌": "群众"} for no in STUDENTS]))
        try:
            for label, (make, name) in CASES.items():
                data = make()
                started = time.perf_counter()
                try:
                    result = import_feed(store, "finance", data, name, "bench", "upload")
                    outcome = f"imported: {result.rows} rows"
                except ImportRejected as exc:
                    outcome = f"refused ({len(exc.errors)}): {exc.errors[0][:90]}"
                took = time.perf_counter() - started
                print(f"{label:40s} {len(data) / 1e6:8.1f} MB {took:6.2f} s  {outcome}", flush=True)
        finally:
            close_all_stores()


if __name__ == "__main__":
    main()
