"""What the desk pages (办理, 待办名单) share: the stages a staff member works, the stage
picker, labels for states and actions, and moving the keyboard focus for a queue at a desk."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from clearance.rules.actors import Actor
from clearance.rules.catalogue import Catalogue, Stage
from clearance.store.db import get_catalogue
from clearance.store.marks import ACTION_LABELS, SOURCES, STATE_LABELS, Mark, MarkError, apply_marks
from ui.data import store

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
        st.session_state["desk_stage"] = ids[0]
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
    """A student's row at every stage as a table for staff (▶ marks this desk's stage)."""
    return pd.DataFrame({
        "环节": [("▶ " if s == current_stage else "") + n for s, n in zip(row["stage_id"], row["stage_name"])],
        "状态": row["state"].map(STATE_LABELS),
        "原因/说明": row["reason"].fillna(""),
        "办理人": row["updated_by"].map(who),
        "时间": row["updated_at"].map(lambda t: "" if pd.isna(t) else f"{t:%Y-%m-%d %H:%M}"),
        "方式": row["source"].map(lambda s: SOURCES.get(s, s) if isinstance(s, str) else ""),
    })


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
    student page's limiter, so a forged header is not believed); informational."""
    from ui.student_lookup import current_client  # late import: the student page's module

    try:
        key = current_client()
    except Exception:  # AppTest and bare mode have no request
        return None
    if not key.startswith("ip:"):
        return "ip:本机"
    return "ip:本机" if key in ("ip:127.0.0.1", "ip:::1") else key


def focus(selector: str) -> None:
    """Put the keyboard focus on the element matching `selector` once this run has rendered,
    so a desk can go 学号 ⏎ → 通过 ⏎ → next student without the mouse. A counter makes the
    snippet differ on every run, so the browser runs it again."""
    st.session_state["_focus_runs"] = st.session_state.get("_focus_runs", 0) + 1
    script = f"""
<script>
(function () {{
  const selector = {json.dumps(selector)};  // run {st.session_state['_focus_runs']}
  let tries = 0;
  function attempt() {{
    const el = document.querySelector(selector);
    if (el && !el.disabled) {{ el.focus(); if (el.select) el.select(); return; }}
    if (++tries < 40) setTimeout(attempt, 50);
  }}
  setTimeout(attempt, 30);
}})();
</script>"""
    st.html(script, unsafe_allow_javascript=True, width="content")


def flash(kind: str, lines: list[str] | str) -> None:
    """A message shown once, on the next run (actions run in callbacks before the page)."""
    st.session_state["desk_flash"] = (kind, [lines] if isinstance(lines, str) else list(lines))


def show_flash() -> None:
    message = st.session_state.pop("desk_flash", None)
    if message:
        kind, lines = message
        getattr(st, kind)("\n\n".join(lines))


def mark_at_desk(actor: Actor, student_no: str, stage: Stage, action: str, reason: str | None,
                 name: str, desk: str | None) -> tuple[bool, str, list[str]]:
    """One mark from the marking page: (accepted, message kind, message lines). The page's
    whole write path, so tests can drive it from many threads at once."""
    try:
        result = apply_marks(store(), actor, [Mark(student_no, stage.stage_id, action, reason,
                                                   source_ref=desk)], source="page")
    except MarkError as exc:
        return False, "error", ["操作未执行：" + exc.errors[0]] + exc.errors[1:]
    done = "无变化（已是该状态）" if result.changed == 0 else f"已{ACTION_LABELS[action]}"
    return True, "success", [f"{name}（{student_no}）“{stage.name}”{done}"]
