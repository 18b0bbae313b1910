"""What a roster re-import changes beyond the student's row (no I/O).

A student's stages depend on three of their fields: the clearance type (stages and checklist
items not required for 结业/肄业/退学), the college (college-scope stages are marked by that
college's staff) and the political status (a party member cannot be 无需办理 at the party
branch). When a re-import changes one of them, `rederive` says which stages must change and
why; `clearance.store.roster_changes` writes them as events (source `import`) through the one
write path, in the import's transaction.

The decisions, from the handbook:
- A stage no longer required for the new type becomes 无需办理 unless a person passed it.
- A stage that was 无需办理 only because of the old type reopens (× 未办理).
- A rejection whose every reason concerns a checklist item the new type no longer needs
  (a thesis not submitted, for a student now 结业) becomes 无需办理: nothing the office found
  still stands. A rejection with any other reason stays.
- A move to another college reopens every college-scope mark (passed, 无需办理 or 不通过): the
  old college's staff made them, and the new college's secretary, work group and party branch
  must check the student themselves. Stages the new type does not need become 无需办理.
- A new party member's 无需办理 at the party branch reopens: the membership must be transferred.
- A reopened stage reopens every stage that needed it first and is ✓ (研工办 needs all the
  others; the secretary needs the advisor): the handbook lets 研工办 cancel the student card only
  when every other stage is ✓, so a ✓ there given on a basis that no longer holds is withdrawn,
  and the student is listed so the office can call them back.
- Anything else a person passed stays passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clearance.rules.catalogue import DONE_STATES, Catalogue, Stage
from clearance.rules.marking import is_party_member

# The student fields a roster row carries, as the import result names them.
FIELD_LABELS = {
    "name": "姓名", "college": "学院", "level": "培养层次", "clearance_type": "离校类型",
    "campus": "校区", "advisor": "导师", "phone": "手机", "political_status": "政治面貌",
}
REASON_PARTS = re.compile(r"[；;]")


@dataclass(frozen=True)
class StageChange:
    """One stage to change: the action (`reset` → × 未办理, `not_needed`) and why, in Chinese."""

    stage_id: str
    action: str
    why: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)


def field_changes(old: dict, new: dict) -> list[FieldChange]:
    """The roster fields a re-import changes, in the roster's column order."""
    return [FieldChange(f, str(old.get(f) or ""), str(new.get(f) or ""))
            for f in FIELD_LABELS if str(old.get(f) or "") != str(new.get(f) or "")]


def reason_no_longer_applies(stage: Stage, reason: str | None, old_type: str, new_type: str) -> bool:
    """Whether every part of a rejection's reason concerns a checklist item that the old type
    needed and the new type does not (the item's `reason_words` in the catalogue say which
    words of a reason name it)."""
    dropped = [item for item in stage.items
               if new_type in item.not_required_for and old_type not in item.not_required_for]
    words = [w for item in dropped for w in item.reason_words]
    parts = [p.strip() for p in REASON_PARTS.split(reason or "") if p.strip()]
    return bool(words) and bool(parts) and all(any(w in p for w in words) for p in parts)


def _own_change(stage: Stage, state: str, reason: str | None, old: dict, new: dict) -> StageChange | None:
    """The change a stage needs because of the student's own changed fields."""
    sid, old_type, new_type = stage.stage_id, old["clearance_type"], new["clearance_type"]
    exempt_old, exempt_new = old_type in stage.not_required_for, new_type in stage.not_required_for
    if stage.scope == "college" and old["college"] != new["college"]:
        moved = f"学院由{old['college']}改为{new['college']}"
        if exempt_new:
            return None if state == "not_needed" else StageChange(
                sid, "not_needed", f"{moved}，{new_type}学生无需办理此环节")
        if state != "open":
            return StageChange(sid, "reset", f"{moved}，原学院的办理结果作废，须由新学院重新办理")
        return None
    if old_type != new_type:
        changed = f"离校类型改为{new_type}"
        if exempt_new and not exempt_old and state in ("open", "rejected"):
            return StageChange(sid, "not_needed", f"{changed}，无需办理此环节")
        if exempt_old and not exempt_new and state == "not_needed":
            return StageChange(sid, "reset", f"{changed}，须办理此环节")
        if state == "rejected" and reason_no_longer_applies(stage, reason, old_type, new_type):
            return StageChange(sid, "not_needed", f"{changed}，原不通过原因“{reason}”不再适用")
    if (stage.not_needed_only_for_non_members and state == "not_needed"
            and not is_party_member(old["political_status"] or "")
            and is_party_member(new["political_status"] or "")):
        return StageChange(sid, "reset", f"政治面貌改为{new['political_status']}，须转出党组织关系")
    return None


def rederive(catalogue: Catalogue, old: dict, new: dict,
             states: dict[str, tuple[str, str | None]]) -> list[StageChange]:
    """The stage changes one student's re-imported fields call for, in an order the marking
    rules accept (a stage reopens after the stages that depend on it)."""
    own = {}
    for stage in catalogue.stages:
        state, reason = states.get(stage.stage_id, ("open", None))
        change = _own_change(stage, state, reason, old, new)
        if change:
            own[stage.stage_id] = change
    after = {sid: states.get(sid, ("open", None))[0] for sid in catalogue.stage_ids}
    for sid, change in own.items():
        after[sid] = "open" if change.action == "reset" else "not_needed"
    cascade: dict[str, StageChange] = {}
    reopened = [sid for sid, c in own.items() if c.action == "reset"]
    while reopened:
        sid = reopened.pop(0)
        for dep in catalogue.dependents(sid):
            if after[dep.stage_id] in DONE_STATES and dep.stage_id not in cascade:
                after[dep.stage_id] = "open"
                why = f"须先完成的“{catalogue.stage(sid).name}”已重新打开，此环节须重新办理"
                cascade[dep.stage_id] = StageChange(dep.stage_id, "reset", why)
                own.pop(dep.stage_id, None)
                reopened.append(dep.stage_id)
    # Dependents reopen first (the last stage first), then their prerequisites, then the rest.
    resets = sorted([*cascade.values(), *(c for c in own.values() if c.action == "reset")],
                    key=lambda c: (not catalogue.stage(c.stage_id).final,
                                   -catalogue.stage(c.stage_id).seq))
    return resets + [c for c in own.values() if c.action != "reset"]


@dataclass(frozen=True)
class ItemChange:
    """A checklist item that a new clearance type drops (无需办理) or adds (须办理)."""

    stage_id: str
    item: str
    needed: bool


def item_changes(catalogue: Catalogue, old_type: str, new_type: str) -> list[ItemChange]:
    """Checklist items (the thesis, for 毕业 ↔ 结业/肄业/退学) the new type no longer needs or
    now needs, within stages the new type still has."""
    changes = []
    for stage in catalogue.stages:
        if old_type == new_type or new_type in stage.not_required_for:
            continue
        for item in stage.items:
            was, now = old_type not in item.not_required_for, new_type not in item.not_required_for
            if was != now:
                changes.append(ItemChange(stage.stage_id, item.text, now))
    return changes
