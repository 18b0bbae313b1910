"""Marking a student's stage: the only way any status changes (the one write path).

A mark is checked against the rules (`clearance.rules.marking.check_mark`: who may mark what,
prerequisites, the final stage, reasons), then its event is appended and the current status updated in the same transaction.
Many marks at once (a bulk pass, a feed, the demo) are one transaction: all or nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd

from clearance.rules.actors import Actor
from clearance.rules.catalogue import Catalogue
from clearance.rules.marking import (  # noqa: F401  (re-exported for callers of the write path)
    ACTION_LABELS, ACTIONS, SOURCES, STATE_LABELS, Mark, MarkError, check_evidence, check_mark,
    is_party_member,
)
from clearance.store.db import Store, beijing_now, get_catalogue


@dataclass
class Plan:
    """What a list of marks would do: the changes, the no-ops, and the refusals."""

    changes: list[dict] = field(default_factory=list)
    unchanged: list[Mark] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # Refused in bulk only for want of a person's look (a × 不通过 to overturn, a party member):
    # (学号, reason). A page lists them apart; each may be passed again with confirmed=True.
    to_confirm: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class MarkResult:
    changed: int
    unchanged: int
    event_ids: tuple[int, ...]


_STUDENT_FIELDS = "s.student_no, s.name, s.college, s.clearance_type, s.political_status, s.batch_id"


def _load_state(cur, student_nos: list[str], with_card: bool = True,
                batches: dict | None = None) -> tuple[dict, dict]:
    """Students' college/type/batch (with its closed flag)/card balance and their current state
    at every stage. `with_card=False` leaves the card balance out (no stage marked checks it);
    `batches` (batch_id → (title, closed)) saves reading the batches table."""
    if len(student_nos) == 1:
        return _load_one(cur, student_nos[0], with_card, batches)
    params = {"nos": student_nos}
    students = {
        row[0]: _student(row[:6], row[6], row[7], row[8])
        for row in cur.execute(
            f"SELECT {_STUDENT_FIELDS}, b.title, b.closed_at IS NOT NULL,"
            " (SELECT max(balance) FROM card_bindings c WHERE c.student_no = s.student_no)"
            " FROM students s LEFT JOIN batches b USING (batch_id)"
            " WHERE s.student_no IN (SELECT unnest($nos))", params).fetchall()
    }
    states = {(no, stage_id): (state, reason) for no, stage_id, state, reason in cur.execute(
        "SELECT student_no, stage_id, state, reason FROM stage_status"
        " WHERE student_no IN (SELECT unnest($nos))", params).fetchall()}
    return students, states


def _load_one(cur, no: str, with_card: bool, batches: dict | None) -> tuple[dict, dict]:
    # A desk's one mark: one statement of point lookups. Subqueries on the 学号 parameter (not
    # on s.student_no) are uncorrelated: each is one index or zone-map lookup. A join with
    # batches or a correlated subquery on card_bindings is planned as a hash join over the whole
    # other table (measured: 8 ms of a 24 ms mark at 3k students, more at 1M); the batches come
    # from `batches` (a handful of rows).
    card = (", (SELECT max(balance) FROM card_bindings WHERE student_no = $no)"
            if with_card else ", NULL")
    found = cur.execute(
        f"SELECT {_STUDENT_FIELDS},"
        " (SELECT list([stage_id, state, reason]) FROM stage_status WHERE student_no = $no)"
        f"{card} FROM students s WHERE s.student_no = $no", {"no": no}).fetchall()
    if not found:
        return {}, {}
    row = found[0]
    title, closed = (batches if batches is not None else _read_batches(cur)).get(row[5], (None, False))
    states = {(no, stage_id): (state, reason) for stage_id, state, reason in row[6] or ()}
    return {no: _student(row, title, closed, row[7])}, states


def _read_batches(cur) -> dict[str, tuple[str, bool]]:
    return {b: (t, bool(c)) for b, t, c in cur.execute(
        "SELECT batch_id, title, closed_at IS NOT NULL FROM batches").fetchall()}


# Per store opening: (the batches table's version, batch_id → (title, closed)). Read under the
# write lock and keyed on the version every batch write bumps at commit, so it is the table as
# this transaction sees it.
_batches_seen: dict[str, tuple[int, dict]] = {}


def _batches(store: Store, cur) -> dict[str, tuple[str, bool]]:
    version = store.data_version(("batches",))
    seen = _batches_seen.get(store.identity)
    if seen is None or seen[0] != version:
        seen = (version, _read_batches(cur))
        _batches_seen[store.identity] = seen
    return seen[1]


def _student(row, batch_title, batch_closed, card_balance) -> dict:
    return {"name": row[1], "college": row[2], "clearance_type": row[3],
            "political_status": row[4] or "", "batch_id": row[5], "batch_title": batch_title,
            "batch_closed": bool(batch_closed), "card_balance": card_balance}


def plan_marks(cur, actor: Actor, marks: list[Mark], catalogue: Catalogue, source: str,
               now: datetime, batches: dict | None = None) -> Plan:
    """Check marks in order against the store as seen by `cur`; write nothing. `batches`:
    batch_id → (title, closed) as `cur` sees them (read from `cur` if not given)."""
    plan = Plan()
    if source not in SOURCES:
        plan.refusals.append(f"未知的来源“{source}”")
        return plan
    # The card balance is read only when a stage marked has a precondition (the card check).
    with_card = any(m.stage_id in catalogue.stage_ids and catalogue.stage(m.stage_id).preconditions
                    for m in marks)
    students, states = _load_state(cur, sorted({m.student_no for m in marks}), with_card, batches)
    # A bulk pass carries one evidence object for thousands of students: check it once per
    # stage, clearance type and membership (the only student fields it depends on).
    memo: dict = {}

    def evidence_check(stage, student, evidence):
        key = (stage.stage_id, student["clearance_type"], is_party_member(student["political_status"]),
               id(evidence))
        if key not in memo:
            problem, stored = check_evidence(stage, student, evidence)
            memo[key] = (problem, stored, json.dumps(stored, ensure_ascii=False))
        return memo[key][:2]

    for mark in marks:
        problem = check_mark(mark, actor, catalogue, students, states, source, evidence_check)
        if problem:
            plan.refusals.append(problem)
            if not mark.confirmed and check_mark(replace(mark, confirmed=True), actor, catalogue,
                                                 students, states, source, evidence_check) is None:
                plan.to_confirm.append((mark.student_no, problem))
            continue
        key = (mark.student_no, mark.stage_id)
        before, before_reason = states.get(key, ("open", None))
        after = ACTIONS[mark.action]
        reason = (mark.reason or "").strip() or None
        if before == after and (after not in ("rejected", "open") or before_reason == reason):
            plan.unchanged.append(mark)
            continue
        states[key] = (after, reason)
        evidence = None
        if mark.action == "pass":
            stage = catalogue.stage(mark.stage_id)
            student = students[mark.student_no]
            evidence_check(stage, student, mark.evidence)
            evidence = memo[(stage.stage_id, student["clearance_type"],
                             is_party_member(student["political_status"]), id(mark.evidence))][2]
        plan.changes.append({
            "student_no": mark.student_no, "stage_id": mark.stage_id, "action": mark.action,
            "state_before": before, "state_after": after, "reason": reason,
            "note": (mark.note or "").strip() or None,
            "actor": mark.actor_name or actor.username,
            "source": mark.source or source, "source_ref": mark.source_ref,
            "marked_at": mark.at or now, "evidence": evidence,
        })
    return plan


SINGLE_ROW_MARKS = 4  # up to this many changes: plain statements, no DataFrame

EVENT_FIELDS = ("student_no", "stage_id", "action", "state_before", "state_after", "reason",
                "note", "actor", "source", "source_ref", "marked_at", "evidence")
STATUS_FIELDS = ("student_no", "stage_id", "state_after", "reason", "marked_at", "actor", "source")
_INSERT_EVENT = (
    "INSERT INTO events (event_id, student_no, stage_id, action, state_before, state_after,"
    " reason, note, actor, source, source_ref, marked_at, evidence)"
    " VALUES (nextval('event_ids'), $student_no, $stage_id, $action, $state_before, $state_after,"
    " $reason, $note, $actor, $source, $source_ref, $marked_at, $evidence)"
    " RETURNING event_id")
# done_on (migration 036): the day the stage became ✓, NULL while it is not; the date of the
# stored updated_at (the cast to TIMESTAMP is the one the column's assignment makes).
_DONE_ON = "CASE WHEN is_done({state}) THEN CAST(CAST({at} AS TIMESTAMP) AS DATE) END"
_UPDATE_STATUS = (
    "UPDATE stage_status SET state = $state_after, reason = $reason, updated_at = $marked_at,"
    " updated_by = $actor, source = $source, last_event_id = $event_id,"
    " done_on = " + _DONE_ON.format(state="$state_after", at="$marked_at") +
    " WHERE student_no = $student_no AND stage_id = $stage_id")


MARK_TABLES = ("events", "stage_status")


def write_events(cur, changes: list[dict]) -> list[int]:
    """Append events and bring stage_status in step with them. Call inside a transaction."""
    if not changes:
        return []
    if len(changes) <= SINGLE_ROW_MARKS:
        # A desk's one mark: two parameterised statements (registering a one-row DataFrame
        # and a window query cost more than the write itself).
        ids = []
        for change in changes:
            event_id = cur.execute(_INSERT_EVENT, {k: change.get(k) for k in EVENT_FIELDS}
                                   ).fetchall()[0][0]
            cur.execute(_UPDATE_STATUS, {k: change[k] for k in STATUS_FIELDS} | {"event_id": event_id})
            ids.append(event_id)
        return ids
    ids = sorted(r[0] for r in cur.execute(
        "SELECT nextval('event_ids') FROM range($n)", {"n": len(changes)}).fetchall())
    df = pd.DataFrame(changes)
    if "evidence" not in df:
        df["evidence"] = None
    df["evidence"] = df["evidence"].astype(object)
    df.insert(0, "event_id", ids)
    cur.register("new_events", df)
    try:
        cur.execute(
            "INSERT INTO events BY NAME SELECT event_id, student_no, stage_id, action, state_before,"
            " state_after, reason, note, actor, source, source_ref, marked_at, evidence FROM new_events"
        )
        # The last event per student and stage decides the current state.
        cur.execute(
            "UPDATE stage_status s SET state = n.state_after, reason = n.reason,"
            " updated_at = n.marked_at, updated_by = n.actor, source = n.source, last_event_id = n.event_id,"
            " done_on = " + _DONE_ON.format(state="n.state_after", at="n.marked_at") +
            " FROM (SELECT * FROM new_events QUALIFY row_number() OVER"
            "       (PARTITION BY student_no, stage_id ORDER BY event_id DESC) = 1) n"
            " WHERE s.student_no = n.student_no AND s.stage_id = n.stage_id"
        )
    finally:
        cur.unregister("new_events")
    return ids


def apply_marks(store: Store, actor: Actor, marks: list[Mark], source: str = "page",
                now: datetime | None = None) -> MarkResult:
    """Check and write marks in one transaction. Raises MarkError (writing nothing) if any is refused."""
    catalogue = get_catalogue(store)
    now = now or beijing_now()
    # Marks write two tables: cached reads of every other table stay valid (ui.data).
    with store.transaction(tables=MARK_TABLES) as cur:
        plan = plan_marks(cur, actor, marks, catalogue, source, now, _batches(store, cur))
        if plan.refusals:
            raise MarkError(plan.refusals)
        ids = write_events(cur, plan.changes)
    return MarkResult(changed=len(ids), unchanged=len(plan.unchanged), event_ids=tuple(ids))


def preview_marks(store: Store, actor: Actor, marks: list[Mark], source: str = "bulk") -> Plan:
    """What `apply_marks` would do, for a confirmation screen. Writes nothing."""
    with store.cursor() as cur:
        return plan_marks(cur, actor, marks, get_catalogue(store), source, beijing_now())


def mark(store: Store, actor: Actor, student_no: str, stage_id: str, action: str,
         reason: str | None = None, note: str | None = None, source: str = "page",
         evidence: dict | None = None) -> MarkResult:
    """One mark, e.g. a staff member pressing 通过 on the marking page."""
    return apply_marks(store, actor, [Mark(student_no, stage_id, action, reason, note,
                                           evidence=evidence)], source)
