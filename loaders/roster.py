"""The student roster (离校学生名单): CSV/XLSX → validated → students of a batch.

All or nothing: any bad row refuses the whole file with an error per row and column.
Importing the same students again updates them; it never duplicates.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass

import pandas as pd

from clearance.clock import beijing_now
from clearance.rules.catalogue import CLEARANCE_TYPES, LEVELS
from clearance.rules.colleges import Colleges
from clearance.rules.marking import STATE_LABELS, MarkError
from clearance.store.batches import BatchError, require_open
from clearance.store.db import Store, get_catalogue, get_colleges
from clearance.store.roster_changes import StudentChanges, import_students
from loaders.sheets import ImportRejected, Sheet, clean_code, clean_name, duplicate_errors, read_sheet

# header → column in the store
COLUMNS = {
    "学号": "student_no", "姓名": "name", "学院": "college", "培养层次": "level",
    "离校类型": "clearance_type", "校区": "campus", "导师": "advisor", "手机": "phone",
    "政治面貌": "political_status",
}
OPTIONAL = {"手机"}
LEVEL_ALIASES = {"博士研究生": "博士", "博": "博士", "硕士研究生": "硕士", "硕": "硕士"}
TYPE_ALIASES = {"结业": "结业", "肄业": "肄业", "退学": "退学", "毕业": "毕业"}
CAMPUS_ALIASES = {"A": "A区", "B": "B区", "C": "C区", "A校区": "A区", "B校区": "B区",
                  "C校区": "C区", "虎溪校区": "虎溪"}


@dataclass(frozen=True)
class RosterResult:
    run_id: str
    file_name: str
    rows: int
    inserted: int
    updated: int
    # Known students whose fields changed: each field (old → new) and the stages re-derived.
    changes: tuple[StudentChanges, ...] = ()


def _normalise(sheet: Sheet) -> pd.DataFrame:
    df = sheet.rows[list(COLUMNS)].rename(columns=COLUMNS).copy()
    for col in ("student_no", "phone"):
        df[col] = sheet.rows[[k for k, v in COLUMNS.items() if v == col][0]].map(clean_code)
    for col in ("name", "advisor"):
        df[col] = df[col].map(clean_name)
    df["level"] = df["level"].map(lambda v: LEVEL_ALIASES.get(v, v))
    df["clearance_type"] = df["clearance_type"].map(lambda v: TYPE_ALIASES.get(v, v))
    df["campus"] = df["campus"].map(lambda v: CAMPUS_ALIASES.get(v, v))
    df["college"] = df["college"].str.replace(" ", "")
    return df


def college_column(sheet: Sheet, column: pd.Series, colleges: Colleges) -> tuple[pd.Series, list[str]]:
    """学院 as the known colleges' names (an alias becomes the name), and an error naming the
    row and the nearest known college for each unknown one. `column` is indexed by row number."""
    canonical = column.map(lambda v: colleges.canonical(v) if v else v)
    unknown = column[canonical.isna()]
    errors = [sheet.error(row, "学院", colleges.unknown_message(value)) for row, value in unknown.items()]
    return canonical.fillna(column), errors


def validate(sheet: Sheet, campuses: tuple[str, ...],
             colleges: Colleges) -> tuple[pd.DataFrame, list[str]]:
    """The roster as store rows, and every problem found (empty when the file is good)."""
    df = _normalise(sheet)
    df["college"], errors = college_column(sheet, df["college"], colleges)
    allowed = {"level": LEVELS, "clearance_type": CLEARANCE_TYPES, "campus": campuses}
    for row, rec in df.iterrows():
        for header, col in COLUMNS.items():
            value = rec[col]
            if value == "":
                if header not in OPTIONAL:
                    errors.append(sheet.error(row, header, "不能为空"))
            elif col in allowed and value not in allowed[col]:
                errors.append(sheet.error(row, header, f"“{value}”无效，应为{'/'.join(allowed[col])}"))
        if rec["student_no"] and not re.fullmatch(r"[0-9A-Za-z]{4,20}", rec["student_no"]):
            errors.append(sheet.error(row, "学号", f"“{rec['student_no']}”不是有效的学号"))
        if rec["phone"] and not re.fullmatch(r"1\d{10}|0\d{2,3}-?\d{7,8}", rec["phone"]):
            errors.append(sheet.error(row, "手机", f"“{rec['phone']}”不是有效的电话号码"))
    errors += duplicate_errors(sheet, "学号", df["student_no"])
    return df, errors


def import_roster(store: Store, data: bytes, file_name: str, batch_id: str,
                  actor_name: str) -> RosterResult:
    """Validate and import a roster file; raises ImportRejected (changing nothing) on any error."""
    sheet = read_sheet(data, file_name, [h for h in COLUMNS if h not in OPTIONAL])
    if "手机" not in sheet.rows.columns:
        sheet.rows["手机"] = ""
    if store.read_value("SELECT count(*) FROM batches WHERE batch_id = $b", {"b": batch_id}) == 0:
        raise ImportRejected([f"离校批次“{batch_id}”不存在，请先在“批次与备份”页面新建"])
    catalogue = get_catalogue(store)
    df, errors = validate(sheet, catalogue.campuses, get_colleges(store))
    if errors:
        raise ImportRejected(errors)
    if df.empty:
        raise ImportRejected([f"{file_name}：文件中没有学生"])
    now = beijing_now()
    run_id = uuid.uuid4().hex[:12]
    try:
        with store.transaction() as cur:
            try:
                require_open(cur, batch_id)  # under the lock: a batch closed a moment ago counts
            except BatchError as exc:
                raise ImportRejected(exc.errors) from exc
            done = import_students(cur, catalogue, df, batch_id, actor_name, run_id, now)
            _record_run(cur, run_id, batch_id, file_name, sheet.content_hash, len(df), actor_name,
                        now, done.inserted, done.updated)
    except MarkError as exc:  # a re-derived stage broke a marking rule: nothing was written
        raise ImportRejected([f"{file_name}：{e}" for e in exc.errors]) from exc
    return RosterResult(run_id, file_name, len(df), done.inserted, done.updated, done.changes)


def _record_run(cur, run_id, batch_id, file_name, content_hash, rows, actor_name, now,
                inserted, updated) -> None:
    cur.execute(
        "INSERT INTO import_runs (run_id, kind, batch_id, file_name, content_hash, row_count,"
        " actor, imported_at, inserted, updated)"
        " VALUES ($id, 'roster', $batch, $file, $hash, $rows, $actor, $at, $ins, $upd)",
        {"id": run_id, "batch": batch_id, "file": file_name, "hash": content_hash,
         "rows": rows, "actor": actor_name, "at": now, "ins": inserted, "upd": updated},
    )


def change_rows(result: RosterResult) -> list[dict]:
    """The re-import's changes as table rows (Chinese headers), for the 名单导入 page and the
    command line: one row per re-derived stage or checklist item, or one per student whose
    fields changed with nothing else to change."""
    rows = []
    # Students whose stages changed first: those are the ones someone must act on.
    for student in sorted(result.changes, key=lambda c: not (c.stages or c.items)):
        head = {"学号": student.student_no, "姓名": student.name,
                "变更": "；".join(f"{f.label}：{f.old} → {f.new}" for f in student.fields)}
        for st in student.stages:
            rows.append(head | {"环节": st.stage_name, "原状态": STATE_LABELS[st.state_before],
                                "新状态": STATE_LABELS[st.state_after], "说明": st.why})
        for stage_name, item in student.items:
            rows.append(head | {"环节": stage_name, "原状态": "", "新状态": "",
                                "说明": f"核对事项“{item.item}”{'现须办理' if item.needed else '无需办理'}"})
        if not student.stages and not student.items:
            rows.append(head | {"环节": "", "原状态": "", "新状态": "", "说明": "办理状态不受影响"})
    return rows


def template_xlsx() -> bytes:
    """An empty roster workbook with the headers and one example row, for download."""
    example = {"学号": "20181301001", "姓名": "张三", "学院": "计算机学院", "培养层次": "硕士",
               "离校类型": "毕业", "校区": "虎溪", "导师": "李四", "手机": "13800000000",
               "政治面貌": "共青团员"}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame([example], columns=list(COLUMNS)).to_excel(writer, index=False, sheet_name="名单")
        sheet = writer.sheets["名单"]
        for cell in sheet["A"]:
            cell.number_format = "@"  # 学号 as text, so Excel keeps leading zeros
        for col in "ABCDEFGHI":
            sheet.column_dimensions[col].width = 14
    return buf.getvalue()
