"""Clearance batches (离校批次): their dates and the closed-batch rule (no I/O).

The handbook gives each batch its dates: the concentrated period (集中办理, 2018-06-25 … 07-02),
the diploma hand-out (06-29 … 07-02) and the campus-card deactivation (07-10). A closed batch
is read-only: `clearance.rules.marking.check_mark` refuses marks on its students, feeds skip them and a roster
cannot be imported into it; its data stays for the dashboards' comparison. Every change is
kept in `batch_changes` (clearance.store.batches writes). config/batches.toml only seeds the
table on the first start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

BATCH_ID = re.compile(r"20\d\d-(0[1-9]|1[0-2])")
MAX_TITLE = 80
MANAGERS = ("admin", "system")
FIELD_LABELS = {
    "title": "批次名称", "period_start": "集中办理开始", "period_end": "集中办理结束",
    "diploma_start": "证书发放开始", "diploma_start_part": "证书发放开始时段",
    "diploma_end": "证书发放结束", "card_deactivation": "校园卡停用",
}
# The hand-out may start on a half day (the handbook: "6月29日下午至7月2日"); None = the whole day.
# The same values as clearance.rules.handout.HALF_DAY_STARTS.
HALF_DAYS = ("上午", "下午")


class BatchError(Exception):
    """A batch change was refused; nothing was written. `errors` are Chinese sentences."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


@dataclass(frozen=True)
class BatchDates:
    title: str
    period_start: date
    period_end: date
    diploma_start: date | None = None
    diploma_end: date | None = None
    card_deactivation: date | None = None
    diploma_start_part: str | None = None  # 上午 / 下午 of the hand-out's first day; None = all day


def check_dates(d: BatchDates) -> list[str]:
    """What is wrong with a batch's name and dates (empty: nothing)."""
    errors = []
    title = (d.title or "").strip()
    if not title:
        errors.append("请填写批次名称")
    elif len(title) > MAX_TITLE:
        errors.append(f"批次名称不能超过 {MAX_TITLE} 个字")
    if not isinstance(d.period_start, date) or not isinstance(d.period_end, date):
        errors.append("请填写集中办理的开始和结束日期")
    elif d.period_end < d.period_start:
        errors.append("集中办理结束日期不能早于开始日期")
    if (d.diploma_start is None) != (d.diploma_end is None):
        errors.append("证书发放的开始和结束日期须同时填写或同时不填")
    elif d.diploma_start and d.diploma_end < d.diploma_start:
        errors.append("证书发放结束日期不能早于开始日期")
    if d.diploma_start_part is not None and d.diploma_start_part not in HALF_DAYS:
        errors.append(f"证书发放开始时段只能是“上午”或“下午”（或不填：全天），不能是“{d.diploma_start_part}”")
    elif d.diploma_start_part and d.diploma_start is None:
        errors.append("填写了证书发放开始时段，请同时填写证书发放开始日期")
    if (d.card_deactivation and isinstance(d.period_end, date)
            and d.card_deactivation < d.period_end):
        errors.append("校园卡停用日期不能早于集中办理结束日期（学生办理期间还要用卡）")
    return errors


def closed_refusal(batch_id: str, title: str | None = None) -> str:
    """The one sentence every path gives for a closed batch."""
    return f"离校批次“{title or batch_id}”已关闭，只能查看，不能再办理或导入"
