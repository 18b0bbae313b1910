"""A roster import's writes: the students' rows, their status rows, and the stages their changed
fields re-derive (`clearance.rules.roster_changes`), in the caller's one transaction.

The re-derived marks go through the one write path's checks (`plan_marks`, as the system,
source `import`, the run id as source_ref), so they appear in the event log, the student's
history and the 导入记录 page like any other mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from clearance.rules.actors import SYSTEM
from clearance.rules.catalogue import Catalogue
from clearance.rules.marking import Mark, MarkError
from clearance.rules.roster_changes import (FIELD_LABELS, FieldChange, ItemChange, field_changes,
                                            item_changes, rederive)
from clearance.store.marks import plan_marks, write_events
from clearance.store.students import ensure_status_rows, upsert_students


@dataclass(frozen=True)
class StageResult:
    stage_id: str
    stage_name: str
    state_before: str
    state_after: str
    why: str


@dataclass(frozen=True)
class StudentChanges:
    """One re-imported student whose roster fields changed, and what that changed."""

    student_no: str
    name: str
    fields: tuple[FieldChange, ...]
    stages: tuple[StageResult, ...]
    items: tuple[tuple[str, ItemChange], ...]  # (stage name, item)


@dataclass(frozen=True)
class ImportedStudents:
    inserted: int
    updated: int
    changes: tuple[StudentChanges, ...]


def _known(cur, df: pd.DataFrame) -> dict[str, dict]:
    """The stored rows of the incoming students that are already known."""
    # The 学号 as a registered frame: a 100,000-string list parameter costs a second to bind.
    cur.register("incoming_nos", df[["student_no"]])
    rows = cur.execute(
        "SELECT student_no, " + ", ".join(FIELD_LABELS) + " FROM students"  # constant names
        " WHERE student_no IN (SELECT student_no FROM incoming_nos)").fetchall()
    cur.unregister("incoming_nos")
    return {r[0]: dict(zip(FIELD_LABELS, r[1:])) for r in rows}


def _states(cur, nos: list[str]) -> dict[str, dict[str, tuple[str, str | None]]]:
    states: dict[str, dict] = {}
    for no, stage_id, state, reason in cur.execute(
            "SELECT student_no, stage_id, state, reason FROM stage_status"
            " WHERE student_no IN (SELECT unnest($nos))", {"nos": nos}).fetchall():
        states.setdefault(no, {})[stage_id] = (state, reason)
    return states


def import_students(cur, catalogue: Catalogue, df: pd.DataFrame, batch_id: str, actor_name: str,
                    run_id: str, now: datetime) -> ImportedStudents:
    """Upsert the roster's students, give new ones their status rows, and re-derive the stages
    of known students whose fields changed. Raises MarkError (the caller's transaction rolls
    back) if a re-derived mark breaks a marking rule."""
    before = _known(cur, df)
    inserted, updated = upsert_students(cur, df, batch_id, now)
    # Only the known students' rows as dicts: 100,000 new ones would cost seconds for nothing.
    is_known = df["student_no"].isin(list(before))
    incoming = {r["student_no"]: r for r in df[is_known].to_dict("records")}
    moved = {no: field_changes(old, incoming[no]) for no, old in before.items()}
    moved = {no: fields for no, fields in moved.items() if fields}
    states = _states(cur, list(moved))
    marks, items = [], {}
    for no, fields in moved.items():
        old, new = before[no], incoming[no]
        for change in rederive(catalogue, old, new, states.get(no, {})):
            reason = change.why if change.action == "reset" else None
            note = None if change.action == "reset" else change.why
            marks.append(Mark(no, change.stage_id, change.action, reason=reason, note=note, at=now,
                              actor_name=actor_name, source="import", source_ref=run_id))
        items[no] = tuple((catalogue.stage(i.stage_id).name, i)
                          for i in item_changes(catalogue, old["clearance_type"], new["clearance_type"]))
    plan = plan_marks(cur, SYSTEM, marks, catalogue, "import", now)
    if plan.refusals:
        raise MarkError(plan.refusals)
    write_events(cur, plan.changes)
    # New students get their rows after the re-derive, so a known student's changed stages are
    # decided, and listed, by `rederive` alone. Known students already have a row at every
    # stage: the catalogue's sync gives every student the rows of a new stage.
    ensure_status_rows(cur, catalogue, actor_name, "import", now, source_ref=run_id,
                       only=df.loc[~is_known, "student_no"])
    by_student: dict[str, list[StageResult]] = {}
    for c in plan.changes:
        by_student.setdefault(c["student_no"], []).append(StageResult(
            c["stage_id"], catalogue.stage(c["stage_id"]).name, c["state_before"], c["state_after"],
            c["reason"] or c["note"] or ""))
    seq = {s.stage_id: s.seq for s in catalogue.stages}  # listed in the handbook's order
    changes = tuple(
        StudentChanges(no, incoming[no]["name"], tuple(fields),
                       tuple(sorted(by_student.get(no, ()), key=lambda r: seq[r.stage_id])),
                       items.get(no, ()))
        for no, fields in sorted(moved.items()))
    return ImportedStudents(inserted, updated, changes)
