"""The card centre's export (一卡通导出): 学号, 卡号, 卡UID, 余额 → card bindings.

All or nothing, like the roster: any bad row refuses the whole file with an error per row and
column. The UID is converted from the export's own format (config/cards.toml, [export]) to the
reader's byte order in hex, which is what the scan page and desk agents look up. Importing the
same cards again updates them.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from clearance.store.cards import CardError, UidFormat, load_card_config, upsert_bindings
from clearance.clock import beijing_now
from clearance.store.db import Store
from loaders.sheets import ImportRejected, Sheet, clean_code, duplicate_errors, read_sheet

COLUMNS = {"学号": "student_no", "卡号": "card_no", "卡UID": "export_uid", "余额": "balance"}
ALIASES = {"UID": "卡UID", "物理卡号": "卡UID", "卡片UID": "卡UID", "校园卡号": "卡号",
           "卡面号": "卡号", "卡余额": "余额", "余额(元)": "余额", "余额（元）": "余额"}
OPTIONAL = {"卡号", "余额"}


@dataclass(frozen=True)
class CardsResult:
    run_id: str
    rows: int
    inserted: int
    updated: int


def _rename_aliases(sheet: Sheet) -> Sheet:
    rows = sheet.rows.rename(columns={a: c for a, c in ALIASES.items() if c not in sheet.rows})
    for header in OPTIONAL:
        if header not in rows.columns:
            rows[header] = ""
    return Sheet(sheet.file_name, sheet.content_hash, rows)


def _balance(text: str) -> Decimal | None:
    value = text.replace(",", "").replace("元", "").replace("¥", "").strip()
    if value == "":
        return None
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(text)


def validate(sheet: Sheet, known_students: set[str], fmt: UidFormat) -> tuple[pd.DataFrame, list[str]]:
    """The export as binding rows, and every problem found (empty when the file is good)."""
    errors: list[str] = []
    records = []
    for row, rec in sheet.rows.iterrows():
        student_no = clean_code(rec["学号"])
        export_uid = clean_code(rec["卡UID"])
        card_no = clean_code(rec["卡号"])
        uid = balance = None
        if not student_no:
            errors.append(sheet.error(row, "学号", "不能为空"))
        elif student_no not in known_students:
            errors.append(sheet.error(row, "学号", f"“{student_no}”不在离校学生名单中"))
        if not export_uid:
            errors.append(sheet.error(row, "卡UID", "不能为空"))
        else:
            try:
                uid = fmt.to_reader_uid(export_uid)
            except CardError as exc:
                errors.append(sheet.error(row, "卡UID", f"{exc}（按 config/cards.toml 的 [export]"
                                                       f" uid_format = {fmt.uid_format} 解析）"))
        try:
            balance = _balance(rec["余额"])
        except ValueError:
            errors.append(sheet.error(row, "余额", f"“{rec['余额']}”不是金额"))
        if card_no and not re.fullmatch(r"[0-9A-Za-z\-]{1,32}", card_no):
            errors.append(sheet.error(row, "卡号", f"“{card_no}”不是有效的卡号"))
        records.append({"row": row, "student_no": student_no, "card_no": card_no,
                        "export_uid": export_uid, "uid": uid or "", "balance": balance})
    df = pd.DataFrame(records, columns=["row", "student_no", "card_no", "export_uid", "uid",
                                        "balance"]).set_index("row")
    errors += duplicate_errors(sheet, "卡UID", df["uid"])
    return df, errors


def import_cards(store: Store, data: bytes, file_name: str, actor_name: str,
                 fmt: UidFormat | None = None) -> CardsResult:
    """Validate and import a card export; raises ImportRejected (changing nothing) on any error."""
    fmt = fmt or load_card_config().export
    sheet = _rename_aliases(read_sheet(data, file_name, []))
    missing = [h for h in COLUMNS if h not in OPTIONAL and h not in sheet.rows.columns]
    if missing:
        raise ImportRejected([f"{file_name}：缺少列“{h}”" for h in missing])
    known = {r[0] for r in store.read_rows("SELECT student_no FROM students")}
    df, errors = validate(sheet, known, fmt)
    if errors:
        raise ImportRejected(errors)
    if df.empty:
        raise ImportRejected([f"{file_name}：文件中没有校园卡"])
    now = beijing_now()
    run_id = uuid.uuid4().hex[:12]
    df["balance"] = df["balance"].map(lambda b: None if b is None else float(b))
    with store.transaction() as cur:
        inserted, updated = upsert_bindings(cur, df, actor_name, run_id, now)
        cur.execute(
            "INSERT INTO import_runs (run_id, kind, batch_id, file_name, content_hash, row_count,"
            " actor, imported_at, inserted, updated)"
            " VALUES ($id, 'cards', NULL, $file, $hash, $rows, $actor, $at, $ins, $upd)",
            {"id": run_id, "file": file_name, "hash": sheet.content_hash, "rows": len(df),
             "actor": actor_name, "at": now, "ins": inserted, "upd": updated},
        )
    return CardsResult(run_id, len(df), inserted, updated)


def template_xlsx() -> bytes:
    example = {"学号": "20181301001", "卡号": "100234", "卡UID": "8FB27F2C", "余额": "12.50"}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame([example], columns=list(COLUMNS)).to_excel(writer, index=False, sheet_name="校园卡")
        sheet = writer.sheets["校园卡"]
        for col in "ABC":
            for cell in sheet[col]:
                cell.number_format = "@"
            sheet.column_dimensions[col].width = 16
    return buf.getvalue()


def demo_uid(student_no: str) -> str:
    """The demo store's card UID for a student: 4 bytes derived from the 学号 (deterministic)."""
    import hashlib

    return hashlib.sha256(f"card:{student_no}".encode()).hexdigest()[:8].upper()


def create_demo_cards(store: Store) -> int:
    """Every demo student gets a card (UID from `demo_uid`, card number from the 学号, a small
    balance), written like an import so the scan page finds tapped students on first run."""
    students = [r[0] for r in store.read_rows("SELECT student_no FROM students ORDER BY 1")]
    df = pd.DataFrame({
        "student_no": students,
        "card_no": [f"1{no[-6:]}" for no in students],
        "export_uid": [demo_uid(no) for no in students],
        "uid": [demo_uid(no) for no in students],
        "balance": [round((int(demo_uid(no), 16) % 5000) / 100, 2) for no in students],
    })
    with store.transaction() as cur:
        inserted, _updated = upsert_bindings(cur, df, "demo", "demo", beijing_now())
    return inserted
