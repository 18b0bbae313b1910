"""The diploma desk: certificates go only to students whose every stage is ✓.

The seed: “办理完毕所有离校手续才能到所在学院领取毕业证书（结业/肄业证书）、学位证书”.
A hand-over is recorded once per student and certificate, with who received it, when, and
which staff account recorded it; the rule is checked here, whatever a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clearance.rules.actors import Actor
from clearance.rules.handout import handover_date_warning
from clearance.rules.catalogue import DONE_STATES
from clearance.clock import beijing_now
from clearance.store.db import Store

KINDS = ("diploma", "degree")
# The certificate a clearance type leaves with (退学 leaves with none of these).
DIPLOMA_NAMES = {"毕业": "毕业证书", "结业": "结业证书", "肄业": "肄业证书"}
DEGREE_NAME = "学位证书"
DEGREE_TYPES = ("毕业",)  # only graduates may be awarded a degree
DESK_ROLES = ("admin", "gradschool", "college")


class DiplomaError(Exception):
    """A hand-over was refused; nothing was written. The message is Chinese."""


@dataclass(frozen=True)
class Handover:
    handover_id: int
    student_no: str
    kind: str
    received_by: str
    handed_at: datetime
    recorded_by: str
    certificate: str = ""        # the certificate's own name (结业证书, 学位证书, …)
    warning: str | None = None   # e.g. dated outside the batch's hand-out period


def certificates_for(clearance_type: str) -> dict[str, str]:
    """kind → certificate name a student of this clearance type may receive."""
    found = {}
    if clearance_type in DIPLOMA_NAMES:
        found["diploma"] = DIPLOMA_NAMES[clearance_type]
    if clearance_type in DEGREE_TYPES:
        found["degree"] = DEGREE_NAME
    return found


def _refusal(cur, actor: Actor, student_no: str, kind: str) -> str | None:
    if actor.role not in DESK_ROLES:
        return f"{actor.display_name or actor.username} 无权登记证书发放"
    rows = cur.execute(
        "SELECT name, college, clearance_type FROM students WHERE student_no = $no",
        {"no": student_no},
    ).fetchall()
    if not rows:
        return f"学号 {student_no}：查无此学生"
    name, college, clearance_type = rows[0]
    who = f"{name}（{student_no}）"
    if not actor.sees_college(college):
        return f"{who}：{actor.display_name or actor.username} 只能登记本学院（{actor.college}）学生的证书发放"
    names = certificates_for(clearance_type)
    if kind not in names:
        label = DEGREE_NAME if kind == "degree" else "毕（结、肄）业证书"
        return f"{who}：离校类型为“{clearance_type}”，不发放{label}"
    open_stages = [r[0] for r in cur.execute(
        "SELECT g.name FROM stage_status x JOIN stages g USING (stage_id)"
        " WHERE x.student_no = $no AND x.state NOT IN (SELECT unnest($done)) ORDER BY g.seq",
        {"no": student_no, "done": list(DONE_STATES)},
    ).fetchall()]
    if open_stages:
        return f"{who}：离校手续尚未全部办结（未完成：{'、'.join(open_stages)}），不能发放{names[kind]}"
    if cur.execute(
        "SELECT count(*) FROM diploma_handovers WHERE student_no = $no AND kind = $kind",
        {"no": student_no, "kind": kind},
    ).fetchall()[0][0]:
        return f"{who}：{names[kind]}已登记发放，不能重复登记"
    return None


def record_handover(store: Store, actor: Actor, student_no: str, kind: str,
                    received_by: str = "本人", handed_at: datetime | None = None,
                    note: str | None = None, source: str = "page") -> Handover:
    """Record that a certificate was handed over. Raises DiplomaError (writing nothing) if the
    student is not fully cleared, the certificate does not apply, it was already handed over, or
    the actor may not record it."""
    if kind not in KINDS:
        raise DiplomaError(f"未知的证书类型“{kind}”")
    received_by = (received_by or "").strip()
    if not received_by:
        raise DiplomaError("请填写领取人（本人或代领人姓名）")
    now = beijing_now()
    handed_at = handed_at or now
    with store.transaction() as cur:
        problem = _refusal(cur, actor, student_no, kind)
        if problem:
            raise DiplomaError(problem)
        clearance_type, batch = _student_batch(cur, student_no)
        new_id = cur.execute(
            "SELECT coalesce(max(handover_id), 0) + 1 FROM diploma_handovers").fetchall()[0][0]
        cur.execute(
            "INSERT INTO diploma_handovers VALUES ($id, $no, $kind, $by, $at, $note, $actor, $now, $src)",
            {"id": new_id, "no": student_no, "kind": kind, "by": received_by, "at": handed_at,
             "note": (note or "").strip() or None, "actor": actor.username, "now": now,
             "src": source},
        )
    return Handover(new_id, student_no, kind, received_by, handed_at, actor.username,
                    certificate=certificates_for(clearance_type)[kind],
                    warning=handover_date_warning(batch, handed_at))


def _student_batch(cur, student_no: str) -> tuple[str, dict]:
    cur.execute(
        "SELECT s.clearance_type, b.diploma_start, b.diploma_end, b.diploma_start_part FROM students s"
        " JOIN batches b USING (batch_id) WHERE s.student_no = $no", {"no": student_no})
    clearance_type, start, end, part = cur.fetchall()[0]
    return clearance_type, {"diploma_start": start, "diploma_end": end, "diploma_start_part": part}
