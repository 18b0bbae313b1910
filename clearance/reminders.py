"""Reminders to lagging students (学院催办): one SMS each, naming the next stop, and the record
of who reminded which students when.

One SMS is 70 characters (a Chinese SMS; longer texts are split and charged as several), so a
reminder never exceeds SMS_CHARS: it says the one next stop in the order the rules allow (导师
first: have the form signed), where on the student's campus, and the deadline; details drop
out, most dispensable first, until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Mapping

from clearance.actors import Actor
from clearance.catalogue import Catalogue
from clearance.store import Store, beijing_now
from clearance.student_view import stop_order

SMS_CHARS = 70
PREFIX = "【离校通】"
CHANNELS = {"sms": "短信", "phone": "电话"}
SENDER_ROLES = ("admin", "gradschool", "college")


class ReminderError(Exception):
    """A reminder record was refused; nothing was written. The message is Chinese."""


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


@dataclass(frozen=True)
class Sent:
    send_id: int
    students: int
    sent_at: datetime


def record_reminders(store: Store, actor: Actor, batch_id: str, messages: Mapping[str, str],
                     channel: str = "sms") -> Sent:
    """Record that these students (学号 → text) were reminded, in one transaction. Refuses
    (writing nothing) an actor who may not chase them, a student not in the batch, an empty or
    over-long text, an unknown channel."""
    if actor.role not in SENDER_ROLES:
        raise ReminderError(f"{actor.display_name or actor.username} 无权登记催办提醒")
    if channel not in CHANNELS:
        raise ReminderError(f"未知的提醒方式“{channel}”")
    if not messages:
        raise ReminderError("没有选中任何学生")
    for no, text in messages.items():
        if not text or len(text) > SMS_CHARS:
            raise ReminderError(f"学号 {no}：提醒内容须为 1—{SMS_CHARS} 个字（一条短信）")
    now = beijing_now()
    with store.transaction() as cur:
        found = dict(cur.execute(
            "SELECT student_no, college FROM students WHERE batch_id = $b AND student_no IN"
            " (SELECT unnest($nos))", {"b": batch_id, "nos": list(messages)}).fetchall())
        missing = [no for no in messages if no not in found]
        if missing:
            raise ReminderError(f"学号 {'、'.join(missing[:5])} 不在本批次名单中")
        others = sorted({c for c in found.values() if not actor.sees_college(c)})
        if others:
            raise ReminderError(f"{actor.display_name or actor.username} 只能催办本学院"
                                f"（{actor.college}）的学生，不能催办{'、'.join(others)}的学生")
        first_id, send_id = cur.execute(
            "SELECT coalesce(max(reminder_id), 0) + 1, coalesce(max(send_id), 0) + 1 FROM reminders"
        ).fetchall()[0]
        rows = [(first_id + n, send_id, batch_id, no, found[no], channel, text, actor.username, now)
                for n, (no, text) in enumerate(messages.items())]
        cur.executemany("INSERT INTO reminders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return Sent(send_id, len(rows), now)
