"""Reading the tables other campus systems export (CSV or XLSX) into text columns,
and normalising what real exports contain. Every loader starts here."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from clearance.rules.text import half_width

HEADER_ROW = 1  # spreadsheet row number of the header; data starts on the next row


class ImportRejected(Exception):
    """The file was refused whole; `errors` name file, row and column in Chinese."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Sheet:
    file_name: str
    content_hash: str
    rows: pd.DataFrame  # every cell a normalised str ('' when empty); index = spreadsheet row number

    def error(self, row: int, column: str, message: str) -> str:
        return f"{self.file_name} 第{row}行“{column}”列：{message}"


def clean_text(value) -> str:
    """Full-width → half-width (NFKC), no stray spaces, no Excel float tails."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = half_width(str(value)).strip()
    text = re.sub(r"\s+", " ", text)
    return "" if text.lower() in ("nan", "none", "nat") else text


def clean_code(value) -> str:
    """A number-like code (学号, phone, UID): no spaces; 20181301001.0 and 2.0181301001E10
    (a code stored as a number in Excel) become 20181301001."""
    text = clean_text(value).replace(" ", "")
    if re.fullmatch(r"\d+\.0+", text) or re.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+", text):
        try:
            text = str(int(Decimal(text)))
        except InvalidOperation:
            pass
    return text


def clean_name(value) -> str:
    """Chinese names lose inner spaces (张 三 → 张三); other names keep single spaces."""
    text = clean_text(value)
    return text.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", text) else text


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected(["无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV"])


def read_sheet(data: bytes, file_name: str, required: list[str]) -> Sheet:
    """Read CSV/XLSX bytes; refuse the file if it cannot be read or a required column is missing."""
    suffix = Path(file_name).suffix.lower()
    try:
        if suffix == ".csv":
            raw = pd.read_csv(io.StringIO(_decode_csv(data)), dtype=str, keep_default_na=False)
        elif suffix in (".xlsx", ".xls", ".xlsm"):
            raw = pd.read_excel(io.BytesIO(data), dtype=object, engine="calamine")
        else:
            raise ImportRejected([f"{file_name}：只支持 .csv 和 .xlsx 文件"])
    except ImportRejected:
        raise
    except Exception as exc:  # a broken workbook: say so plainly, never a stack trace
        raise ImportRejected([f"{file_name}：无法读取文件（{type(exc).__name__}）"]) from exc
    raw.columns = [clean_text(c).replace(" ", "") for c in raw.columns]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise ImportRejected([f"{file_name}：缺少列“{c}”" for c in missing])
    rows = raw.map(clean_text)
    rows = rows[(rows != "").any(axis=1)]  # blank lines at the end of an export
    rows.index = rows.index + HEADER_ROW + 1
    return Sheet(file_name, hashlib.sha256(data).hexdigest(), rows)


def duplicate_errors(sheet: Sheet, column: str, values: pd.Series) -> list[str]:
    """One error per repeated value, naming every row it appears on."""
    errors = []
    dup = values[values.duplicated(keep=False) & (values != "")]
    for value, group in dup.groupby(dup, sort=False):
        rows = "、".join(str(r) for r in group.index)
        first = group.index[0]
        errors.append(sheet.error(first, column, f"“{value}”在第{rows}行重复出现"))
    return errors
