"""Writes the binary .xls (BIFF8) test files in this folder with xlwt, a real .xls writer (the
format of old 教务系统 and finance exports), so that the error records are the ones Excel saves:

    .venv/bin/python tests/loaders/data/make_xls.py

`arrears_errors.xls`: a 财务处 arrears feed on the sheet "欠费" for the cohort of
tests/loaders/test_feeds.py: 2018000001 owes nothing (0), 2018000002's amount is the error #N/A
(a VLOOKUP that found nothing), 2018000003's is #VALUE!; a fourth row whose 学号 is the error
#REF!; 2018000004's amount is a formula =1/0 saved with its result #DIV/0!. python-calamine
reads those error cells as empty (an unknown amount as 0).
"""

import io
from pathlib import Path

import xlwt

HERE = Path(__file__).resolve().parent
# BIFF error codes (xlwt's own name table maps "#VALUE!" to the code of #NUM!, so codes it is).
NA, VALUE, REF, DIV0 = 0x2A, 0x0F, 0x17, 0x07


def arrears_errors() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("欠费")
    for col, header in enumerate(["学号", "姓名", "欠费金额"]):
        sheet.write(0, col, header)
    sheet.write(1, 0, "2018000001")
    sheet.write(1, 1, "学生一")
    sheet.write(1, 2, 0)
    sheet.write(2, 0, "2018000002")
    sheet.write(2, 1, "学生丁")
    sheet.row(2).set_cell_error(2, NA)
    sheet.write(3, 0, "2018000003")
    sheet.write(3, 1, "学生丂")
    sheet.row(3).set_cell_error(2, VALUE)
    sheet.row(4).set_cell_error(0, REF)
    sheet.write(4, 1, "学生七")
    sheet.write(4, 2, 0)
    sheet.write(5, 0, "2018000004")
    sheet.write(5, 1, "学生丄")
    sheet.write(5, 2, xlwt.Formula("1/0"))
    buf = io.BytesIO()
    book.save(buf)
    (HERE / "arrears_errors.xls").write_bytes(saved_result_as_error(buf.getvalue(), DIV0))


def saved_result_as_error(data: bytes, code: int) -> bytes:
    """xlwt saves a formula with an empty text result; Excel saves the result it computed. Set
    the saved result of the (one) FORMULA record to the error `code` (BIFF8: result type 2 in
    byte 0, the code in byte 2, 0xFFFF in bytes 6-7), as Excel writes =1/0."""
    at = data.index(b"\x06\x00")
    # The FORMULA record (id 0x0006): its result (record bytes 10-17) ends in 0xFFFF.
    while not (data[at:at + 2] == b"\x06\x00" and data[at + 16:at + 18] == b"\xff\xff"):
        at = data.index(b"\x06\x00", at + 1)
    result = at + 4 + 6
    patched = bytearray(data)
    patched[result:result + 8] = bytes([2, 0, code, 0, 0, 0, 0xFF, 0xFF])
    return bytes(patched)
