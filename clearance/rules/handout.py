"""The diploma hand-out period as the handbook words it, and the check of a hand-over's date.

The seed: “毕业证、学位证发放时间：2018年6月29日下午至7月2日”. A batch keeps the part of the
first day (`diploma_start_part`: 上午 / 下午) so pages say it and the desk's check uses it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Mapping

# When a half day begins (the handbook's hand-out starts "6月29日下午").
HALF_DAY_STARTS = {"上午": time(0, 0), "下午": time(12, 0)}


def _d(value) -> date | None:
    """A date from a date, datetime (pandas' Timestamp is one) or ISO text; None for missing."""
    if value is None or value != value:  # NaN and NaT are not equal to themselves
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def handout_period_text(batch: Mapping) -> str:
    """The hand-out period as the handbook words it: "6月29日下午至7月2日"."""
    start, end = _d(batch.get("diploma_start")), _d(batch.get("diploma_end"))
    if start is None:
        return ""
    part = batch.get("diploma_start_part") or ""
    part = part if isinstance(part, str) else ""
    return f"{_md(start)}{part}至{_md(end or start)}"


def handout_start_text(batch: Mapping) -> str:
    """When the hand-out begins, for a reminder: "6月29日下午" ("" if the batch has none)."""
    start = _d(batch.get("diploma_start"))
    if start is None:
        return ""
    part = batch.get("diploma_start_part")
    return f"{_md(start)}{part if isinstance(part, str) else ''}"


def handover_date_warning(batch: Mapping, handed_at: datetime) -> str | None:
    """A warning when a hand-over is dated outside the batch's hand-out period (from the start
    day's half, if any, to the end of the last day). The system is open all year, so a late
    collection is recorded — with a word, since a wrong date is the likelier cause."""
    start, end = _d(batch.get("diploma_start")), _d(batch.get("diploma_end"))
    if start is None:
        return None
    part = batch.get("diploma_start_part")
    begins = datetime.combine(start, HALF_DAY_STARTS.get(part, time(0, 0)) if isinstance(part, str) else time(0, 0))
    if begins <= handed_at and handed_at.date() <= (end or start):
        return None
    return (f"注意：发放时间 {handed_at:%Y-%m-%d %H:%M} 不在本批次证书发放时间（{handout_period_text(batch)}）内，"
            "请核对发放日期；如确为期外补领，无需处理。")
