"""Writing batches: create, edit, close (admin only), each change in `batch_changes`; and the
check a roster import makes inside its transaction. The rules are in clearance.rules.batches."""

from __future__ import annotations

from clearance.rules.actors import Actor
from clearance.rules.batches import (  # noqa: F401  (re-exported)
    BATCH_ID, FIELD_LABELS, MANAGERS, BatchDates, BatchError, check_dates, closed_refusal)
from clearance.store.db import Store, beijing_now


def _require_manager(actor: Actor) -> None:
    if actor.role not in MANAGERS:
        raise BatchError([f"{actor.display_name or actor.username} 无权管理离校批次"])


def _batch(cur, batch_id: str) -> dict | None:
    rows = cur.execute(
        "SELECT batch_id, title, period_start, period_end, diploma_start, diploma_end,"
        " card_deactivation, closed_at, diploma_start_part FROM batches WHERE batch_id = $b",
        {"b": batch_id}).fetchall()
    if not rows:
        return None
    keys = ("batch_id", "title", "period_start", "period_end", "diploma_start", "diploma_end",
            "card_deactivation", "closed_at", "diploma_start_part")
    return dict(zip(keys, rows[0]))


def _log(cur, batch_id: str, action: str, detail: str, actor: Actor) -> None:
    cur.execute(
        "INSERT INTO batch_changes SELECT coalesce(max(change_id), 0) + 1, $b, $a, $d, $u, $t"
        " FROM batch_changes",
        {"b": batch_id, "a": action, "d": detail, "u": actor.username, "t": beijing_now()})


def _values(batch_id: str, d: BatchDates) -> dict:
    return {"batch_id": batch_id, "title": d.title.strip(), "period_start": d.period_start,
            "period_end": d.period_end, "diploma_start": d.diploma_start,
            "diploma_end": d.diploma_end, "card_deactivation": d.card_deactivation,
            "diploma_start_part": d.diploma_start_part}


def _shown(field: str, value) -> str:
    if field == "diploma_start_part":
        return value or "全天"
    return str(value) if value else "（空）"


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
            " diploma_end, card_deactivation, diploma_start_part) VALUES ($batch_id, $title,"
            " $period_start, $period_end, $diploma_start, $diploma_end, $card_deactivation,"
            " $diploma_start_part)",
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
        changes = [f"{FIELD_LABELS[k]}：{_shown(k, old[k])} → {_shown(k, new[k])}"
                   for k in FIELD_LABELS if old[k] != new[k]]
        if not changes:
            return []
        cur.execute(
            "UPDATE batches SET title = $title, period_start = $period_start,"
            " period_end = $period_end, diploma_start = $diploma_start,"
            " diploma_end = $diploma_end, card_deactivation = $card_deactivation,"
            " diploma_start_part = $diploma_start_part WHERE batch_id = $batch_id", new)
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


def require_open(cur, batch_id: str) -> None:
    """Refuse a write into a closed batch (roster imports call this inside their transaction)."""
    batch = _batch(cur, batch_id)
    if batch is not None and batch["closed_at"] is not None:
        raise BatchError([closed_refusal(batch_id, batch["title"])])
