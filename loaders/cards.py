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
from decimal import Decimal

import pandas as pd

from clearance.clock import beijing_now
from clearance.store.cards import CardError, UidFormat, load_card_config, upsert_bindings
from clearance.store.db import Store
from loaders.sheets import (ImportRejected, Problem, Sheet, blank_problems, clean_code, clean_codes,
                            duplicate_problems, messages, parse_amount, read_sheet, show,
                            student_no_problems, value_problems)

STUDENT_NO = re.compile(r"[0-9A-Za-z]{4,20}")

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
    notes: tuple[str, ...] = ()


def _rename_aliases(sheet: Sheet) -> Sheet:
    renames = {a: c for a, c in ALIASES.items() if c not in sheet.rows and a in sheet.rows}
    rows = sheet.rows.rename(columns=renames)
    kinds = sheet.kinds.rename(columns=renames) if sheet.kinds is not None else None
    for header in OPTIONAL:
        if header not in rows.columns:
            rows[header] = ""
            if kinds is not None:
                kinds[header] = "x"
    return sheet.with_rows(rows, kinds)


# A campus card holds a few hundred 元; anything near the store's DECIMAL(12, 2) is an error.
MAX_BALANCE = Decimal("1000000")


def _balance(text: str, kind: str = "s") -> Decimal | None:
    if text == "":
        return None
    return parse_amount(text, kind, limit=MAX_BALANCE)


def validate(sheet: Sheet, known_students: set[str], fmt: UidFormat,
             lengths: set[int] = frozenset()) -> tuple[pd.DataFrame, list[str]]:
    """The export as binding rows, and every problem found (empty when the file is good)."""
    problems: list[Problem] = []
    bad = {}
    for header in COLUMNS:
        found, bad[header] = value_problems(sheet, header, blank_ok=header in OPTIONAL)
        problems += found
    student_nos = clean_codes(sheet.rows["学号"])
    problems += blank_problems(sheet, "学号", bad["学号"])
    problems += student_no_problems(sheet, "学号", student_nos, bad["学号"] | (student_nos == ""),
                                    STUDENT_NO, lengths)
    unknown = ~bad["学号"] & (student_nos != "") & student_nos.str.fullmatch(STUDENT_NO.pattern) \
        & ~student_nos.isin(known_students)
    problems += [(row, "学号", f"“{show(student_nos[row])}”不在离校学生名单中")
                 for row in student_nos.index[unknown]]
    problems += blank_problems(sheet, "卡UID", bad["卡UID"])
    kinds = sheet.kind("余额")
    records = []
    for row, rec in sheet.rows.iterrows():
        export_uid = clean_code(rec["卡UID"])
        card_no = clean_code(rec["卡号"])
        uid = balance = None
        if export_uid and not bad["卡UID"][row]:
            try:
                uid = fmt.to_reader_uid(export_uid)
            except CardError as exc:
                problems.append((row, "卡UID", f"{exc}（按 config/cards.toml 的 [export]"
                                               f" uid_format = {fmt.uid_format} 解析）"))
        if not bad["余额"][row]:
            try:
                balance = _balance(rec["余额"], kinds[row])
            except ValueError as exc:
                problems.append((row, "余额", str(exc)))
        if card_no and not bad["卡号"][row] and not re.fullmatch(r"[0-9A-Za-z\-]{1,32}", card_no):
            problems.append((row, "卡号", f"“{show(card_no)}”不是有效的卡号"))
        records.append({"row": row, "student_no": student_nos[row], "card_no": card_no,
                        "export_uid": export_uid, "uid": uid or "", "balance": balance})
    df = pd.DataFrame(records, columns=["row", "student_no", "card_no", "export_uid", "uid",
                                        "balance"]).set_index("row")
    problems += duplicate_problems("卡UID", df["uid"])
    return df, messages(sheet, problems, list(COLUMNS))


def import_cards(store: Store, data: bytes, file_name: str, actor_name: str,
                 fmt: UidFormat | None = None) -> CardsResult:
    """Validate and import a card export; raises ImportRejected (changing nothing) on any error."""
    fmt = fmt or load_card_config().export
    uid_headers = ["卡UID", *[a for a, c in ALIASES.items() if c == "卡UID"]]
    wanted = list(COLUMNS) + list(ALIASES)
    sheet = _rename_aliases(read_sheet(data, file_name, [], groups=[["学号"], uid_headers], wanted=wanted))
    missing = [h for h in COLUMNS if h not in OPTIONAL and h not in sheet.rows.columns]
    if missing:
        raise ImportRejected([f"{file_name}：缺少列“{h}”" for h in missing])
    known = {r[0] for r in store.read_rows("SELECT student_no FROM students")}
    df, errors = validate(sheet, known, fmt, {len(n) for n in known})
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
    return CardsResult(run_id, len(df), inserted, updated, sheet.notes)


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
