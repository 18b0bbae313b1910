"""The marking rules: actions, labels, sources, a mark, and the check of one mark (no I/O).

`clearance.store.marks` loads the students' state and asks `check_mark` about each mark of a
call in order; the first refusal reason is the one every path (page, bulk, card, feed, API) shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clearance.rules.actors import Actor
from clearance.rules.batches import closed_refusal
from clearance.rules.catalogue import DONE_STATES, Catalogue

# action → state after it
ACTIONS = {"pass": "passed", "not_needed": "not_needed", "reject": "rejected", "reset": "open"}
ACTION_LABELS = {"pass": "通过", "not_needed": "无需办理", "reject": "不通过", "reset": "撤销"}
STATE_LABELS = {"passed": "✓ 已办理", "not_needed": "✓ 无需办理", "open": "× 未办理", "rejected": "× 不通过"}
SOURCES = {
    "page": "办理页面", "bulk": "批量通过", "feed": "系统对接", "card": "刷卡",
    "import": "名单导入", "catalogue": "环节配置", "demo": "演示数据", "api": "接口",
}
MAX_ERRORS_SHOWN = 50


class MarkError(Exception):
    """One or more marks were refused; nothing was written. `errors` are Chinese sentences."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n……另有 {len(errors) - len(shown)} 条" if len(errors) > len(shown) else ""
        super().__init__("\n".join(shown) + more)


@dataclass(frozen=True)
class Mark:
    student_no: str
    stage_id: str
    action: str
    reason: str | None = None
    note: str | None = None
    at: datetime | None = None
    # Only a system actor may record a mark on behalf of someone else (demo data, feeds).
    actor_name: str | None = None
    source: str | None = None
    source_ref: str | None = None


def _stage_names(catalogue: Catalogue, ids) -> str:
    return "、".join(catalogue.stage(i).name for i in ids)


def is_party_member(political_status: str) -> bool:
    """中共党员 and 中共预备党员 transfer their membership; everyone else is 无需办理 at the party
    branch."""
    return "党员" in political_status


def check_mark(mark: Mark, actor: Actor, catalogue: Catalogue, students: dict, states: dict,
           source: str = "page") -> str | None:
    """Why this mark is refused, or None. `states` already holds earlier marks of the same call."""
    who = f"学号 {mark.student_no}"
    if mark.action not in ACTIONS:
        return f"{who}：未知的操作“{mark.action}”"
    student = students.get(mark.student_no)
    if student is None:
        return f"{who}：查无此学生"
    who = f"{student['name']}（{mark.student_no}）"
    if student.get("batch_closed"):  # a closed batch is read-only, whoever asks
        return f"{who}：{closed_refusal(student['batch_id'], student.get('batch_title'))}"
    if mark.stage_id not in catalogue.stage_ids:
        return f"{who}：未知的环节“{mark.stage_id}”"
    stage = catalogue.stage(mark.stage_id)
    if (mark.actor_name or mark.source) and actor.role != "system":
        return f"{who}：只有系统可以代他人记录办理结果"
    if not actor.may_mark(stage, student["college"]):
        return f"{who}：{actor.display_name or actor.username} 无权办理{student['college']}学生的“{stage.name}”环节"
    if (mark.source or source) == "bulk" and not stage.bulk:
        return f"{who}：“{stage.name}”须逐人核对办理，不能批量通过"
    if (mark.action == "not_needed" and stage.not_needed_only_for_non_members
            and is_party_member(student["political_status"])):
        return (f"{who}：{student['political_status']}须转出党组织关系，"
                f"“{stage.name}”不能标记为无需办理")
    if mark.action in ("reject", "reset") and not (mark.reason or "").strip():
        return f"{who}：“{stage.name}”{ACTION_LABELS[mark.action]}必须填写原因"
    if mark.action in ("pass", "not_needed"):
        missing = [
            p for p in stage.prerequisites
            if states.get((mark.student_no, p), ("open", None))[0] not in DONE_STATES
        ]
        if missing:
            if stage.final:
                return (f"{who}：“{stage.name}”是最后环节，须其他环节全部 ✓ 后才能办理，"
                        f"尚未完成：{_stage_names(catalogue, missing)}")
            return f"{who}：“{stage.name}”须先完成：{_stage_names(catalogue, missing)}"
    else:
        blocking = [
            d.stage_id for d in catalogue.dependents(mark.stage_id)
            if states.get((mark.student_no, d.stage_id), ("open", None))[0] in DONE_STATES
        ]
        if blocking:
            return (f"{who}：“{_stage_names(catalogue, blocking)}”已办理，"
                    f"须先撤销它才能{ACTION_LABELS[mark.action]}“{stage.name}”")
    return None
