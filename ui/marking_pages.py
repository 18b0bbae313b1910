"""What the desk pages (办理, 待办名单) share: the stages a staff member works, the stage
picker, labels for states and actions, and moving the keyboard focus for a queue at a desk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
import streamlit as st

from clearance.adapters.limits import client_of
from clearance.rules.actors import Actor
from clearance.rules.catalogue import Catalogue, Stage
from clearance.store.db import get_catalogue
from clearance.rules.catalogue import DONE_STATES
from clearance.rules.marking import action_refusal, describe_evidence, is_party_member, missing_prerequisites
from clearance.rules.student_view import campus_label
from clearance.store.marks import (ACTION_LABELS, SOURCES, STATE_LABELS, Mark, MarkError, Plan, apply_marks,
                                   preview_marks)
from ui.data import store
from ui.text import plain

LOOKUP_LABEL = "学号 / 姓名 / 姓名拼音首字母"


def catalogue() -> Catalogue:
    return get_catalogue(store())


def desk_stages(actor: Actor) -> list[Stage]:
    """The stages this staff member marks, in the handbook's order (admin: every stage)."""
    stages = catalogue().stages
    if actor.role == "admin":
        return list(stages)
    return [s for s in stages if s.stage_id in actor.stages]


def college_scope(actor: Actor) -> str | None:
    """College staff see their own college only; everyone else sees every college."""
    return actor.college if actor.role == "college" else None


def pick_stage(actor: Actor) -> Stage | None:
    """The stage this desk works now. Shared by the desk pages (one session_state key)."""
    stages = desk_stages(actor)
    if not stages:
        return None
    ids = [s.stage_id for s in stages]
    if st.session_state.get("desk_stage") not in ids:
        # A secretary holding 导师 and 教务秘书 starts on 教务秘书: one pass records both.
        chained = [s.stage_id for s in stages if actor.role != "admin" and s.prerequisites
                   and set(s.prerequisites) <= set(ids)]
        st.session_state["desk_stage"] = chained[0] if chained else ids[0]
    if len(stages) > 1:
        names = {s.stage_id: s.name for s in stages}
        st.radio("办理环节", ids, key="desk_stage", horizontal=True, format_func=names.get)
    return catalogue().stage(st.session_state["desk_stage"])


# Feeds from other campus systems mark as "feed:<system>"; staff see the system's name.
FEED_NAMES = {"finance": "财务处系统", "loan": "助学贷款系统", "library": "图书馆系统",
              "hospital": "校医院系统", "card": "一卡通系统", "dorm": "公寓系统"}


def who(actor_name) -> str:
    if not isinstance(actor_name, str):
        return ""
    if actor_name.startswith("feed:"):
        system = actor_name.removeprefix("feed:")
        return FEED_NAMES.get(system, f"{system} 系统")
    return actor_name


def student_row_table(row: pd.DataFrame, current_stage: str | None = None) -> pd.DataFrame:
    """A student's row at every stage as a table for staff (▶ marks this desk's stage), every
    cell as literal text for st.table (which reads cells as markdown). Twelve rows: plain
    Python per cell, not pandas' per-column machinery (a desk redraws this per student)."""
    def when(t) -> str:
        return "" if t is None or pd.isna(t) else f"{t:%Y-%m-%d %H:%M}"

    rows = [{
        "环节": ("▶ " if r.stage_id == current_stage else "") + r.stage_name,
        "状态": STATE_LABELS.get(r.state, r.state),
        "原因/说明": "" if not isinstance(r.reason, str) else r.reason,
        "办理人": who(r.updated_by),
        "时间": when(r.updated_at),
        "方式": SOURCES.get(r.source, r.source) if isinstance(r.source, str) else "",
    } for r in row.itertuples(index=False)]
    return pd.DataFrame([{k: plain(v) for k, v in r.items()} for r in rows],
                        columns=["环节", "状态", "原因/说明", "办理人", "时间", "方式"])


def evidence_text(stage_id: str, evidence) -> str:
    """A stored pass's evidence (JSON text) as one line for people."""
    if not isinstance(evidence, str) or not evidence:
        return ""
    try:
        stage = catalogue().stage(stage_id)
    except KeyError:  # a stage since removed from the catalogue
        return ""
    return describe_evidence(stage, json.loads(evidence))


def evidence_inputs(stage: Stage, clearance_type: str | None, key: str) -> dict:
    """The stage's checklist as ticks and its typed fields as inputs; returns the evidence as
    the domain takes it. Which are required, and whether the values fit, is the domain's
    business (`clearance.rules.marking.check_evidence`); required ones carry a *."""
    items = stage.items_for(clearance_type) if clearance_type else list(stage.items)
    for i in items:
        st.checkbox(i.text + (" *" if i.required else ""), key=f"{key}_item_{i.text}")
    values = evidence_state(stage, key)["fields"]
    for f in stage.fields:
        # * where a pass needs it now (授权人姓名 once 导师授权人 is chosen); member-only fields
        # say so in their label.
        label = f.label + (" *" if f.applies(values, member=False) else "")
        if f.kind == "choice":
            st.radio(label, f.choices, index=None, horizontal=True, key=f"{key}_{f.field_id}")
        elif f.kind == "date":
            st.date_input(label, value=None, key=f"{key}_{f.field_id}", format="YYYY-MM-DD")
        else:
            st.text_input(label, key=f"{key}_{f.field_id}")
    return evidence_state(stage, key)


def evidence_state(stage: Stage, key: str) -> dict:
    """The evidence the inputs of `evidence_inputs` hold now (readable in a button callback)."""
    state = st.session_state
    checked = [i.text for i in stage.items if state.get(f"{key}_item_{i.text}")]
    values = {}
    for f in stage.fields:
        value = state.get(f"{key}_{f.field_id}")
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        if value not in (None, ""):
            values[f.field_id] = value
    return {"checked": checked, "fields": values}


def clear_evidence(stage: Stage, key: str) -> None:
    """Untick and empty the evidence inputs (after a pass: the next student starts afresh)."""
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{key}_")]:
        del st.session_state[name]


def history_table(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "时间": events["marked_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M:%S}"),
        "环节": events["stage_name"],
        "操作": events["action"].map(ACTION_LABELS),
        "结果": events["state_after"].map(STATE_LABELS),
        "原因/说明": events["reason"].fillna(events["note"]).fillna(""),
        "操作人": events["actor_name"].map(who),
        "方式": events["source"].map(lambda s: SOURCES.get(s, s)),
        "终端": events["source_ref"].map(terminal_label),
        "核对材料": [evidence_text(s, e) for s, e in zip(events["stage_id"], events["evidence"])],
    })


def terminal_label(ref) -> str:
    """A mark's source_ref for people: a desk's address (IPv4 without the IPv6 mapping prefix),
    or the import run that made it."""
    if not isinstance(ref, str) or not ref:
        return ""
    if ref.startswith("ip:"):
        return ref[3:].removeprefix("::ffff:")
    return f"导入 {ref}"


def desk_ref() -> str | None:
    """Where a page mark comes from, for the history: the desk's address — behind the reverse
    proxy the right-most X-Forwarded-For hop that is not a trusted proxy (the same rule as the
    student page's limiter, so a forged header is not believed; IPv4-mapped unwrapped);
    informational. No request at all (AppTest) is 本机."""
    try:
        headers = st.context.headers
        peer = st.context.ip_address
    except Exception:  # bare mode has no request
        return None
    if not headers:
        return "ip:本机"
    return f"ip:{client_of(peer, headers)}"


def flash(kind: str, lines: list[str] | str) -> None:
    """A message shown once, on the next run (actions run in callbacks before the page)."""
    st.session_state["desk_flash"] = (kind, [lines] if isinstance(lines, str) else list(lines))


def show_flash() -> None:
    message = st.session_state.pop("desk_flash", None)
    if message:
        kind, lines = message
        getattr(st, kind)("\n\n".join(plain(line) for line in lines))  # data: names, reasons


def mark_at_desk(actor: Actor, student_no: str, stage: Stage, action: str, reason: str | None,
                 name: str, desk: str | None, evidence: dict | None = None,
                 source: str = "page", note: str | None = None,
                 before: tuple[tuple[Stage, dict], ...] = ()) -> tuple[bool, str, list[str]]:
    """One mark from the marking page or the card desk: (accepted, message kind, message
    lines). The page's whole write path, so tests can drive it from many threads at once.
    `before`: passes recorded first in the same transaction (the secretary's signed form
    passes 导师, then 教务秘书: `clearance.rules.marking.form_chain`)."""
    marks = [Mark(student_no, s.stage_id, "pass", source_ref=desk, evidence=e) for s, e in before]
    marks.append(Mark(student_no, stage.stage_id, action, reason, note, source_ref=desk, evidence=evidence))
    try:
        result = apply_marks(store(), actor, marks, source=source)
    except MarkError as exc:
        return False, "error", ["操作未执行：" + exc.errors[0]] + exc.errors[1:]
    done = "无变化（已是该状态）" if result.changed == 0 else f"已{ACTION_LABELS[action]}"
    names = "”“".join([s.name for s, _ in before] + [stage.name])
    return True, "success", [f"{name}（{student_no}）“{names}”{done}"]


def bulk_marks(stage: Stage, action: str, nos: list[str], confirmed: set[str],
               evidence: dict | None) -> list[Mark]:
    """A bulk or list pass's marks: the same evidence for each; `confirmed` are the students a
    person ticked one by one (a × 不通过 to overturn, a party member)."""
    return [Mark(no, stage.stage_id, action, evidence=evidence if action == "pass" else None,
                 confirmed=no in confirmed) for no in nos]


def preview_bulk(actor: Actor, marks: list[Mark]) -> Plan:
    return preview_marks(store(), actor, marks, source="bulk")


def apply_bulk(actor: Actor, stage: Stage, action: str, marks: list[Mark]) -> tuple[bool, str, list[str]]:
    """The bulk/list pass's write path (待办名单): one transaction, all or nothing."""
    try:
        result = apply_marks(store(), actor, marks, source="bulk")
    except MarkError as exc:
        return False, "error", ["操作未执行，没有办理任何学生（名单在确认前发生了变化，请重新预览）："] + exc.errors[:20]
    return True, "success", [f"已{ACTION_LABELS[action]} {result.changed} 人（{stage.name}）"]


@dataclass(frozen=True)
class DeskStudent:
    """One student as the 办理 page shows them, with this desk's stage (if any)."""

    student_no: str
    name: str
    clearance_type: str
    details: str  # college · level · type · campus · advisor · phone · politics · batch
    open_names: tuple[str, ...]  # stages not yet ✓, in the handbook's order
    row: pd.DataFrame = field(compare=False)  # student_row_table, ready to show
    state: str | None = None  # this desk's stage
    reason: str = ""
    brings: str = ""
    missing: tuple[str, ...] = ()  # prerequisites of this stage not yet ✓ (names)
    not_needed_refusal: str | None = None  # why 无需办理 is not allowed here (None: allowed)
    states: tuple[tuple[str, str], ...] = ()  # (stage id, state) at every stage


def load_desk_student(read: Callable, student_no: str | None, stage: Stage | None,
                      scope: str | None) -> DeskStudent | None:
    """The 办理 page's data step: None when nobody (of this college) is chosen."""
    profile = read("student_profile", student_no=student_no) if student_no else None
    if profile is None or profile.empty or (scope and profile.iloc[0]["college"] != scope):
        return None
    p = profile.iloc[0]
    row = read("student_row", student_no=student_no)
    names = dict(zip(row["stage_id"], row["stage_name"]))
    states = dict(zip(row["stage_id"], row["state"]))
    view = DeskStudent(
        student_no=student_no, name=p["name"], clearance_type=p["clearance_type"],
        details=(f"{p['college']} · {p['level']} · {p['clearance_type']} · {campus_label(p['campus'])} · "
                 f"导师 {p['advisor']} · 手机 {p['phone'] or '—'} · {p['political_status']} · "
                 f"{p['batch_title']}"),
        open_names=tuple(row.loc[~row["state"].isin(DONE_STATES), "stage_name"]),
        row=student_row_table(row, stage.stage_id if stage else None),
    )
    if stage is None:
        return view
    here = row.set_index("stage_id").loc[stage.stage_id]
    return DeskStudent(**{
        **view.__dict__,
        "state": here["state"], "reason": here["reason"] if isinstance(here["reason"], str) else "",
        "brings": stage.brings_for(p["clearance_type"]),
        "missing": tuple(names[g] for g in missing_prerequisites(stage, states)),
        "not_needed_refusal": action_refusal(stage, "not_needed", p["clearance_type"]),
        "states": tuple(states.items()),
    })


def load_history(read: Callable, student_no: str) -> pd.DataFrame:
    """A student's marks for the 办理 page's 办理记录, read only when someone opens it."""
    return history_table(read("student_history", student_no=student_no))


@dataclass(frozen=True)
class Queue:
    """The 待办名单 page's data: who still waits at a stage, as the page shows them."""

    table: pd.DataFrame = field(compare=False)  # 学号, 姓名, 学院, …, 其他未完成环节
    # 学号 the party branch may mark 无需办理 in one action (non-members only; empty elsewhere)
    non_members: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.table)


def load_queue(read: Callable, stage: Stage, batch_id: str, college: str | None, campus: str | None,
               level: str | None, clearance_type: str | None, ready_only: bool) -> Queue:
    """The 待办名单 page's data step. `ready_only`: only students whose every other stage is ✓
    (the final stage's default view: those who can be done now)."""
    pending = read("pending_queue", stage=stage.stage_id, batch=batch_id, college=college,
                   campus=campus, level=level, clearance_type=clearance_type)
    if ready_only:
        pending = pending[pending["other_open"] == 0].reset_index(drop=True)
    table = pd.DataFrame({
        "学号": pending["student_no"], "姓名": pending["name"], "学院": pending["college"],
        "校区": pending["campus"], "层次": pending["level"], "类型": pending["clearance_type"],
        "政治面貌": pending["political_status"],
        "状态": pending["state"].map({"open": "× 未办理", "rejected": "× 不通过"}),
        "原因": pending["reason"].fillna(""),
        "其他未完成环节": pending["other_open_names"].replace("", "—（均已 ✓）"),
    })
    non_members = ()
    if stage.not_needed_only_for_non_members:
        non_members = tuple(pending.loc[~pending["political_status"].map(is_party_member), "student_no"])
    return Queue(table, non_members)


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


@dataclass(frozen=True)
class CardStudent:
    """The student of a tapped or typed card, as the 刷卡办理 page shows them."""

    student_no: str
    name: str
    clearance_type: str
    details: str  # college · level · type · campus
    card_line: str  # the card and its balance ('' when the card centre sent none)
    open_lines: tuple[str, ...]  # each open stage: where to go, phone, reason
    table: pd.DataFrame = field(compare=False)  # every stage ✓/×
    stages: pd.DataFrame = field(compare=False)  # student_stages rows (for the desk's stage)


def load_card_student(read: Callable, student_no: str) -> CardStudent | None:
    """The 刷卡办理 page's data step: None when the card's 学号 is not on the roster."""
    profile = read("student_profile", student_no=student_no)
    if profile.empty:
        return None
    p = profile.iloc[0]
    stages = read("student_stages", student_no=student_no)
    done = stages["state"].isin(DONE_STATES)
    cards = read("student_card", student_no=student_no)
    card_line = ""
    if not cards.empty and not pd.isna(cards.iloc[0]["balance"]):
        card_line = (f"校园卡 {plain(cards.iloc[0]['card_no'] or cards.iloc[0]['uid'])}，"
                     f"卡内余额 **{cards.iloc[0]['balance']:.2f} 元**")
    open_lines = tuple(f"- **{r.stage_name}**：{_text(r.room) or '—'}"
                       + (f"，电话 {_text(r.phone)}" if _text(r.phone) else "")
                       + (f"（{plain(_text(r.reason))}）" if _text(r.reason) else "")
                       for r in stages[~done].itertuples())
    table = pd.DataFrame({
        "": ["✓" if d else "×" for d in done],
        "环节": stages["stage_name"],
        "状态": stages["state"].map({"passed": "已办理", "not_needed": "无需办理",
                                   "open": "未办理", "rejected": "不通过"}),
        "说明": stages["reason"].fillna(""),
        "办理地点": stages["room"].fillna(""),
        "电话": stages["phone"].fillna(""),
    })
    return CardStudent(student_no, p["name"], p["clearance_type"],
                       f"**{plain(p['college'])}** · {p['level']} · {p['clearance_type']} · {campus_label(p['campus'])}",
                       card_line, open_lines, table, stages)
