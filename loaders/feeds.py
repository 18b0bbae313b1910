"""The campus systems' exports (finance, loans, party, library, hospital, thesis centre, card
centre): CSV/XLSX → typed rows → `clearance.feeds.run_feed`.

All or nothing: any bad row refuses the whole file with an error per row and column, as the
roster import does. Headers, yes/no words and amount formats come from config/feeds.toml.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from clearance.store.feeds import (FIELD_TYPES, ONE_OF, Feed, FeedConfig, FeedPlan, FeedResult,
                             load_feeds, preview_feed, record_refusal, run_feed)
from clearance.store.db import Store
from loaders.sheets import ImportRejected, Sheet, clean_code, duplicate_errors, read_sheet

STUDENT_NO = re.compile(r"[0-9A-Za-z]{4,20}")


@dataclass(frozen=True)
class FeedFile:
    feed: Feed
    file_name: str
    content_hash: str
    rows: list[dict]  # student_no and the feed's typed fields; "_row" = spreadsheet row


def _header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").upper()


def _find_columns(sheet: Sheet, feed: Feed) -> tuple[dict[str, str], list[str]]:
    """field → the header used in this file, and the missing-column errors."""
    present = {_header_key(c): c for c in sheet.rows.columns}
    found, errors = {}, []
    for name, headers in feed.columns.items():
        match = next((present[_header_key(h)] for h in headers if _header_key(h) in present), None)
        if match is not None:
            found[name] = match
    either = ONE_OF.get(feed.kind, ())
    for name, headers in feed.columns.items():
        if name in found or (name in either and any(f in found for f in either)):
            continue
        if name in either:
            options = "或".join(f"“{feed.columns[f][0]}”" for f in either if f in feed.columns)
            message = f"{sheet.file_name}：缺少列{options}"
        else:
            also = f"（也可用：{'、'.join(headers[1:])}）" if len(headers) > 1 else ""
            message = f"{sheet.file_name}：缺少列“{headers[0]}”{also}"
        if message not in errors:
            errors.append(message)
    return found, errors


def _strip(text: str, marks) -> str:
    for m in marks:
        text = text.replace(m, "")
    return text


def _excel_integer(text: str) -> str:
    """1.0 (an Excel number) → 1."""
    return text.split(".")[0] if re.fullmatch(r"-?\d+\.0+", text) else text


def parse_value(kind: str, text: str, config: FeedConfig):
    """A cell's typed value; raises ValueError with the Chinese reason."""
    s = config.settings
    if kind == "code":
        code = clean_code(text)
        if not code:
            raise ValueError("不能为空")
        if not STUDENT_NO.fullmatch(code):
            raise ValueError(f"“{text}”不是有效的学号")
        return code
    if kind == "text":
        return text
    if kind == "amount":
        if text == "":
            if s.blank_amount_is_zero:
                return Decimal(0)
            raise ValueError("不能为空")
        try:
            amount = Decimal(_strip(text.upper(), [m.upper() for m in s.amount_marks]))
        except InvalidOperation:
            raise ValueError(f"“{text}”不是有效的金额") from None
        if not amount.is_finite():
            raise ValueError(f"“{text}”不是有效的金额")
        return max(amount, Decimal(0))  # a credit (negative balance) owes nothing
    if kind == "count":
        if text == "":
            if s.blank_amount_is_zero:
                return 0
            raise ValueError("不能为空")
        number = _excel_integer(_strip(text, s.count_marks))
        if number.isdigit():
            return int(number)
        if text.upper() in s.truthy:
            return 1
        if text.upper() in s.falsy:
            return 0
        raise ValueError(f"“{text}”不是有效的数量")
    if kind == "flag":
        word = _excel_integer(text).upper()
        if word == "":
            return s.blank_flag
        if word in s.truthy:
            return True
        if word in s.falsy:
            return False
        raise ValueError(f"“{text}”无法识别，应为 是/否")
    raise AssertionError(kind)


def parse_feed(data: bytes, file_name: str, feed: Feed, config: FeedConfig) -> FeedFile:
    """Read and validate a feed file; raises ImportRejected listing every problem."""
    sheet = read_sheet(data, file_name, [])
    columns, errors = _find_columns(sheet, feed)
    if errors:
        raise ImportRejected(errors)
    rows = []
    for row_no, record in sheet.rows.iterrows():
        row = {"_row": int(row_no)}
        for name, header in columns.items():
            try:
                row[name] = parse_value(FIELD_TYPES[name], record[header], config)
            except ValueError as exc:
                errors.append(sheet.error(row_no, header, str(exc)))
        rows.append(row)
    nos = pd.Series([r.get("student_no", "") for r in rows], index=sheet.rows.index, dtype=str)
    errors += duplicate_errors(sheet, columns["student_no"], nos)
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([f"{file_name}：文件中没有数据"])
    return FeedFile(feed, file_name, sheet.content_hash, rows)


def _unknown_student_errors(store: Store, parsed: FeedFile, config: FeedConfig) -> list[str]:
    if config.settings.unknown_students != "reject":
        return []
    known = {r[0] for r in store.read_rows(
        "SELECT student_no FROM students WHERE student_no IN (SELECT unnest($nos))",
        {"nos": [r["student_no"] for r in parsed.rows]})}
    header = parsed.feed.columns["student_no"][0]
    return [f"{parsed.file_name} 第{r['_row']}行“{header}”列：学号 {r['student_no']} 不在离校名单中"
            for r in parsed.rows if r["student_no"] not in known]


def read_feed(store: Store, kind: str, data: bytes, file_name: str) -> FeedFile:
    """Parse and validate against the configuration and the roster; nothing is written."""
    config = load_feeds()
    if kind not in config.feeds:
        raise ImportRejected([f"未知的对接数据类型“{kind}”（可用：{'、'.join(config.feeds)}）"])
    parsed = parse_feed(data, file_name, config.feed(kind), config)
    errors = _unknown_student_errors(store, parsed, config)
    if errors:
        raise ImportRejected(errors)
    return parsed


def preview(store: Store, kind: str, data: bytes, file_name: str) -> tuple[FeedFile, FeedPlan]:
    """What importing this file now would change. Raises ImportRejected; writes nothing."""
    parsed = read_feed(store, kind, data, file_name)
    return parsed, preview_feed(store, parsed.feed, parsed.rows, file_name)


def import_feed(store: Store, kind: str, data: bytes, file_name: str, sent_by: str,
                channel: str, record_refused: bool = False) -> FeedResult:
    """Validate and apply a feed file in one transaction. Raises ImportRejected (changing no
    status) on any error; with `record_refused` the refusal is kept for the import history."""
    try:
        parsed = read_feed(store, kind, data, file_name)
    except ImportRejected as exc:
        if record_refused:
            record_refusal(store, kind, file_name, hashlib.sha256(data).hexdigest(), channel,
                           sent_by, exc.errors)
        raise
    return run_feed(store, parsed.feed, parsed.rows, file_name, parsed.content_hash, sent_by, channel)


EXAMPLES = {
    "student_no": "20181301001", "arrears": "0", "has_loan": "否", "agreement_signed": "否",
    "political_status": "共青团员", "is_member": "否", "books_out": "0", "fine": "0",
    "equipment_out": "0", "thesis_submitted": "是", "printing_fee": "0",
    "ethesis_received": "是", "balance_settled": "是",
}


def template_xlsx(kind: str) -> bytes:
    """An empty export for one feed: its headers and one example row, 学号 formatted as text."""
    feed = load_feeds().feed(kind)
    fields = [f for f in feed.columns if not (f == "is_member" and "political_status" in feed.columns)]
    example = {feed.columns[f][0]: EXAMPLES[f] for f in fields}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame([example]).to_excel(writer, index=False, sheet_name=feed.title[:31])
        sheet = writer.sheets[feed.title[:31]]
        for cell in sheet["A"]:
            cell.number_format = "@"
        for n in range(len(example)):
            sheet.column_dimensions[chr(ord("A") + n)].width = 18
    return buf.getvalue()
