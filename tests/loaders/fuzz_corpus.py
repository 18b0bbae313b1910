"""A seeded generator of mutated rosters and feeds, for the fuzz test (and bench/ for giant
cases): byte flips, truncation, odd dimensions, error cells, huge cells, control characters,
odd encodings and separators; workbooks as .xlsx (XML written by hand) and binary .xls (xlwt).
The same seed gives the same files.

    for case in corpus(seed=11, count=300): case.kind, case.name, case.data
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.loaders import rawxlsx

ROSTER_HEADERS = ["学号", "姓名", "学院", "培养层次", "离校类型", "校区", "导师", "手机", "政治面貌"]
FEED_HEADERS = {"finance": ["学号", "欠费金额"],
                "library": ["学号", "未还图书", "超期违约金", "未还设备", "学位论文已提交"]}
NASTY = ["#N/A", "#VALUE!", "#REF!", "NaN", "None", "null", "N/A", "-", "2.01613E+11", "1.200,00",
         "\u200b", "\x00", "\x1b[31m", "=cmd|' /C calc'!A0", "\ufeff", "１２.５０元", "", " ",
         "9" * 400, "张" * 5000, "\n", "\"", "'", "0.1", "-0", "1e309", "∞", "TRUE"]
ERRORS = ["#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!"]


@dataclass(frozen=True)
class Case:
    kind: str  # roster / finance / library
    name: str
    data: bytes
    how: str  # which mutation made it (for the failure message)


def _good_rows(rng: random.Random, kind: str, students: list[str], n: int) -> list[list]:
    rows = []
    for i in range(n):
        no = rng.choice(students)
        if kind == "roster":
            rows.append([no, f"学生{i}", "计算机学院", rng.choice(["硕士", "博士"]), "毕业",
                         rng.choice(["虎溪", "A区"]), "李老师", "", "群众"])
        elif kind == "finance":
            rows.append([no, rng.choice([0, 12.5, "300", "", "１２元"])])
        else:
            rows.append([no, rng.choice([0, 1]), 0, 0, rng.choice(["是", "否"])])
    return rows


def _cell_noise(rng: random.Random, rows: list[list]) -> str:
    """Put nasty values, error cells and formulas into random cells."""
    for _ in range(rng.randint(1, 4)):
        row = rng.choice(rows)
        j = rng.randrange(len(row))
        pick = rng.random()
        if pick < 0.3:
            row[j] = ("e", rng.choice(ERRORS))
        elif pick < 0.45:
            row[j] = ("f", "VLOOKUP(A2,Sheet2!A:B,2,0)", None)
        elif pick < 0.55:
            row[j] = ("f", "0.1+0.2-0.3", 5.551115123125783e-17)
        elif pick < 0.65:
            row[j] = rng.choice([1e300, -0.0, 2.0e10, 20181301001.0, 0.5])
        else:
            row[j] = rng.choice(NASTY)
    return "cells"


def _xml_safe(rows: list[list]) -> list[list]:
    """XML cannot hold some control characters: write them as their escape the way Excel does."""
    def fix(v):
        if isinstance(v, str):
            return "".join(c if c in "\t\n\r" or ord(c) >= 32 else f"_x{ord(c):04X}_" for c in v)
        return v
    return [[fix(v) for v in r] for r in rows]


def _xlsx(rng: random.Random, headers: list[str], rows: list[list]) -> tuple[bytes, str]:
    shape = rng.random()
    kw, how = {}, "xlsx"
    if shape < 0.15:
        kw["dimension"] = rng.choice(["A1:ZZZZZ40", "A1:XFD1048576", "A1:B2", "A0:B", "ZZ:ZZ",
                                      "A1:A99999999"])
        how = f"dimension {kw['dimension']}"
    elif shape < 0.25:
        kw["extra_cells"] = rng.choice(['<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                                        '<row r="400000"><c r="A400000"><v>1</v></c></row>',
                                        '<row r="3"><c r="AAA3"><v>1</v></c></row>'])
        how = "far cell"
    elif shape < 0.35:
        kw["hidden"] = {rng.randint(2, len(rows) + 1)}
    elif shape < 0.45 and len(rows) > 2:
        kw["merges"] = [f"A2:A{rng.randint(3, len(rows) + 1)}"]
    title = [["离校名单（内部）"], []] if rng.random() < 0.3 else []
    sheet = rawxlsx.sheet_xml(_xml_safe([*title, headers, *rows]), **kw)
    sheets = {"说明": rawxlsx.sheet_xml([["填表说明"]]), "数据": sheet} if rng.random() < 0.2 else {"Sheet1": sheet}
    return rawxlsx.workbook(sheets), how


XLS_ERROR_CODES = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D,
                   "#NUM!": 0x24, "#N/A": 0x2A}


def _xls(rng: random.Random, headers: list[str], rows: list[list]) -> tuple[bytes, str]:
    """A binary .xls (BIFF8) by xlwt, the old 教务系统 format: error cells as BIFF error records
    (an error BIFF has no code for, like #SPILL!, becomes #N/A), a formula as its text."""
    import io

    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate([headers, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, tuple) and value[0] == "e":
                sheet.row(r).set_cell_error(c, XLS_ERROR_CODES.get(value[1], 0x2A))
            elif isinstance(value, tuple):
                sheet.write(r, c, "=" + value[1])
            else:
                sheet.write(r, c, value[:32767] if isinstance(value, str) else value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue(), "xls"


def _csv(rng: random.Random, headers: list[str], rows: list[list]) -> tuple[bytes, str]:
    sep = rng.choice([",", "\t", ";"])
    def text(v):
        if isinstance(v, tuple):
            return v[1] if v[0] == "e" else "=" + v[1]
        s = str(v)
        return f'"{s}"' if (sep in s or '"' in s or "\n" in s) and rng.random() < 0.7 else s
    lines = [sep.join(headers)] + [sep.join(text(v) for v in r) for r in rows]
    if rng.random() < 0.1:
        lines.insert(rng.randint(1, len(lines)), sep.join(["x"] * (len(headers) + 2)))
    body = "\n".join(lines) + "\n"
    encoding = rng.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16"])
    try:
        return body.encode(encoding), f"csv {encoding} {sep!r}"
    except UnicodeEncodeError:
        return body.encode("utf-8"), f"csv utf-8 {sep!r}"


def _mutate_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    pick = rng.random()
    if pick < 0.35:
        buf = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf), "byte flips"
    if pick < 0.65:
        return data[: rng.randint(0, max(1, len(data) - 1))], "truncated"
    if pick < 0.75:
        at = rng.randrange(len(data))
        return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[at:], "inserted"
    if pick < 0.85:
        return data + data[: rng.randint(1, 200)], "tail garbage"
    return data, "as made"


def corpus(seed: int = 11, count: int = 300, students: list[str] | None = None):
    """`count` cases, a third each roster, finance and library."""
    rng = random.Random(seed)
    students = students or [f"20180000{i:02d}" for i in range(1, 7)]
    for n in range(count):
        kind = ("roster", "finance", "library")[n % 3]
        headers = ROSTER_HEADERS if kind == "roster" else FEED_HEADERS[kind]
        rows = _good_rows(rng, kind, students, rng.randint(1, 8))
        how = [_cell_noise(rng, rows)] if rng.random() < 0.6 else []
        shape = rng.random()
        if shape < 0.5:
            data, made = _xlsx(rng, headers, rows)
            name = rng.choice(["名单.xlsx", "data.xlsx", "export.xls"])
        elif shape < 0.62:
            data, made = _xls(rng, headers, rows)
            name = rng.choice(["教务系统导出.xls", "财务.xls"])
        else:
            data, made = _csv(rng, headers, rows)
            name = rng.choice(["名单.csv", "data.csv", "导出.xls", "Unicode 文本.txt"])
        how.append(made)
        if rng.random() < 0.5:
            data, mutation = _mutate_bytes(rng, data)
            how.append(mutation)
        yield Case(kind, name, data, " + ".join(how))
