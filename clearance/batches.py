"""Clearance batches (离校批次), managed in the app: create, edit, close.

The handbook gives each batch its dates: the concentrated period (集中办理, 2018-06-25 … 07-02),
the diploma hand-out (06-29 … 07-02) and the campus-card deactivation (07-10). A closed batch
is read-only: `clearance.marks` refuses marks on its students, feeds skip them and a roster
cannot be imported into it; its data stays for the dashboards' comparison. Every change is
kept in `batch_changes`. config/batches.toml only seeds the table on the first start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clearance.actors import Actor
from clearance.store import Store, beijing_now

BATCH_ID = re.compile(r"20\d\d-(0[1-9]|1[0-2])")
MAX_TITLE = 80
MANAGERS = ("admin", "system")
FIELD_LABELS = {
    "title": "批次名称", "period_start": "集中办理开始", "period_end": "集中办理结束",
    "diploma_start": "证书发放开始", "diploma_end": "证书发放结束", "card_deactivation": "校园卡停用",
}


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
    if (d.card_deactivation and isinstance(d.period_end, date)
            and d.card_deactivation < d.period_end):
        errors.append("校园卡停用日期不能早于集中办理结束日期（学生办理期间还要用卡）")
    return errors


def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise BatchError([f"{actor.display_name or actor.username} 无权管理离校批次"])


def _batch(cur, batch_id: str) -> dict | None:
    rows = cur.execute(
        "SELECT batch_id, title, period_start, period_end, diploma_start, diploma_end,"
        " card_deactivation, closed_at FROM batches WHERE batch_id = $b", {"b": batch_id}).fetchall()
    if not rows:
        return None
    keys = ("batch_id", "title", "period_start", "period_end", "diploma_start", "diploma_end",
            "card_deactivation", "closed_at")
    return dict(zip(keys, rows[0]))


def _log(cur, batch_id: str, action: str, detail: str, actor: Actor) -> None:
    cur.execute(
        "INSERT INTO batch_changes SELECT coalesce(max(change_id), 0) + 1, $b, $a, $d, $u, $t"
        " FROM batch_changes",
        {"b": batch_id, "a": action, "d": detail, "u": actor.username, "t": beijing_now()})


def _values(batch_id: str, d: BatchDates) -> dict:
    return {"batch_id": batch_id, "title": d.title.strip(), "period_start": d.period_start,
            "period_end": d.period_end, "diploma_start": d.diploma_start,
            "diploma_end": d.diploma_end, "card_deactivation": d.card_deactivation}


def create_batch(store: Store, actor: Actor, batch_id: str, dates: BatchDates) -> None:
    _require_manager(actor)
    batch_id = (batch_id or "").strip()
    errors = [] if BATCH_ID.fullmatch(batch_id) else [
        f"批次编号“{batch_id}”格式不对：应为 年-月，如 2018-12"]
    errors += check_dates(dates)
    if errors:
        raise BatchError(errors)
    with store.transaction() as cur:
        if _batch(cur, batch_id):
            raise BatchError([f"批次 {batch_id} 已存在"])
        cur.execute(
            "INSERT INTO batches (batch_id, title, period_start, period_end, diploma_start,"
            " diploma_end, card_deactivation) VALUES ($batch_id, $title, $period_start,"
            " $period_end, $diploma_start, $diploma_end, $card_deactivation)",
            _values(batch_id, dates))
        _log(cur, batch_id, "create", f"新建：{dates.title.strip()}，集中办理 "
             f"{dates.period_start} 至 {dates.period_end}", actor)


def update_batch(store: Store, actor: Actor, batch_id: str, dates: BatchDates) -> list[str]:
    """Change a batch's name and dates. Returns the changes, in Chinese (empty: none)."""
    _require_manager(actor)
    errors = check_dates(dates)
    if errors:
        raise BatchError(errors)
    new = _values(batch_id, dates)
    with store.transaction() as cur:
        old = _batch(cur, batch_id)
        if old is None:
            raise BatchError([f"没有批次 {batch_id}"])
        if old["closed_at"] is not None:
            raise BatchError([f"批次 {batch_id} 已关闭，只能查看，不能修改"])
        changes = [f"{FIELD_LABELS[k]}：{old[k] or '（空）'} → {new[k] or '（空）'}"
                   for k in FIELD_LABELS if old[k] != new[k]]
        if not changes:
            return []
        cur.execute(
            "UPDATE batches SET title = $title, period_start = $period_start,"
            " period_end = $period_end, diploma_start = $diploma_start,"
            " diploma_end = $diploma_end, card_deactivation = $card_deactivation"
            " WHERE batch_id = $batch_id", new)
        _log(cur, batch_id, "edit", "；".join(changes), actor)
    return changes


def close_batch(store: Store, actor: Actor, batch_id: str) -> int:
    """Close a batch: from now on it is read-only. Returns how many of its students had not
    cleared every stage (they stay as they are, for the record)."""
    _require_manager(actor)
    with store.transaction() as cur:
        old = _batch(cur, batch_id)
        if old is None:
            raise BatchError([f"没有批次 {batch_id}"])
        if old["closed_at"] is not None:
            raise BatchError([f"批次 {batch_id} 已于 {old['closed_at']:%Y-%m-%d %H:%M} 关闭"])
        unfinished = cur.execute(
            "SELECT count(DISTINCT s.student_no) FROM students s JOIN stage_status x USING (student_no)"
            " WHERE s.batch_id = $b AND x.state NOT IN ('passed', 'not_needed')",
            {"b": batch_id}).fetchall()[0][0]
        cur.execute("UPDATE batches SET closed_at = $t, closed_by = $u WHERE batch_id = $b",
                    {"t": beijing_now(), "u": actor.username, "b": batch_id})
        _log(cur, batch_id, "close", f"关闭批次（尚有 {unfinished} 名学生未全部办结）", actor)
    return unfinished


def closed_refusal(batch_id: str, title: str | None = None) -> str:
    """The one sentence every path gives for a closed batch."""
    return f"离校批次“{title or batch_id}”已关闭，只能查看，不能再办理或导入"


def require_open(cur, batch_id: str) -> None:
    """Refuse a write into a closed batch (roster imports call this inside their transaction)."""
    batch = _batch(cur, batch_id)
    if batch is not None and batch["closed_at"] is not None:
        raise BatchError([closed_refusal(batch_id, batch["title"])])
