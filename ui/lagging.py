"""The lagging list as staff see and export it: Chinese headers, reminder messages for the
campus SMS platform, and spreadsheet exports safe to open (no formula injection)."""

from __future__ import annotations

import html
import io
from datetime import date

import pandas as pd

from clearance.rules.catalogue import Catalogue
from clearance.rules.reminders import next_stop, reminder_text

# Cells a spreadsheet would read as a formula (OWASP "CSV injection"); tab and CR as well.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADERS = {
    "student_no": "学号", "name": "姓名", "college": "学院", "level": "培养层次",
    "clearance_type": "离校类型", "campus": "校区", "phone": "手机", "open_count": "未办环节数",
    "open_stages": "未办环节", "rejected_reasons": "不通过原因", "brings": "需携带材料",
    "where_to_go": "办理地点及电话", "next_stop": "下一站", "last_seen": "最近到现场办理",
    "last_reminded": "最近提醒", "reminder": "提醒短信",
}


def _when(at, what) -> str:
    return "" if pd.isna(at) else f"{pd.Timestamp(at):%m-%d %H:%M} {'' if pd.isna(what) else what}".strip()


def lagging_table(lagging: pd.DataFrame, deadline: date, catalogue: Catalogue,
                  handout_from: str = "") -> pd.DataFrame:
    """The lagging list with Chinese headers, the next stop and a one-SMS reminder per student
    (with the certificates' hand-out start `handout_from` when it fits), when each was last
    seen at a desk and last reminded; ready to show or export."""
    df = lagging.copy()
    names = {s.stage_id: s.name for s in catalogue.stages}
    df["next_stop"] = [names.get(next_stop(catalogue, ids), "") for ids in df["open_stage_ids"]]
    df["reminder"] = [reminder_text(catalogue, r["name"], r["campus"], r["open_stage_ids"], deadline,
                                    handout_from)
                      for r in df[["name", "campus", "open_stage_ids"]].to_dict("records")]
    df["rejected_reasons"] = df["rejected_reasons"].fillna("")
    for column in ("last_seen_at", "last_seen_place", "reminded_at", "reminded_by"):
        if column not in df:
            df[column] = None
    df["last_seen"] = [_when(a, w) for a, w in zip(df["last_seen_at"], df["last_seen_place"])]
    df["last_reminded"] = [_when(a, w) for a, w in zip(df["reminded_at"], df["reminded_by"])]
    return df[list(HEADERS)].rename(columns=HEADERS)


def _e(value) -> str:
    """Data as text inside HTML: escaped, never markup (a name is data)."""
    return html.escape("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))


def _tel(phone: str) -> str:
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit() or ch == "+")
    return f'<a href="tel:{digits}">{_e(phone)}</a>' if digits else ""


def _place(where: str) -> str:
    """办理地点及电话 as lines, each phone number a tap-to-call link."""
    lines = []
    for part in (where or "").split("；"):
        if "（电话 " in part and part.endswith("）"):
            place, phone = part[:-1].split("（电话 ", 1)
            numbers = "，".join(_tel(n.strip()) for n in phone.split("，"))
            lines.append(f"{_e(place)}（{numbers}）")
        elif part:
            lines.append(_e(part))
    return "<br>".join(lines)


CARDS_CSS = """<style>
.lag-list{font-size:0.92rem}
.lag-row{display:grid;grid-template-columns:9rem 12rem 1fr 1fr 9rem;gap:0.4rem 1rem;
  padding:0.55rem 0.3rem;border-bottom:1px solid #e0e0e0;overflow-wrap:anywhere}
.lag-head{font-weight:600;color:#555;border-bottom:2px solid #bbb}
.lag-row .who b{font-size:1rem}
.lag-row .muted{color:#666;font-size:0.85rem}
.lag-row .next{color:#b71c1c}
.lag-row .lbl{display:none;color:#666;font-size:0.8rem}
@media (max-width: 720px){
  .lag-head{display:none}
  .lag-row{grid-template-columns:1fr;border:1px solid #ddd;border-radius:0.5rem;margin:0 0 0.6rem 0;
    padding:0.6rem 0.8rem;background:#fafafa}
  .lag-row .lbl{display:block}
}
</style>"""


def lagging_cards_html(table: pd.DataFrame) -> str:
    """The lagging list as wrapped rows: on a wide screen a table of five columns, on a phone a
    card per student (CSS only). Every value is escaped; phones are tel: links."""
    head = ('<div class="lag-row lag-head"><div>学生</div><div>未办环节 · 下一站</div>'
            "<div>需携带材料</div><div>办理地点及电话</div><div>最近到场 · 提醒</div></div>")
    rows = []
    for r in table.to_dict("records"):
        reasons = f'<div class="muted">不通过：{_e(r["不通过原因"])}</div>' if r["不通过原因"] else ""
        rows.append(
            '<div class="lag-row">'
            f'<div class="who"><b>{_e(r["姓名"])}</b> {_e(r["学号"])}<div class="muted">'
            f'{_e(r["培养层次"])} · {_e(r["离校类型"])} · {_e(r["校区"])}</div>'
            f'<div>{_tel(r["手机"]) or "（无手机号）"}</div></div>'
            f'<div><span class="lbl">未办环节 · 下一站</span>{_e(r["未办环节"])}（{_e(r["未办环节数"])} 项）'
            f'<div class="next">下一站：{_e(r["下一站"])}</div>{reasons}</div>'
            f'<div><span class="lbl">需携带材料</span>{_e(r["需携带材料"]).replace("；", "<br>")}</div>'
            f'<div><span class="lbl">办理地点及电话</span>{_place(r["办理地点及电话"])}</div>'
            f'<div><span class="lbl">最近到场 · 提醒</span>{_e(r["最近到现场办理"]) or "未到过现场"}'
            f'<div class="muted">{("已提醒 " + _e(r["最近提醒"])) if r["最近提醒"] else "未提醒"}</div></div>'
            "</div>")
    return CARDS_CSS + f'<div class="lag-list">{head}{"".join(rows)}</div>'


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
