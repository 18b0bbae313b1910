"""Reminders to lagging students (学院催办): one SMS each, naming the next stop. The record of
who reminded which students when is clearance.store.reminders.

One SMS is 70 characters (a Chinese SMS; longer texts are split and charged as several), so a
reminder never exceeds SMS_CHARS: it says the one next stop in the order the rules allow (导师
first: have the form signed), where on the student's campus, and the deadline; details drop
out, most dispensable first, until it fits.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from clearance.rules.catalogue import Catalogue
from clearance.rules.student_view import stop_order

SMS_CHARS = 70
PREFIX = "【离校通】"

def next_stop(catalogue: Catalogue, open_ids: Iterable[str]) -> str | None:
    """The stage to go to first among the open ones (prerequisites and advice respected)."""
    order = stop_order(catalogue, set(open_ids))
    return order[0] if order else None


def reminder_text(catalogue: Catalogue, name: str, campus: str, open_ids: Iterable[str],
                  deadline: date) -> str:
    """One SMS (≤ SMS_CHARS characters) for a student with these open stages."""
    open_ids = list(open_ids)
    first = next_stop(catalogue, open_ids)
    if first is None:
        return ""
    stage = catalogue.stage(first)
    loc = catalogue.location(first, campus)
    by = f"请于{deadline.month}月{deadline.day}日前办完。"
    count = f"离校尚差{len(open_ids)}项，" if len(open_ids) > 1 else ""
    if stage.reminder:
        steps = [f"下一步：{stage.reminder}。"]
    else:
        steps = [f"下一步：到{loc.room}办{stage.name}" + (f"（{loc.phone}）。" if loc.phone else "。"),
                 f"下一步：到{loc.room}办{stage.name}。", f"下一步：办{stage.name}（{loc.room}）。",
                 f"下一步：办{stage.name}。"]
    candidates = [f"{PREFIX}{name}同学，{count}{step}{by}" for step in steps]
    candidates += [f"{PREFIX}{name}同学，{step}{by}" for step in steps]
    for text in candidates:
        if len(text) <= SMS_CHARS:
            return text
    return candidates[-1][:SMS_CHARS - 1] + "…"  # an absurdly long name: cut, never split
