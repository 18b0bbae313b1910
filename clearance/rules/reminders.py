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
    key = frozenset(open_ids)
    memo = _memo(catalogue)
    if key not in memo:
        order = stop_order(catalogue, set(key))
        memo[key] = order[0] if order else None
    return memo[key]


# A college's lagging list at 1M students has ≈25,000 rows but few distinct open sets and
# campuses: the stage order and the phrases are worked out once per set / stage and campus.
# Keyed on the catalogue object itself (hashing a Catalogue walks every stage: 60 µs).
_MEMOS: dict[int, tuple[Catalogue, dict]] = {}


def _memo(catalogue: Catalogue) -> dict:
    entry = _MEMOS.get(id(catalogue))
    if entry is None or entry[0] is not catalogue:
        entry = _MEMOS[id(catalogue)] = (catalogue, {})
    return entry[1]


def _steps(catalogue: Catalogue, first: str, campus: str) -> tuple[str, ...]:
    """The next-step phrases for a stage and campus, most detailed first."""
    memo, key = _memo(catalogue), ("steps", first, campus)
    if key not in memo:
        memo[key] = _phrase_steps(catalogue, first, campus)
    return memo[key]


def _phrase_steps(catalogue: Catalogue, first: str, campus: str) -> tuple[str, ...]:
    stage = catalogue.stage(first)
    if stage.reminder:
        return (f"下一步：{stage.reminder}。",)
    loc = catalogue.location(first, campus)
    return (f"下一步：到{loc.room}办{stage.name}" + (f"（{loc.phone}）。" if loc.phone else "。"),
            f"下一步：到{loc.room}办{stage.name}。", f"下一步：办{stage.name}（{loc.room}）。",
            f"下一步：办{stage.name}。")


def _wordings(steps: tuple[str, ...], handout: str) -> list[tuple[str, str]]:
    """(next step, hand-out sentence) from the most to the least said. The office's phone goes
    first (the student page and the lagging list give it), then the hand-out date, then the
    room's detail."""
    order = [(steps[0], handout), *((s, handout) for s in steps[1:2]),
             (steps[0], ""), *((s, "") for s in steps[1:2])]
    for step in steps[2:]:
        order += [(step, handout), (step, "")]
    return list(dict.fromkeys(order))


def reminder_text(catalogue: Catalogue, name: str, campus: str, open_ids: Iterable[str],
                  deadline: date, handout_from: str = "") -> str:
    """One SMS (≤ SMS_CHARS characters) for a student with these open stages. `handout_from`
    (clearance.rules.handout.handout_start_text, e.g. "6月29日下午") adds when certificates are
    handed out: it goes after the office's phone, before anything else (`_wordings`)."""
    open_ids = list(open_ids)
    first = next_stop(catalogue, open_ids)
    if first is None:
        return ""
    steps = _steps(catalogue, first, campus)
    by = f"请于{deadline.month}月{deadline.day}日前办完。"
    count = f"离校尚差{len(open_ids)}项，" if len(open_ids) > 1 else ""
    handout = f"证书{handout_from}起发放。" if handout_from else ""
    last = ""
    for lead in (count, ""):  # drop the count only if no wording fits with it
        for step, tail in _wordings(steps, handout):
            last = f"{PREFIX}{name}同学，{lead}{step}{by}{tail}"
            if len(last) <= SMS_CHARS:
                return last
    return last[:SMS_CHARS - 1] + "…"  # an absurdly long name: cut, never split
