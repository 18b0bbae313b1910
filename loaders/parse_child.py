"""The part of an import that touches the untrusted bytes: run in a child process.

`python -I loaders/parse_child.py` reads one job from stdin (a JSON spec, then the file) and
writes one result to stdout as a pickle of plain lists, dicts, str and int. It imports only
the standard library and python_calamine (and xlrd for a binary .xls), so it starts in ~60 ms
and can run isolated (-I), and sets its own limits (address space, CPU time) before it reads
the file: a workbook that makes calamine allocate 512 GB, abort or panic kills this process,
not the app.

What it returns is a table found the way a person would find it: the header row searched in
the first rows of every sheet (title rows, blank rows, a notes sheet first), the separator and
encoding of a text file detected, every cell as text plus a one-letter kind, so that the app
can refuse what is not a value:

    s text   n number   b TRUE/FALSE   d date/time   x empty
    e Excel error value (#N/A, #VALUE!, …)   f formula without a saved result
    m part of a merged range (not its top-left cell)

Errors are Chinese sentences meant for a college secretary.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import struct
import sys
import unicodedata
import zipfile
import zlib

# What a refusal is about: the app adds the fix to these.
CORRUPT, RANGE, TOO_BIG, FORMAT, NO_HEADER = "corrupt", "range", "too_big", "format", "no_header"

ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXCEL_ERRORS = ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!",
                "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!")


class Refused(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(message)


def header_key(text) -> str:
    """How headers are compared: full-width → half-width, no spaces or invisible marks, upper case."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s\u200b-\u200f\u2060\ufeff]+", "", text).upper()


def column_letters(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _ref(ref: str) -> tuple[int, int]:
    """'B12' → (12, 2), 1-based."""
    m = re.fullmatch(r"\$?([A-Z]{1,5})\$?(\d{1,9})", ref.upper())
    if not m:
        raise Refused(RANGE, f"单元格地址“{ref[:20]}”无效")
    return int(m.group(2)), _column_number(m.group(1))


# ---------------------------------------------------------------- the table, in any format

def _cell(value) -> tuple[str, str]:
    """A calamine value → (text as the user sees it, kind)."""
    t = type(value)
    if t is str:
        return (value, "s") if value != "" else ("", "x")
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return ("#NUM!", "e")
        if value.is_integer() and abs(value) < 1e15:
            return (str(int(value)), "n")
        return (repr(value), "n")
    if t is bool:
        return ("TRUE" if value else "FALSE", "b")
    if t is int:
        return (str(value), "n")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return (value.isoformat(sep=" ") if t is dt.datetime else value.isoformat(), "d")
    if isinstance(value, dt.timedelta):
        return (str(value), "d")
    if value is None:
        return ("", "x")
    return (str(value), "s")


def _score(row: list, groups: list[set[str]]) -> int:
    keys = {header_key(v) for v in row if v not in ("", None)}
    return sum(1 for g in groups if keys & g)


def _find_header(grid: list[list], groups: list[set[str]], search_rows: int) -> tuple[int, int]:
    """(row index, score) of the best header row among the first rows; the first full match."""
    best = (-1, 0)
    for i, row in enumerate(grid[:search_rows]):
        score = _score(row, groups)
        if score > best[1]:
            best = (i, score)
            if score == len(groups):
                break
    return best


SEP = "\x1f"  # between the cells of a column on the way to the app (one string, not a list)


def _column(values) -> tuple[list[str], str | None]:
    """A column's texts and kinds; kinds None when every cell is text (the common case: the
    app derives s/x itself, so 100,000 cells cost one pass)."""
    if set(map(type, values)) <= {str}:
        return list(values), None
    cells = [_cell(v) for v in values]
    return [t for t, _k in cells], "".join(k for _t, k in cells)


def _packed_column(values) -> tuple[str | list[str], str | None]:
    """pack(_column(values)), in one pass when every cell is text: the join itself refuses
    anything else (TypeError), and only then are the cells looked at one by one."""
    if not len(values):
        return [], None
    try:
        joined = SEP.join(values)
    except TypeError:
        text, kind = _column(values)
        return pack(text), kind
    return (joined if joined.count(SEP) == len(values) - 1 else list(values)), None


def pack(texts: list[str]) -> str | list[str]:
    """One string for a column (split again in Arrow by the app); the list itself if a cell
    holds the separator."""
    joined = SEP.join(texts)
    return joined if joined.count(SEP) == len(texts) - 1 else texts


def _table(grid: list[list], header_at: int, first_row: int, overlay: dict, hidden: set[int],
           merged: list[tuple[int, int, int, int]]) -> dict:
    """The table under the header row: columns that have a header, rows that are not blank.
    `overlay` maps (row, col) 1-based → (text, kind) for what calamine cannot say (errors,
    formulas without a result); `first_row` is the sheet row number of grid[0]."""
    header = grid[header_at]
    width = max((len(r) for r in grid), default=0)
    cols = [j for j in range(len(header)) if _cell(header[j])[0].strip() != ""]
    body = grid[header_at + 1:]
    merged_cells = {}
    last_row = first_row + len(grid) - 1
    for r1, c1, r2, c2 in merged[:10000]:
        label = f"{column_letters(c1 - 1)}{r1}:{column_letters(c2 - 1)}{r2}"
        for r in range(max(r1, first_row + header_at + 1), min(r2, last_row) + 1):
            for c in range(c1, min(c2, width) + 1):
                if (r, c) != (r1, c1):
                    merged_cells[(r, c)] = label
    marked = {**{k: ("", "m") for k in merged_cells}, **overlay}
    marked_rows = {r for r, _c in marked}
    if cols == list(range(width)):  # every column has a header: count blanks in C
        keep = [i for i, line in enumerate(body)
                if line.count("") < len(line) or (first_row + header_at + 1 + i) in marked_rows]
    else:
        keep = [i for i, line in enumerate(body)
                if (first_row + header_at + 1 + i) in marked_rows
                or any(line[j] != "" for j in cols if j < len(line))]
    rows = [first_row + header_at + 1 + i for i in keep]
    texts, kinds, merges = [], [], {}
    if len(keep) < len(body):
        body = [body[i] for i in keep]
    if body and all(len(line) == width for line in body):
        columns = list(zip(*body))  # the transposition in C
    else:
        columns = [[line[j] if j < len(line) else "" for line in body] for j in range(width)]
    # The marked cells by column, as positions in `rows` (one dict lookup per marked cell,
    # not one per cell of the sheet).
    position = {row: pos for pos, row in enumerate(rows)} if marked else {}
    marked_by_column: dict[int, list] = {}
    for (row, col), mark in marked.items():
        if row in position:
            marked_by_column.setdefault(col, []).append((position[row], mark))
    for n, j in enumerate(cols):
        hits = sorted(marked_by_column.get(j + 1, ()))
        if not hits:
            packed, kind = _packed_column(columns[j] if body else [])
            texts.append(packed)
            kinds.append(kind)
            continue
        text, kind = _column(columns[j] if body else [])
        kind = list(kind) if kind is not None else ["x" if v == "" else "s" for v in text]
        text = list(text)
        for pos, (t, k) in hits:
            text[pos], kind[pos] = t, k
            if k == "m":
                merges[f"{rows[pos]}:{n}"] = merged_cells[(rows[pos], j + 1)]
        texts.append(pack(text) if len(text) else [])
        kinds.append("".join(kind))
    return {
        "header_row": first_row + header_at,
        "headers": [_cell(header[j])[0] for j in cols],
        "letters": [column_letters(j) for j in cols],
        "columns": texts,
        "kinds": kinds,
        "rows": rows,
        "hidden_rows": sorted(hidden & set(rows)),
        "merged": merges,
        "width": width,
    }


# ---------------------------------------------------------------- text files (CSV, TSV)

def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode 文本" is UTF-16 with a BOM
        return data.decode("utf-16")
    sample = data[:4000]
    if sample and sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without a BOM
        return data.decode("utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be")
    for encoding in ("utf-8", "gb18030"):  # Excel in China saves CSV as GBK (GB18030 ⊃ GBK)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused(FORMAT, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")


def _text_table(data: bytes, spec: dict) -> dict:
    lines = data.count(b"\n")
    if lines > spec["max_rows"] + spec["search_rows"]:  # counted before anything is parsed
        raise Refused(TOO_BIG, f"文件有 {lines} 行，超过了 {spec['max_rows']} 行的上限")
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise Refused(FORMAT, "文件编码有误（部分内容无法解码），请另存为 UTF-8 编码的 CSV") from None
    if "\x00" in text:
        raise Refused(CORRUPT, "文件已损坏（含有空字符），不是文本表格")
    groups = [set(g) for g in spec["groups"]]
    head = text[:200_000].splitlines()[: spec["search_rows"]]
    best = None
    for sep in (",", "\t", ";"):
        try:
            grid = list(csv.reader(head, delimiter=sep))
        except csv.Error:
            continue
        at, score = _find_header(grid, groups, spec["search_rows"])
        width = len(grid[at]) if at >= 0 else 0
        if best is None or (score, width) > (best[1], best[2]):
            best = (sep, score, width)
    sep = best[0] if best else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        grid = list(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # csv's own cap, 131,072 characters
            raise Refused(FORMAT, f"第{reader.line_num}行附近有一个超过 {csv.field_size_limit()} 个字符的值"
                                  "（Excel 单元格最多 32767 个字符），多半是引号不成对或文件不是表格；"
                                  "请检查该行后重新导出") from None
        raise Refused(CORRUPT, "文件格式有误（引号不成对），无法按表格读取") from None
    if len(grid) > spec["max_rows"]:
        raise Refused(TOO_BIG, f"文件有 {len(grid)} 行，超过了 {spec['max_rows']} 行的上限")
    at, score = _find_header(grid, groups, spec["search_rows"])
    if at < 0:
        return {"found": False, "sheet": "", "best": None}
    table = _table(grid, at, 1, {}, set(), [])
    width = len(grid[at])
    long_rows = []
    for i in range(at + 1, len(grid)):
        extra = [v for v in grid[i][width:] if v.strip() != ""]
        if extra:
            long_rows.append((i + 1, len(grid[i]), extra[0]))
    table.update(found=score == len(groups), sheet="", separator=sep, extra_fields=long_rows[:50],
                 extra_count=len(long_rows), header_width=width)
    return table


# ---------------------------------------------------------------- workbooks (XLSX, XLS)

def _zip_sheets(zf: zipfile.ZipFile) -> dict[str, str]:
    """sheet name → its XML part, from workbook.xml and its relationships."""
    try:
        book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        rid = re.search(r'\bId="([^"]+)"', tag)
        target = re.search(r'\bTarget="([^"]+)"', tag)
        if rid and target:
            path = target.group(1).lstrip("/")
            targets[rid.group(1)] = path if path.startswith("xl/") else "xl/" + path
    parts = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\b\w+:id="([^"]+)"', tag)
        if name and rid and rid.group(1) in targets:
            parts[_xml_unescape(name.group(1))] = targets[rid.group(1)]
    return parts


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _check_range(sheet: str, rows: int, cols: int, where: str, spec: dict) -> None:
    if rows > spec["max_rows"] or cols > spec["max_columns"] or rows * cols > spec["max_cells"]:
        raise Refused(RANGE, f"工作表“{sheet}”{where}（约 {rows} 行 × {cols} 列），"
                             f"超出了 {spec['max_rows']} 行、{spec['max_columns']} 列的上限")


def _checked_sheet_xml(zf: zipfile.ZipFile, part: str, sheet: str, spec: dict) -> bytes:
    """The sheet's XML, once its declared dimension and the cells it actually uses are known to
    fit the limits (refused otherwise): only then may calamine read it."""
    info = zf.getinfo(part)
    if info.file_size > spec["max_xml_bytes"]:
        raise Refused(TOO_BIG, f"工作表“{sheet}”解压后有 {info.file_size // 1_000_000} MB，超过上限")
    with zf.open(part) as f:
        head = f.read(8192)
    dim = re.search(rb'<(?:\w+:)?dimension\b[^>]*\bref="([^"]+)"', head)
    if dim:
        ref = dim.group(1).decode("ascii", "replace")
        last = ref.split(":")[-1]
        r, c = _ref(last)
        _check_range(sheet, r, c, f"声明的范围 {ref[:30]}", spec)
    xml = zf.read(part)
    too_far = re.search(rb'r="([A-Z]{3}[A-Z\d]*|[A-Z]{1,2}\d{7}\d*)"', xml)
    if too_far:
        where = too_far.group(1).decode()
        r, c = _ref(where)
        _check_range(sheet, r, c, f"在 {where} 有内容", spec)
    row_numbers = [int(n) for n in re.findall(rb'<(?:\w+:)?row\b[^>]*?\br="(\d{1,9})"', xml[-4096:])]
    if row_numbers:
        _check_range(sheet, max(row_numbers), 1, f"第 {max(row_numbers)} 行有内容", spec)
    return xml


def _cell_marks(xml: bytes) -> tuple[dict, set[int]]:
    """What calamine does not tell: error cells, formulas without a saved result, hidden rows.
    Returns (overlay, hidden rows)."""
    overlay = {}
    if b't="e"' in xml or b"<f" in xml:
        for m in re.finditer(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", xml, re.S):
            attrs, body = m.group(1), m.group(3) or b""
            is_error = b't="e"' in attrs
            has_formula = b"<f" in body
            if not (is_error or has_formula):
                continue
            ref = re.search(rb'\br="([A-Z]+\d+)"', attrs)
            if not ref:
                continue
            value = re.search(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>", body)
            at = _ref(ref.group(1).decode())
            if is_error:
                overlay[at] = ((value.group(1) if value else b"#N/A").decode("utf-8", "replace"), "e")
            elif not value:
                formula = re.search(rb"<(?:\w+:)?f\b[^>]*>([^<]*)</", body)
                text = _xml_unescape(formula.group(1).decode("utf-8", "replace")) if formula else ""
                overlay[at] = ("=" + text, "f")
    hidden = set()
    if b"hidden=" in xml:
        for m in re.finditer(rb'<(?:\w+:)?row\b[^>]*>', xml):
            tag = m.group(0)
            if re.search(rb'\bhidden="(1|true)"', tag):
                r = re.search(rb'\br="(\d+)"', tag)
                if r:
                    hidden.add(int(r.group(1)))
    return overlay, hidden


def _xls_may_hold_errors(data: bytes) -> bool:
    """False only when no cell of the BIFF8 workbook stream holds an error: no BOOLERR record
    (id 0x0205) with its error flag, no FORMULA record (id 0x0006) whose saved result is of type
    error. A walk over the record headers, ~10× quicker than xlrd's full read."""
    from xlrd import compdoc

    doc = compdoc.CompDoc(data, logfile=io.StringIO())
    mem, pos, length = doc.locate_named_stream("Workbook")
    if mem is None:  # not BIFF8 (e.g. a BIFF5 "Book" stream): read it all
        return True
    end, header = pos + length, struct.Struct("<HH").unpack_from
    while pos + 4 <= end:
        rid, size = header(mem, pos)
        body = pos + 4
        if rid == 0x0205 and size >= 8 and mem[body + 7] == 1:
            return True
        if rid == 0x0006 and size >= 14 and mem[body + 6] == 2 and mem[body + 12:body + 14] == b"\xff\xff":
            return True
        pos = body + size
    return False


def _xls_errors(data: bytes) -> dict[str, dict]:
    """Error cells of a binary .xls (BIFF), per sheet name: {(row, col) 1-based: (text, "e")}.
    calamine reads a BIFF error record (#N/A, #VALUE! saved by Excel) as an empty cell, which
    would turn an unknown amount into 0; xlrd reports it as XL_CELL_ERROR with its code."""
    import xlrd  # only for .xls: the child stays quick to start for everything else

    try:
        if not _xls_may_hold_errors(data):  # the full read costs 3× calamine's
            return {}
        # logfile: xlrd prints its warnings to stdout by default, which carries our answer.
        book = xlrd.open_workbook(file_contents=data, logfile=io.StringIO(), on_demand=True)
        found = {}
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            cells = {}
            for r in range(sheet.nrows):
                types = sheet.row_types(r)
                if xlrd.XL_CELL_ERROR in types:
                    for c, kind in enumerate(types):
                        if kind == xlrd.XL_CELL_ERROR:
                            code = sheet.cell_value(r, c)
                            cells[(r + 1, c + 1)] = (xlrd.error_text_from_code.get(code, "#N/A"), "e")
            found[sheet.name] = cells
            book.unload_sheet(index)
        return found
    except Exception:  # xlrd's own errors, struct and index errors on a damaged file
        # calamine read it, so say what to do rather than "damaged": without the check an
        # unknown amount could pass as 0.
        raise Refused(FORMAT, "这个旧版 Excel（.xls）文件无法逐格检查错误值；请用 Excel 打开后"
                              "“另存为” Excel 工作簿（.xlsx）再导入") from None


def _read_sheet(book, index: int) -> tuple[list[list], list[tuple[int, int, int, int]]]:
    sheet = book.get_sheet_by_index(index)
    grid = sheet.to_python(skip_empty_area=False)
    merged = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (sheet.merged_cell_ranges or [])]
    return grid, merged


def _errors_as_na(zf: zipfile.ZipFile, part: str) -> bytes:
    """The workbook again, with every error cell of `part` holding #N/A."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zf.infolist():
            body = zf.read(info)
            if info.filename == part:
                body = re.sub(rb'(<(?:\w+:)?c\b[^>]*\bt="e"[^>]*>.*?<(?:\w+:)?v>)[^<]*(</)',
                              rb"\1#N/A\2", body, flags=re.S)
            z.writestr(info, body)
    return out.getvalue()


def _workbook_table(data: bytes, spec: dict, is_zip: bool) -> dict:
    import python_calamine as pc

    parts, zf = {}, None
    if is_zip:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            total = sum(i.file_size for i in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
            raise Refused(CORRUPT, "文件已损坏（不是完整的 Excel 文件）") from None
        if total > spec["max_unzipped_bytes"]:
            raise Refused(TOO_BIG, f"文件解压后有 {total // 1_000_000} MB，超过上限")
        if "xl/workbook.xml" not in zf.namelist():
            if any(n.startswith("content.xml") for n in zf.namelist()):
                raise Refused(FORMAT, "这是 OpenDocument（.ods）文件，请另存为 .xlsx 后再导入")
            raise Refused(CORRUPT, "文件已损坏（不是 Excel 工作簿）")
        parts = _zip_sheets(zf)
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = book.sheets_metadata
    except pc.PasswordError:
        raise Refused(FORMAT, "文件设置了密码，请取消密码后再导入") from None
    except BaseException as exc:  # pyo3's PanicException is a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise Refused(CORRUPT, "文件已损坏，无法读取") from None
    xls_errors = _xls_errors(data) if not is_zip else {}
    groups = [set(g) for g in spec["groups"]]
    order = [i for i, m in enumerate(metas) if "Visible" in str(m.visible) and "WorkSheet" in str(m.typ)]
    order += [i for i, m in enumerate(metas) if i not in order and "WorkSheet" in str(m.typ)]
    if len(order) > spec["max_sheets"]:
        order = order[: spec["max_sheets"]]
    best = None
    for index in order:
        name = metas[index].name
        overlay, hidden = {}, set()
        if zf is not None and name in parts and parts[name] in zf.namelist():
            overlay, hidden = _cell_marks(_checked_sheet_xml(zf, parts[name], name, spec))
        elif zf is None:
            overlay = xls_errors.get(name, {})
        try:
            grid, merged = _read_sheet(book, index)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
                raise
            if zf is None or not any(kind == "e" for _t, kind in overlay.values()):
                raise Refused(CORRUPT, f"工作表“{name}”已损坏，无法读取") from None
            # An error value calamine does not know (#GETTING_DATA, #SPILL!): we already have
            # them all in `overlay`; read the sheet again with every error cell as #N/A.
            try:
                grid, merged = _read_sheet(pc.CalamineWorkbook.from_filelike(
                    io.BytesIO(_errors_as_na(zf, parts[name]))), index)
            except BaseException as again:
                if isinstance(again, (KeyboardInterrupt, SystemExit, MemoryError)):
                    raise
                raise Refused(CORRUPT, f"工作表“{name}”已损坏，无法读取") from None
        if len(grid) > spec["max_rows"]:
            raise Refused(TOO_BIG, f"工作表“{name}”有 {len(grid)} 行，超过了 {spec['max_rows']} 行的上限")
        at, score = _find_header(grid, groups, spec["search_rows"])
        if at >= 0 and (best is None or score > best[1]["score"]):
            table = _table(grid, at, 1, overlay, hidden, merged)
            table.update(found=score == len(groups), sheet=name, score=score, sheet_index=index,
                         hidden_sheet="Visible" not in str(metas[index].visible))
            best = (index, table)
            if table["found"]:
                break
        del grid
    if best is None:
        return {"found": False, "sheet": "", "sheets": [metas[i].name for i in order]}
    return best[1]


# ---------------------------------------------------------------- the job

def _sniff(data: bytes) -> str:
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:4096].decode("utf-16", "replace").encode("utf-8", "replace").lower().lstrip()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096] or b"<workbook" in head:
        return "spreadsheetml"
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) or \
            (head.startswith(b"<") and b"<table" in data[:65536].lower()):
        return "html"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"%pdf"):
        return "pdf"
    return "text"


def parse(data: bytes, spec: dict) -> dict:
    suffix = os.path.splitext(spec["file_name"])[1].lower()
    kind = _sniff(data)
    if kind == "html":
        raise Refused(FORMAT, "这个文件其实是网页（HTML）格式，只是扩展名为 Excel；"
                              "请用 Excel 打开后“另存为” Excel 工作簿（.xlsx）再导入")
    if kind == "spreadsheetml":
        raise Refused(FORMAT, "这个文件是旧式 XML 表格（Excel 2003 XML），"
                              "请用 Excel 打开后“另存为” Excel 工作簿（.xlsx）再导入")
    if kind in ("rtf", "pdf"):
        raise Refused(FORMAT, "这不是表格文件，请导出为 .xlsx 或 .csv 后再导入")
    if kind == "text":
        if suffix in (".xlsx", ".xlsm"):
            raise Refused(CORRUPT, f"扩展名是 {suffix}，但内容不是 Excel 工作簿")
        if suffix not in (".csv", ".txt", ".tsv", ".xls"):  # 教务系统 .xls are often text
            raise Refused(FORMAT, "只支持 .xlsx、.xls 和 .csv 文件")
        return _text_table(data, spec)
    if suffix not in (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv"):
        raise Refused(FORMAT, "只支持 .xlsx、.xls 和 .csv 文件")
    return _workbook_table(data, spec, kind == "zip")


def _set_limits(spec: dict) -> None:
    import resource

    memory = int(spec["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(spec["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # the child writes no files


def _read_exact(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def main() -> None:
    import pickle

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    (spec_len,) = struct.unpack(">I", _read_exact(stdin, 4))
    spec = json.loads(_read_exact(stdin, spec_len))
    _set_limits(spec)
    (data_len,) = struct.unpack(">Q", _read_exact(stdin, 8))
    data = _read_exact(stdin, data_len)
    try:
        result = {"ok": True, "table": parse(data, spec)}
    except Refused as exc:
        result = {"ok": False, "code": exc.code, "message": exc.message}
    except MemoryError:
        result = {"ok": False, "code": TOO_BIG, "message": "文件过大，读取时超出了内存上限"}
    except (zipfile.BadZipFile, zlib.error, EOFError):  # a damaged part of a workbook, read late
        result = {"ok": False, "code": CORRUPT, "message": "不是完整的 Excel 文件"}
    except RecursionError:
        result = {"ok": False, "code": CORRUPT, "message": "文件已损坏，无法读取"}
    stdout.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    stdout.flush()


if __name__ == "__main__":
    main()
