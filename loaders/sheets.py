"""Reading the tables other campus systems export (CSV, XLSX, XLS) into text columns, and the
column-wise checks every loader shares. Every loader starts here.

The bytes are parsed in a child process with limits (loaders.sandbox); what comes back is
the table found the way a person would find it (header row searched in the first rows of
every sheet; separator and encoding detected), every cell as text plus a kind (text, number,
Excel error, formula without a result, merged, …). A cell is a value or its row is refused:
Excel error values and no-value words (NaN, None, N/A, -, …) are never read as 0 or blank.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clearance.rules.text import half_width
from loaders.limits import load_limits
from loaders.parse_child import EXCEL_ERRORS, SEP, header_key
from loaders.sandbox import SandboxRefused, parse_untrusted

# Words that say "no value here"; compared upper-case after NFKC. They are refused wherever a
# value is read (a blank cell is the way to say nothing).
NO_VALUE_WORDS = frozenset({
    "NAN", "NONE", "NULL", "NIL", "N/A", "NA", "N.A.", "#N/A", "NAT", "UNDEFINED", "-", "--",
    "---", "—", "——", "/", "(空)", "(空白)", "(BLANK)", "<NA>", "?", "??",
})
EXCEL_ERROR_WORDS = frozenset(EXCEL_ERRORS)
SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")
SCIENTIFIC_FIX = "学号列被 Excel 显示成了科学计数法，末几位已丢失；请把该列设为“文本”后重新导出"
# Written with literal characters (and \xHH for ASCII) so that both Python's re and Arrow's RE2
# (pandas' vectorised str.contains) read the same class.
_INVISIBLE = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\u009f\u00ad\u034f\u061c\u115f\u1160"
                        "\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
                        "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]")


class ImportRejected(Exception):
    """The file was refused whole; `errors` name file, row and column in Chinese (at most
    `max_errors` of them, then a line counting the rest)."""

    def __init__(self, errors: list[str]):
        limit = load_limits().max_errors
        if len(errors) > limit + 1:
            errors = errors[:limit] + [f"……另有 {len(errors) - limit} 处错误未列出"]
        self.errors = errors
        super().__init__("\n".join(errors))


def show(value, limit: int | None = None) -> str:
    """A cell as the user should see it in a message: invisible characters named (⟨U+200B⟩),
    control characters too, long values cut with "…"."""
    text = "" if value is None else str(value)
    limit = limit or load_limits().quote_chars
    cut = len(text) > limit
    text = text[:limit]
    text = _INVISIBLE.sub(lambda m: f"⟨U+{ord(m.group(0)):04X}⟩", text)
    text = text.replace("\n", "⟨换行⟩").replace("\r", "⟨回车⟩").replace("\t", "⟨制表符⟩")
    return text + ("…" if cut else "")


def has_invisible(text: str) -> bool:
    return bool(_INVISIBLE.search(text))


@dataclass(frozen=True)
class Sheet:
    file_name: str
    content_hash: str
    rows: pd.DataFrame  # every cell a normalised str ('' when empty); index = spreadsheet row number
    kinds: pd.DataFrame | None = None  # same shape: s n b d x e f m (see loaders.parse_child)
    sheet_name: str = ""
    header_row: int = 1
    hidden_rows: tuple[int, ...] = ()
    merged: dict = field(default_factory=dict, hash=False)  # (row, header) → "A5:A6"
    notes: tuple[str, ...] = ()  # said in the result (the sheet used, hidden rows)

    def error(self, row: int, column: str, message: str) -> str:
        return f"{self.file_name} 第{row}行“{column}”列：{message}"

    def kind(self, column: str) -> pd.Series:
        if self.kinds is None or column not in self.kinds:
            return pd.Series("s", index=self.rows.index)
        return self.kinds[column]

    def with_rows(self, rows: pd.DataFrame, kinds: pd.DataFrame | None = None) -> "Sheet":
        return Sheet(self.file_name, self.content_hash, rows,
                     kinds if kinds is not None else self.kinds, self.sheet_name,
                     self.header_row, self.hidden_rows, self.merged, self.notes)


def clean_text(value) -> str:
    """Full-width → half-width (NFKC), no stray spaces. (No-value words are NOT turned into
    blanks here: `value_problems` refuses them.)"""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = half_width(str(value)).strip()
    return re.sub(r"\s+", " ", text)


def _arrow(values) -> pa.Array:
    """Cells as an Arrow string array: from a Series, a list, or the child's packed string."""
    if isinstance(values, str):
        return pc.split_pattern(pa.array([values], type=pa.large_string()), SEP).flatten()
    if isinstance(values, pd.Series):
        values = values.tolist()
    return pa.array(values, type=pa.large_string(), from_pandas=True)


# Below this many cells a column is cleaned cell by cell in the kernels: finding the distinct
# values first costs more than it saves (the fuzz test's files have a few rows each).
DISTINCT_FROM = 1000


def clean_column(values) -> pd.Series:
    """clean_text over a whole column, in Arrow kernels (NFKC, trim, one space)."""
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(_clean_array(_arrow(values)), index=index, dtype="str")


def _clean_array(array: pa.Array) -> pa.Array:
    """Each distinct value cleaned once: a roster's 学院, 校区, 培养层次 … have a handful of
    values in 100,000 cells, so the kernels run over the dictionary and a `take` spreads it."""
    array = pc.fill_null(array, "")
    encoded = pc.dictionary_encode(array) if len(array) >= DISTINCT_FROM else None
    words = encoded.dictionary if encoded is not None else array
    words = pc.utf8_normalize(words, form="NFKC")
    words = pc.utf8_trim_whitespace(words)
    words = pc.replace_substring_regex(words, pattern=r"\s+", replacement=" ")
    return pc.take(words, encoded.indices) if encoded is not None else words


def clean_code(value) -> str:
    """A number-like code (学号, phone, UID): no spaces; 20181301001.0 (a code stored as a number
    and saved as text) becomes 20181301001. Scientific notation is left as it is, for the
    学号 check to refuse (digits were lost)."""
    text = clean_text(value).replace(" ", "")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def clean_codes(values: pd.Series) -> pd.Series:
    s = values.str.replace(" ", "", regex=False)
    return s.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def clean_name(value) -> str:
    """Chinese names lose inner spaces (张 三 → 张三); other names keep single spaces."""
    text = clean_text(value)
    return text.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", text) else text


def clean_names(values: pd.Series) -> pd.Series:
    return per_distinct(values, _clean_names)


def _clean_names(values: pd.Series) -> pd.Series:
    chinese = values.str.contains("[\u4e00-\u9fff]", regex=True)
    return values.where(~chinese, values.str.replace(" ", "", regex=False))


def per_distinct(values: pd.Series, fn) -> pd.Series:
    """`fn` (a column → a column of the same length, value by value) run over the distinct
    values only and spread back: a roster's 100,000 cells hold a few dozen colleges and
    tens of thousands of names."""
    if len(values) < DISTINCT_FROM:
        return fn(values)
    codes, distinct = pd.factorize(values)
    if len(distinct) * 2 > len(values) or (codes < 0).any():
        return fn(values)
    out = fn(pd.Series(distinct, dtype=values.dtype)).take(codes)
    out.index = values.index
    return out


# ---------------------------------------------------------------- reading

def _refusal(file_name: str, message: str) -> ImportRejected:
    return ImportRejected([f"{file_name}：{message}"])


def _column_frame(table: dict, names: list[str], wanted: set[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.Index(table["rows"], dtype="int64")
    texts, kinds = {}, {}
    for n, name in enumerate(names):
        if name in texts:
            continue  # a repeated column nobody reads: the first one counts
        raw = _arrow(table["columns"][n])
        column = _clean_array(raw) if wanted is None or name in wanted else raw
        texts[name] = pd.Series(column, index=index, dtype="str")
        kind = table["kinds"][n]
        if kind is None:  # every cell was text: empty or not
            empty = pc.fill_null(pc.equal(raw, ""), False)
            kinds[name] = pd.Series(pc.if_else(empty, "x", "s"), index=index, dtype="str")
        else:
            letters = np.frombuffer(kind.encode("ascii"), dtype="S1").astype("U1")
            kinds[name] = pd.Series(letters, index=index, dtype="str")
    return pd.DataFrame(texts, index=index), pd.DataFrame(kinds, index=index)


def _duplicate_headers(file_name: str, table: dict, names: list[str], wanted: set[str] | None) -> list[str]:
    errors = []
    seen: dict[str, int] = {}
    for n, name in enumerate(names):
        if name == "":
            continue
        if name in seen and (wanted is None or header_key(name) in wanted):
            first = seen[name]
            errors.append(f"{file_name}：列名重复：{show(name)}（第{table['letters'][first]}列"
                          f"“{show(table['headers'][first])}”和第{table['letters'][n]}列"
                          f"“{show(table['headers'][n])}”），请删除或改名其中一列")
        seen.setdefault(name, n)
    return errors


def _notes(table: dict) -> tuple[str, ...]:
    notes = []
    if table.get("sheet") and (table.get("sheet_index", 0) > 0 or table["header_row"] > 1):
        notes.append(f"数据取自工作表“{show(table['sheet'])}”，表头在第{table['header_row']}行")
    if table.get("hidden_rows"):
        rows = table["hidden_rows"]
        listed = "、".join(str(r) for r in rows[:20]) + ("……" if len(rows) > 20 else "")
        notes.append(f"文件中有 {len(rows)} 个隐藏行（第{listed}行），已照常导入；请确认它们应当导入")
    return tuple(notes)


def read_sheet(data: bytes, file_name: str, required: list[str],
               groups: list[list[str]] | None = None, wanted: list[str] | None = None) -> Sheet:
    """Read CSV/XLSX/XLS bytes in the parser process; refuse the file if it cannot be read,
    its table cannot be found, a header is repeated or a required column is missing.
    `required` are header names the table must have; `groups` (instead) lists the accepted
    names for each needed column; `wanted` are all the headers the caller reads (cleaned,
    checked for repeats)."""
    groups = groups or [[h] for h in required]
    keyed = [sorted({header_key(h) for h in g}) for g in groups]
    wanted_keys = {header_key(h) for h in (wanted or [])} | {k for g in keyed for k in g}
    try:
        table = parse_untrusted(data, file_name, keyed)
    except SandboxRefused as exc:
        raise _refusal(file_name, exc.message) from None
    if not table.get("headers"):
        expected = "、".join(f"“{g[0]}”" for g in groups) or "列名"
        searched = f"已在每个工作表的前 {load_limits().header_search_rows} 行中查找"
        if len(groups) == 1:
            raise _refusal(file_name, f"缺少列{expected}（{searched}）")
        raise _refusal(file_name, f"没有找到表头：应当有一行列名，含有{expected}（{searched}）")
    names = [re.sub(r"\s+", "", clean_text(h)) for h in table["headers"]]
    names = [_INVISIBLE.sub("", n) for n in names]
    errors = _duplicate_headers(file_name, table, names, wanted_keys if groups else None)
    present = {header_key(n) for n in names}
    missing = [g for g in groups if not present & {header_key(h) for h in g}]
    if required and missing:
        errors += [f"{file_name}：缺少列“{g[0]}”" for g in missing]
    errors += _extra_field_errors(file_name, table)
    if errors:
        raise ImportRejected(errors)
    wanted_names = {n for n in names if header_key(n) in wanted_keys} if wanted is not None else None
    rows, kinds = _column_frame(table, names, wanted_names)
    merged = {}
    for key, label in table.get("merged", {}).items():
        row, n = key.split(":")
        merged[(int(row), names[int(n)])] = label
    return Sheet(file_name, hashlib.sha256(data).hexdigest(), rows, kinds,
                 table.get("sheet", ""), table["header_row"], tuple(table.get("hidden_rows", ())),
                 merged, _notes(table))


def _extra_field_errors(file_name: str, table: dict) -> list[str]:
    """A CSV row with more values than the header has columns: an unquoted comma, most often."""
    errors = []
    for row, count, first_extra in table.get("extra_fields", []):
        errors.append(f"{file_name} 第{row}行：有 {count} 个值，比表头的 {table['header_width']} 列多"
                      f"（多出的值“{show(first_extra)}”）；可能某个值中有逗号，请给该值加上引号或删去逗号")
    more = table.get("extra_count", 0) - len(errors)
    if more > 0:
        errors.append(f"{file_name}：另有 {more} 行的值多于表头的列数")
    return errors


# ---------------------------------------------------------------- column-wise checks

Problem = tuple[int, str, str]  # (row, header, message)


def value_problems(sheet: Sheet, header: str, blank_ok: bool = True) -> tuple[list[Problem], pd.Series]:
    """Cells of a column that are not values: Excel errors, formulas without a saved result,
    merged cells, no-value words. Returns the problems and the mask of those cells (so that
    later checks of the column skip them). A blank cell is a problem only if not `blank_ok`."""
    text = sheet.rows[header]
    kind = sheet.kind(header)
    upper = text.str.upper()
    error = (kind == "e") | upper.isin(EXCEL_ERROR_WORDS)
    formula = kind == "f"
    merged = kind == "m"
    no_value = upper.isin(NO_VALUE_WORDS) & ~error
    bad = error | formula | merged | no_value
    problems: list[Problem] = []
    for row in text.index[error]:
        problems.append((row, header, f"“{show(text[row])}”是 Excel 的错误值（公式没有算出结果），"
                                      "不是一个值；请改正后重新导出"))
    for row in text.index[formula]:
        problems.append((row, header, f"是公式“{show(text[row])}”，但文件中没有保存计算结果；"
                                      "请在 Excel 中打开、确认数值后保存，再导入"))
    for row in text.index[merged]:
        label = sheet.merged.get((row, header), "")
        problems.append((row, header, f"属于合并单元格{(' ' + label) if label else ''}；"
                                      "请取消合并，在每一行填写"))
    fill = "请留空" if blank_ok else "请填写实际的值"
    for row in text.index[no_value]:
        problems.append((row, header, f"“{show(text[row])}”不是一个值（没有值时{fill}）"))
    return problems, bad


def blank_problems(sheet: Sheet, header: str, bad: pd.Series) -> list[Problem]:
    text = sheet.rows[header]
    return [(row, header, "不能为空") for row in text.index[(text == "") & ~bad]]


def student_no_problems(sheet: Sheet, header: str, codes: pd.Series, bad: pd.Series,
                        pattern: re.Pattern, lengths: set[int] | None = None) -> list[Problem]:
    """学号 is text or nothing: scientific notation and non-integer numbers are refused with the
    fix; a number shorter than the roster's 学号 (`lengths`) lost its leading zeros."""
    return student_no_check(sheet, header, codes, bad, pattern, lengths)[0]


def student_no_check(sheet: Sheet, header: str, codes: pd.Series, bad: pd.Series,
                     pattern: re.Pattern, lengths: set[int] | None = None) -> tuple[list[Problem], pd.Series]:
    """student_no_problems, and the mask of the cells refused (left out of the duplicate check:
    two mangled numbers are one problem each, not a misleading 重复出现)."""
    problems: list[Problem] = []
    kind = sheet.kind(header)
    raw = sheet.rows[header]
    ok = ~bad & (codes != "")
    scientific = ok & codes.str.fullmatch(SCIENTIFIC.pattern)
    fraction = ok & ~scientific & codes.str.fullmatch(r"\d+\.\d+")
    for row in codes.index[scientific | fraction]:
        problems.append((row, header, f"“{show(raw[row])}”：{SCIENTIFIC_FIX}"))
    ok &= ~(scientific | fraction)
    invalid = ok & ~codes.str.fullmatch(pattern.pattern)
    for row in codes.index[invalid]:
        problems.append((row, header, f"“{show(raw[row])}”不是有效的学号"))
    if lengths:
        short = ok & ~invalid & (kind == "n") & (codes.str.len() < min(lengths))
        width = max(lengths)
        for row in codes.index[short]:
            problems.append((row, header, f"“{codes[row]}”比名单中的学号（{width} 位）短，开头的 0 可能被"
                                          "Excel 去掉了；请把该列设为“文本”后重新导出"))
    refused = pd.Series(False, index=codes.index)
    refused[[row for row, _h, _m in problems]] = True
    return problems, refused


def duplicate_problems(column: str, values: pd.Series) -> list[Problem]:
    """One problem per repeated value, naming every row it appears on."""
    problems: list[Problem] = []
    dup = values[values.duplicated(keep=False) & (values != "")]
    for value, group in dup.groupby(dup, sort=False):
        rows = "、".join(str(r) for r in group.index[:20]) + ("……" if len(group) > 20 else "")
        problems.append((group.index[0], column, f"“{show(value)}”在第{rows}行重复出现"))
    return problems


def messages(sheet: Sheet, problems: list[Problem], order: list[str] | None = None) -> list[str]:
    """Problems as Chinese lines, by row and then by column order."""
    position = {h: i for i, h in enumerate(order or list(sheet.rows.columns))}
    ranked = sorted(problems, key=lambda p: (p[0], position.get(p[1], 99)))
    return [sheet.error(row, header, message) for row, header, message in ranked]


def duplicate_errors(sheet: Sheet, column: str, values: pd.Series) -> list[str]:
    return [sheet.error(r, c, m) for r, c, m in duplicate_problems(column, values)]


def to_fen(text: str) -> Decimal:
    """'12.345' → Decimal('12.35'): amounts are rounded to fen before any rule sees them."""
    from decimal import ROUND_HALF_UP

    return Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


AMOUNT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[+-]?\.\d+")


def parse_amount(text: str, kind: str, marks=("元", "¥", "￥", "RMB", "CNY", " "),
                 limit: Decimal = Decimal("100000000")) -> Decimal:
    """An amount cell → Decimal in fen. Thousands separators only as 1,200.50; '1.200,00' and
    '1,2' are refused, and so is scientific notation typed as text (Excel hid digits)."""
    value = text
    for mark in marks:
        value = value.replace(mark, "").replace(mark.lower(), "")
    value = value.strip()
    if kind == "n" and SCIENTIFIC.fullmatch(value):
        pass  # an exact number from a numeric cell (e.g. 5.55e-17 from 0.1+0.2-0.3)
    elif not AMOUNT.fullmatch(value):
        raise ValueError(f"“{show(text)}”不是有效的金额")
    try:
        amount = to_fen(value.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"“{show(text)}”不是有效的金额") from None
    if not amount.is_finite() or abs(amount) > limit:
        raise ValueError(f"“{show(text)}”超出了金额的合理范围")
    return amount


def invisible_problems(sheet: Sheet, header: str, values: pd.Series, bad: pd.Series) -> list[Problem]:
    """Text with invisible or control characters (a name with U+200B does not match a search)."""
    hit = ~bad & values.str.contains(_INVISIBLE.pattern, regex=True)
    return [(row, header, f"“{show(values[row])}”含有看不见的字符，请删去后重新导出")
            for row in values.index[hit]]


def normalise_unicode(text: str) -> str:
    return unicodedata.normalize("NFKC", text)
