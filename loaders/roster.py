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
from clearance.store.students import name_initials
from loaders.sheets import (ImportRejected, Problem, Sheet, blank_problems, clean_codes, clean_names,
                            duplicate_problems, invisible_problems, messages, per_distinct,
                            read_sheet, show, student_no_check, value_problems)

# header → column in the store
COLUMNS = {
    "学号": "student_no", "姓名": "name", "学院": "college", "培养层次": "level",
    "离校类型": "clearance_type", "校区": "campus", "导师": "advisor", "手机": "phone",
    "政治面貌": "political_status",
}
OPTIONAL = {"手机"}
LEVEL_ALIASES = {"博士研究生": "博士", "博": "博士", "硕士研究生": "硕士", "硕": "硕士"}
TYPE_ALIASES = {"结业": "结业", "肄业": "肄业", "退学": "退学", "毕业": "毕业"}
STUDENT_NO = re.compile(r"[0-9A-Za-z]{4,20}")
PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")
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
    notes: tuple[str, ...] = ()  # what the secretary should know (hidden rows, the sheet used)


def college_column(sheet: Sheet, column: pd.Series, colleges: Colleges) -> tuple[pd.Series, list[str]]:
    """学院 as the known colleges' names (an alias becomes the name), and an error naming the
    row and the nearest known college for each unknown one. `column` is indexed by row number."""
    canonical, problems = _colleges(column, colleges, pd.Series(False, index=column.index))
    return canonical, [sheet.error(r, h, m) for r, h, m in problems]


def _colleges(column: pd.Series, colleges: Colleges, bad: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Each distinct value looked up once (a 100,000-row roster has a few dozen colleges)."""
    table = {v: (colleges.canonical(v) if v else v) for v in column[~bad].unique()}
    canonical = column.map(table)
    unknown = column[canonical.isna() & ~bad]
    problems = [(row, "学院", colleges.unknown_message(value)) for row, value in unknown.items()]
    return canonical.fillna(column).astype("str"), problems


def _aliased(values: pd.Series, aliases: dict[str, str]) -> pd.Series:
    return per_distinct(values, lambda v: v.map(aliases).fillna(v).astype(values.dtype))


def _normalise(sheet: Sheet) -> pd.DataFrame:
    """The file's columns as store columns, cleaned (whole columns at once)."""
    rows = sheet.rows
    df = pd.DataFrame(index=rows.index)
    df["student_no"] = clean_codes(rows["学号"])
    df["name"] = clean_names(rows["姓名"])
    df["college"] = rows["学院"].str.replace(" ", "", regex=False)
    df["level"] = _aliased(rows["培养层次"], LEVEL_ALIASES)
    df["clearance_type"] = _aliased(rows["离校类型"], TYPE_ALIASES)
    df["campus"] = _aliased(rows["校区"], CAMPUS_ALIASES)
    df["advisor"] = clean_names(rows["导师"])
    df["phone"] = clean_codes(rows["手机"])
    df["political_status"] = rows["政治面貌"]
    return df


# Each check looks at whole columns and returns (row, header, message) problems; `bad` holds,
# per header, the cells already refused as not a value (so no second message for them).

def required_problems(sheet: Sheet, df: pd.DataFrame, bad: dict) -> list[Problem]:
    return [p for header in COLUMNS if header not in OPTIONAL
            for p in blank_problems(sheet, header, bad[header])]


def choice_problems(sheet: Sheet, df: pd.DataFrame, bad: dict, campuses) -> list[Problem]:
    allowed = {"培养层次": ("level", LEVELS), "离校类型": ("clearance_type", CLEARANCE_TYPES),
               "校区": ("campus", tuple(campuses))}
    problems = []
    for header, (col, choices) in allowed.items():
        values = df[col]
        wrong = ~bad[header] & (values != "") & ~values.isin(choices)
        problems += [(row, header, f"“{show(sheet.rows[header][row])}”无效，应为{'/'.join(choices)}")
                     for row in values.index[wrong]]
    return problems


def phone_problems(sheet: Sheet, df: pd.DataFrame, bad: dict) -> list[Problem]:
    phone = df["phone"]
    wrong = ~bad["手机"] & (phone != "") & ~phone.str.fullmatch(PHONE.pattern)
    return [(row, "手机", f"“{show(sheet.rows['手机'][row])}”不是有效的电话号码")
            for row in phone.index[wrong]]


def text_problems(sheet: Sheet, df: pd.DataFrame, bad: dict) -> list[Problem]:
    problems = []
    for header in ("学号", "姓名", "学院", "导师", "政治面貌"):
        problems += invisible_problems(sheet, header, sheet.rows[header], bad[header])
    return problems


def expected_lengths(sheet: Sheet, codes: pd.Series, known: set[int]) -> set[int]:
    """The length a 学号 should have: the roster already in the store, the 学号 written as
    text in this file, or (all numbers) the usual length in this file."""
    text_cells = codes[(sheet.kind("学号") == "s") & codes.str.fullmatch(STUDENT_NO.pattern)]
    lengths = set(known) | set(text_cells.str.len().unique().tolist())
    if not lengths and len(codes):
        lengths = {int(codes.str.len().mode().iloc[0])}
    return lengths


def validate(sheet: Sheet, campuses: tuple[str, ...], colleges: Colleges,
             known_lengths: set[int] = frozenset()) -> tuple[pd.DataFrame, list[str]]:
    """The roster as store rows, and every problem found (empty when the file is good)."""
    problems: list[Problem] = []
    bad = {}
    for header in COLUMNS:
        found, bad[header] = value_problems(sheet, header, blank_ok=header in OPTIONAL)
        problems += found
    df = _normalise(sheet)
    df["college"], found = _colleges(df["college"], colleges, bad["学院"] | (df["college"] == ""))
    problems += found
    problems += required_problems(sheet, df, bad)
    problems += choice_problems(sheet, df, bad, campuses)
    found, refused = student_no_check(sheet, "学号", df["student_no"], bad["学号"] | sheet.rows["学号"].eq(""),
                                      STUDENT_NO, expected_lengths(sheet, df["student_no"], known_lengths))
    problems += found
    problems += phone_problems(sheet, df, bad)
    problems += text_problems(sheet, df, bad)
    problems += duplicate_problems("学号", df["student_no"].where(~(bad["学号"] | refused), ""))
    return df, messages(sheet, problems, list(COLUMNS))


def initials_column(names: pd.Series) -> pd.Series:
    """Pinyin initials for a whole column (张三 → zs), equal to `name_initials` name by name.
    Each distinct name is looked at once. A name of two to four Chinese characters with no
    phrase of pypinyin's dictionary inside (a phrase can change a reading) is translated
    character by character, each distinct character converted once; any other name is
    converted whole."""
    return per_distinct(names.astype("str"), _initials)


def _initials(names: pd.Series) -> pd.Series:
    from pypinyin.constants import PHRASES_DICT

    plain = names.str.fullmatch("[\u4e00-\u9fff]{1,4}")  # not a raw string: Arrow's RE2 reads it too
    for i in range(3):
        for j in range(i + 2, 5):
            part = names.str.slice(i, j)
            whole = plain & (part.str.len() == j - i)
            # .tolist(): iterating a pandas Arrow array is a Python call per element
            phrases = set(part[whole].unique().tolist()) & PHRASES_DICT.keys()
            if phrases:
                plain &= ~(whole & part.isin(phrases))
    chars = set("".join(names[plain].unique().tolist()))
    table = str.maketrans({ch: name_initials(ch) for ch in chars})
    out = names.copy()
    out[plain] = names[plain].str.translate(table)
    rest = ~plain
    if rest.any():
        others = names[rest]
        out[rest] = others.map({n: name_initials(n) for n in others.unique().tolist()})
    return out.astype("str")


def import_roster(store: Store, data: bytes, file_name: str, batch_id: str,
                  actor_name: str) -> RosterResult:
    """Validate and import a roster file; raises ImportRejected (changing nothing) on any error."""
    if store.read_value("SELECT count(*) FROM batches WHERE batch_id = $b", {"b": batch_id}) == 0:
        raise ImportRejected([f"离校批次“{batch_id}”不存在，请先在“批次与备份”页面新建"])
    sheet = read_sheet(data, file_name, [h for h in COLUMNS if h not in OPTIONAL], wanted=list(COLUMNS))
    if "手机" not in sheet.rows.columns:
        sheet.rows["手机"] = ""
        sheet.kinds["手机"] = "x"
    catalogue = get_catalogue(store)
    known = {r[0] for r in store.read_rows("SELECT DISTINCT length(student_no) FROM students")}
    df, errors = validate(sheet, catalogue.campuses, get_colleges(store), known)
    if errors:
        raise ImportRejected(errors)
    if df.empty:
        raise ImportRejected([f"{file_name}：文件中没有学生"])
    df["name_initials"] = initials_column(df["name"])
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
    return RosterResult(run_id, file_name, len(df), done.inserted, done.updated, done.changes,
                        sheet.notes)


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
