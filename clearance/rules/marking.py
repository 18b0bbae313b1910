"""The marking rules: actions, labels, sources, a mark, and the check of one mark (no I/O).

`clearance.store.marks` loads the students' state and asks `check_mark` about each mark of a
call in order; the first refusal reason is the one every path (page, bulk, card, feed, API) shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Mapping

from clearance.rules.actors import Actor
from clearance.rules.batches import closed_refusal
from clearance.rules.catalogue import DONE_STATES, PARTY_MEMBER_STATUSES, Catalogue, Stage

# action → state after it
ACTIONS = {"pass": "passed", "not_needed": "not_needed", "reject": "rejected", "reset": "open"}
ACTION_LABELS = {"pass": "通过", "not_needed": "无需办理", "reject": "不通过", "reset": "撤销"}
STATE_LABELS = {"passed": "✓ 已办理", "not_needed": "✓ 无需办理", "open": "× 未办理", "rejected": "× 不通过"}
SOURCES = {
    "page": "办理页面", "bulk": "批量通过", "feed": "系统对接", "card": "刷卡",
    "import": "名单导入", "catalogue": "环节配置", "demo": "演示数据", "api": "接口",
    "instant": "回车即通过",
}
# Sources where nobody looks at the student before the pass: a × 不通过 is not overturned
# (nor, in bulk, a party member passed) unless a person confirmed that student.
UNLOOKED_SOURCES = ("bulk", "instant")
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
    # What the desk checked and collected (a pass only): {"checked": [item texts],
    # "fields": {field id: value}}, as the stage's catalogue entry defines it.
    evidence: Mapping | None = None
    # A person looked at this student on purpose: a bulk pass may then overturn a × 不通过 or
    # pass a party member at the party branch.
    confirmed: bool = False


MAX_FIELD_CHARS = 100


def _money(value) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def _field_value(kind: str, field_choices: tuple[str, ...], value) -> str | None:
    """The value as stored (text), or None when it is not a value of this kind."""
    text = str(value).strip() if value is not None else ""
    if not text or len(text) > MAX_FIELD_CHARS:
        return None
    if kind == "choice":
        return text if text in field_choices else None
    if kind == "money":
        amount = _money(text)
        return None if amount is None else f"{amount:.2f}"
    if kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    return text


def check_evidence(stage: Stage, student: Mapping, evidence: Mapping | None) -> tuple[str | None, dict]:
    """(why a pass's evidence is refused or None, the evidence as stored). Required ticks are
    the stage's required items for the student's type; typed fields are checked by kind."""
    evidence = evidence or {}
    items = stage.items_for(student["clearance_type"])
    checked = [str(c) for c in evidence.get("checked", [])]
    # A tick of an item this student's type is exempt from is dropped, not refused: one desk
    # form serves every type (回车即通过, a bulk pass).
    unknown = [c for c in checked if c not in {i.text for i in stage.items}]
    if unknown:
        return f"“{stage.name}”没有核对事项“{unknown[0]}”", {}
    missing = [i.text for i in items if i.required and i.text not in checked]
    if missing:
        return f"“{stage.name}”通过须核对：{'、'.join(missing)}", {}
    raw_fields = dict(evidence.get("fields", {}))
    known = {f.field_id: f for f in stage.fields}
    extra = [k for k in raw_fields if k not in known]
    if extra:
        return f"“{stage.name}”没有办理记录字段“{extra[0]}”", {}
    values: dict[str, str] = {}
    for f in stage.fields:
        raw = raw_fields.get(f.field_id)
        if raw is None or str(raw).strip() == "":
            continue
        value = _field_value(f.kind, f.choices, raw)
        if value is None:
            return f"“{stage.name}”的“{f.label}”不是有效的{_KIND_WORDS[f.kind]}：{str(raw)[:40]}", {}
        values[f.field_id] = value
    member = is_party_member(student.get("political_status"))
    absent = [f.label for f in stage.fields if f.applies(values, member) and f.field_id not in values]
    if absent:
        return f"“{stage.name}”通过须填写：{'、'.join(absent)}", {}
    return None, {"checked": [i.text for i in items if i.text in checked], "fields": values}


_KIND_WORDS = {"text": "文字（100 字以内）", "choice": "选项", "date": "日期（如 2018-06-20）",
               "money": "金额（元，最多两位小数）"}


def _card_balance_settled(stage: Stage, student: Mapping, evidence: dict) -> str | None:
    """一卡通: the card centre's balance is 0, or this pass records a settlement covering it."""
    balance = student.get("card_balance")
    if balance is None or Decimal(str(balance)) <= 0:
        return None
    settled = _money(evidence.get("fields", {}).get("settled_amount", "0")) or Decimal(0)
    if settled >= Decimal(str(balance)):
        return None
    return f"卡内余额 {Decimal(str(balance)):.2f} 元尚未结算，“{stage.name}”不能通过"


PRECONDITIONS = {"card_balance_settled": _card_balance_settled}


def describe_evidence(stage: Stage, evidence: Mapping | None) -> str:
    """A pass's evidence in one Chinese line, for the history, 办理抽查 and exports."""
    if not evidence:
        return ""
    parts = []
    labels = {f.field_id: f.label.split("（")[0] for f in stage.fields}
    for key, value in (evidence.get("fields") or {}).items():
        parts.append(f"{labels.get(key, key)}：{value}")
    checked = evidence.get("checked") or []
    if checked:
        parts.append("已核对：" + "、".join(checked))
    return "；".join(parts)


def _stage_names(catalogue: Catalogue, ids) -> str:
    return "、".join(catalogue.stage(i).name for i in ids)


def action_refusal(stage: Stage, action: str, clearance_type: str) -> str | None:
    """Why the catalogue does not allow this action here (None if it does). A page shows the
    same words on the button it disables."""
    if stage.allows(action, clearance_type):
        return None
    return f"“{stage.name}”不能{ACTION_LABELS[action]}（环节配置不允许）"


def missing_prerequisites(stage: Stage, state_of: Mapping[str, str]) -> list[str]:
    """The stage ids that must be ✓ before `stage` can be passed and are not; `state_of` maps a
    stage id to the student's state there (absent = open). The pages show exactly this."""
    return [p for p in stage.prerequisites if state_of.get(p, "open") not in DONE_STATES]


def advised_first(stage: Stage, state_of: Mapping[str, str]) -> list[str]:
    """The stage ids the handbook advises to finish before `stage` (advice_after) that are not
    ✓ yet: shown at the desk before its pass, never enforced."""
    return [p for p in stage.advice_after if state_of.get(p, "open") not in DONE_STATES]


def is_party_member(political_status: str | None) -> bool:
    """中共党员 and 中共预备党员 transfer their membership; everyone else (群众, 共青团员, 非党员…)
    is 无需办理 at the party branch. Exact values: "非党员" contains "党员" and is not one."""
    return (political_status or "").strip() in PARTY_MEMBER_STATUSES


def check_mark(mark: Mark, actor: Actor, catalogue: Catalogue, students: dict, states: dict,
               source: str = "page", evidence_check=None) -> str | None:
    """Why this mark is refused, or None. `states` already holds earlier marks of the same call.
    A pass's evidence must be valid too: `check_evidence` (the write path stores its result)."""
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
    refused = action_refusal(stage, mark.action, student["clearance_type"])
    if refused:
        return f"{who}：{refused}"
    bulk = (mark.source or source) == "bulk"
    if bulk and not stage.bulk:
        return f"{who}：“{stage.name}”须逐人核对办理，不能批量通过"
    if (mark.source or source) in UNLOOKED_SOURCES and mark.action == "pass" and not mark.confirmed:
        before, before_reason = states.get((mark.student_no, mark.stage_id), ("open", None))
        if before == "rejected":
            return (f"{who}：“{stage.name}”此前为 × 不通过（{before_reason or '未填写原因'}），"
                    f"须逐人确认后才能通过")
        if (bulk and stage.not_needed_only_for_non_members
                and is_party_member(student["political_status"])):
            return f"{who}：{student['political_status']}须转出党组织关系，批量通过须逐人确认"
    if (mark.action == "not_needed" and stage.not_needed_only_for_non_members
            and is_party_member(student["political_status"])):
        return (f"{who}：{student['political_status']}须转出党组织关系，"
                f"“{stage.name}”不能标记为无需办理")
    if mark.action == "reject" and not (mark.reason or "").strip():
        return f"{who}：“{stage.name}”不通过必须填写原因"
    # A desk's 撤销 is explained to staff (a note in the log), not to the student: the student
    # sees the stage open again. A connected system's 撤销 tells the student why (a reason).
    if mark.action == "reset" and not ((mark.reason or "").strip() or (mark.note or "").strip()):
        return f"{who}：“{stage.name}”撤销必须填写说明"
    if mark.action != "pass" and mark.evidence:
        return f"{who}：只有通过才记录核对材料"
    if mark.action in ("pass", "not_needed"):
        missing = missing_prerequisites(
            stage, {p: states.get((mark.student_no, p), ("open", None))[0] for p in stage.prerequisites})
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
    if mark.action == "pass":  # the order, then what this pass records
        problem, evidence = (evidence_check or check_evidence)(stage, student, mark.evidence)
        if problem:
            return f"{who}：{problem}"
        for pre in stage.preconditions:
            problem = PRECONDITIONS[pre](stage, student, evidence)
            if problem:
                return f"{who}：{problem}"
    return None


def form_chain(stage: Stage, actor: Actor, catalogue: Catalogue,
               state_of: Mapping[str, str]) -> list[Stage]:
    """The stages one pass at `stage` records when the staff member holds the stage's open
    prerequisites too (the college secretary registers the advisor's signed form, then passes
    their own stage): those prerequisites in the handbook's order, then `stage` itself. The
    write path records them in one transaction, in this order."""
    held = set(actor.stages) if actor.role != "admin" else set(catalogue.stage_ids)
    chain = [p for p in missing_prerequisites(stage, state_of) if p in held and p != "*"]
    if not chain or stage.final:
        return [stage]
    return [catalogue.stage(p) for p in sorted(chain, key=lambda i: catalogue.stage(i).seq)] + [stage]
