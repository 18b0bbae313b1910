"""The record of reminders sent to lagging students (学院催办): who reminded which students,
when, how and with what text — one transaction per send, append-only (migration 020)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from clearance.clock import beijing_now
from clearance.rules.actors import Actor
from clearance.rules.reminders import SMS_CHARS
from clearance.store.db import Store

CHANNELS = {"sms": "短信", "phone": "电话"}
SENDER_ROLES = ("admin", "gradschool", "college")


class ReminderError(Exception):
    """A reminder record was refused; nothing was written. The message is Chinese."""


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
    # Writes the reminders table only: cached reads and derived dashboards of other tables stay.
    with store.transaction(tables=("reminders",)) as cur:
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
