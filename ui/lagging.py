"""The lagging list as staff see and export it: Chinese headers, reminder messages for the
campus SMS platform, and spreadsheet exports safe to open (no formula injection)."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

# Cells a spreadsheet would read as a formula (OWASP "CSV injection"); tab and CR as well.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADERS = {
    "student_no": "学号", "name": "姓名", "college": "学院", "level": "培养层次",
    "clearance_type": "离校类型", "campus": "校区", "phone": "手机", "open_count": "未办环节数",
    "open_stages": "未办环节", "rejected_reasons": "不通过原因", "brings": "需携带材料",
    "where_to_go": "办理地点及电话", "reminder": "提醒短信",
}


def reminder(row: dict, deadline: date) -> str:
    """The message for one student: which stages are open, where to go, by when."""
    where = row.get("where_to_go") or row.get("open_stages") or ""
    return (f"【离校通】{row['name']}同学，你的离校手续尚有{row['open_count']}个环节未办结："
            f"{row['open_stages']}。办理地点：{where}。"
            f"请于{deadline.month}月{deadline.day}日前办理完毕。")


def lagging_table(lagging: pd.DataFrame, deadline: date) -> pd.DataFrame:
    """The lagging list with Chinese headers and a reminder per student, ready to show or export."""
    df = lagging.copy()
    df["reminder"] = [reminder(r, deadline) for r in df.to_dict("records")]
    df["rejected_reasons"] = df["rejected_reasons"].fillna("")
    return df[list(HEADERS)].rename(columns=HEADERS)


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe


def to_xlsx(df: pd.DataFrame, sheet: str = "未办结学生") -> bytes:
    """An .xlsx file: text cells stored as text (学号 and phones keep their leading digits)."""
    out = io.BytesIO()
    safe = _safe(df)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet)
        ws = writer.sheets[sheet]
        for n, column in enumerate(safe.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in safe[column].head(200)])
            ws.column_dimensions[ws.cell(1, n).column_letter].width = min(60, 4 + width * 1.6)
        ws.freeze_panes = "A2"
    return out.getvalue()


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel on Windows opens the Chinese headers correctly."""
    return _safe(df).to_csv(index=False).encode("utf-8-sig")


def sms_list(table: pd.DataFrame) -> bytes:
    """手机,短信内容 — the shape the campus SMS platform imports."""
    return to_csv(table[["手机", "提醒短信"]].rename(columns={"提醒短信": "短信内容"}))
