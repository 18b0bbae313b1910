"""What a student sees about their own clearance: the lookup rule, every stage's ✓/×, the next
stops in the order the rules allow, and the batch dates that matter to them.

Pure functions over the catalogue and the student's states, so they are tested without
Streamlit or a store; the page runs the named queries and hands the rows in.
"""

from __future__ import annotations

import hmac
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping

from clearance.rules.catalogue import DONE_STATES, Catalogue, CatalogueError, Stage
from clearance.paths import PROJECT_ROOT
from clearance.rules.handout import handout_period_text
from clearance.rules.text import compact

STUDENT_PAGE_FILE = Path(os.environ.get("CLEARANCE_STUDENT_PAGE")
                         or PROJECT_ROOT / "config" / "student_page.toml")

# One message for an unknown 学号 and for a wrong name: the page must not reveal which exist.
LOOKUP_FAILED = "未找到与该学号和姓名对应的离校记录，请核对后重试；如仍查不到，请联系所在学院研究生教务秘书。"
LOOKUP_INCOMPLETE = "请输入学号和姓名。"

STATE_MARKS = {"passed": "✓", "not_needed": "✓", "open": "×", "rejected": "×"}
STATE_TEXT = {"passed": "已办理", "not_needed": "无需办理", "open": "未办理", "rejected": "不通过"}


# -- configuration ----------------------------------------------------------------------------
def load_student_page_config(path: Path = STUDENT_PAGE_FILE) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.name} 格式错误：{exc}") from exc


# -- the lookup rule --------------------------------------------------------------------------
def normalise_student_no(text: str) -> str:
    """Full-width digits and stray spaces, as the roster import normalises them."""
    return compact(text)


def normalise_name(text: str) -> str:
    """Names compare without spaces, case-insensitively, with one kind of middle dot
    (买买提·艾力 is typed with ·, ・ or •)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[・•‧∙]", "·", text)
    return re.sub(r"\s+", "", text).casefold()


def identity_matches(roster_name: str | None, given_name: str) -> bool:
    """True only when the 学号 is on the roster (`roster_name` is its name) and the given name
    is that name. Both failures take the same path, so they look alike from outside."""
    expected = normalise_name(roster_name if roster_name is not None else "\0")
    given = normalise_name(given_name)
    same = hmac.compare_digest(expected.encode(), given.encode())
    return roster_name is not None and bool(given) and same


# -- the view ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageRow:
    stage_id: str
    name: str
    state: str
    mark: str      # ✓ / ×
    label: str     # 已办理 / 无需办理 / 未办理 / 不通过
    reason: str    # the office's reason, for 不通过

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES


@dataclass(frozen=True)
class Stop:
    """An open (or rejected) stage: what to bring, where to go, when, and whether it can be
    done now."""
    stage_id: str
    name: str
    department: str
    state: str
    reason: str
    brings: str
    items: tuple[str, ...]
    room: str
    phone: str
    when: str
    note: str
    waiting_for: tuple[str, ...]    # required stages not yet ✓ (names)
    better_after: tuple[str, ...]   # advised-first stages not yet ✓ (names)
    final: bool = False             # the last stage: only when every other stage is ✓

    @property
    def can_go_now(self) -> bool:
        return not self.waiting_for


@dataclass(frozen=True)
class KeyDate:
    label: str
    text: str


@dataclass(frozen=True)
class StudentView:
    student_no: str
    name: str
    college: str
    level: str
    clearance_type: str
    campus: str
    batch_title: str
    stages: tuple[StageRow, ...]
    stops: tuple[Stop, ...]
    dates: tuple[KeyDate, ...]

    @property
    def campus_label(self) -> str:
        return campus_label(self.campus)

    @property
    def profile_line(self) -> str:
        """College, level, type and campus, each said once (both student pages show it)."""
        return "　".join((self.college, self.level, self.clearance_type, self.campus_label))

    @property
    def stops_caption(self) -> str:
        return f"按可办理的顺序排列，地点为{self.campus_label}学生的办理地点。"

    @property
    def all_done(self) -> bool:
        return all(s.done for s in self.stages)

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.stages)


def campus_label(campus: str) -> str:
    """A campus as people say it: 虎溪 → 虎溪校区, while A区 stays A区 (never "A区校区")."""
    return campus if campus.endswith("区") else f"{campus}校区"


def stage_rows(catalogue: Catalogue, states: Mapping[str, tuple[str, str | None]]
               ) -> list[StageRow]:
    """Every stage in the handbook's order with its ✓/×. A stage without a status row (a
    stage added to the catalogue after the student) counts as open."""
    rows = []
    for stage in catalogue.stages:
        state, reason = states.get(stage.stage_id, ("open", None))
        rows.append(StageRow(stage.stage_id, stage.name, state, STATE_MARKS.get(state, "×"),
                             STATE_TEXT.get(state, state), reason or ""))
    return rows


def stop_order(catalogue: Catalogue, pending: set[str]) -> list[str]:
    """The pending stages in an order the rules allow: a stage comes after the pending stages
    it requires (the secretary after the advisor, the last office after everything) and after
    those it is advised to follow (the card centre after the other parallel stages); among
    stages free to go next, the handbook's order. A stable topological sort (Kahn)."""
    def blockers(stage: Stage) -> set[str]:
        return (set(stage.prerequisites) | set(stage.advice_after)) & pending - {stage.stage_id}

    remaining = {s.stage_id: blockers(s) for s in catalogue.stages if s.stage_id in pending}
    order: list[str] = []
    while remaining:
        free = [s.stage_id for s in catalogue.stages
                if s.stage_id in remaining and not remaining[s.stage_id]]
        if not free:  # a cycle in the configuration: fall back to the handbook's order
            free = [s.stage_id for s in catalogue.stages if s.stage_id in remaining]
        chosen = free[0]
        order.append(chosen)
        del remaining[chosen]
        for deps in remaining.values():
            deps.discard(chosen)
    return order


def next_stops(catalogue: Catalogue, states: Mapping[str, tuple[str, str | None]],
               campus: str, clearance_type: str, batch: Mapping | None = None) -> list[Stop]:
    rows = {r.stage_id: r for r in stage_rows(catalogue, states)}
    pending = {sid for sid, r in rows.items() if not r.done}
    names = {s.stage_id: s.name for s in catalogue.stages}
    stops = []
    for stage_id in stop_order(catalogue, pending):
        stage, row = catalogue.stage(stage_id), rows[stage_id]
        location = catalogue.location(stage_id, campus)
        stops.append(Stop(
            stage_id=stage_id, name=stage.name, department=stage.department,
            state=row.state, reason=row.reason, brings=stage.brings_for(clearance_type),
            items=tuple(i.text for i in stage.items_for(clearance_type)),
            room=location.room, phone=location.phone,
            when=location.hours or _office_period(batch),
            note=stage.note,
            waiting_for=tuple(names[p] for p in stage.prerequisites if p in pending),
            better_after=tuple(names[p] for p in stage.advice_after if p in pending),
            final=stage.final,
        ))
    return stops


def key_dates(batch: Mapping | None) -> list[KeyDate]:
    """The batch's dates that matter to a student, with what each means for them."""
    if not batch:
        return []
    dates = [KeyDate("集中办理时间",
                     f"{_day(batch['period_start'])}至{_day(batch['period_end'])}"
                     "，请在此期间办完所有离校手续（离校系统全年开放）")]
    if batch.get("diploma_start"):
        dates.append(KeyDate(
            "毕业证、学位证发放",
            f"{_year(batch['diploma_start'])}{handout_period_text(batch)}"
            "，所有环节均为 ✓ 后才能到所在学院领取毕业证书（结业/肄业证书）、学位证书"))
    if batch.get("card_deactivation"):
        dates.append(KeyDate(
            "校园卡停用",
            f"{_day(batch['card_deactivation'])}批量停用，请提前处理好卡内余额；"
            "需其他部门退费的请在停用前办好，否则无法退还"))
    return dates


def build_view(catalogue: Catalogue, profile: Mapping,
               states: Mapping[str, tuple[str, str | None]], batch: Mapping | None) -> StudentView:
    """The whole page for one student. `profile` is a `student_profile` row; `states` maps a
    stage id to (state, reason) from `student_stages`; `batch` is the student's batch row."""
    return StudentView(
        student_no=str(profile["student_no"]), name=str(profile["name"]),
        college=str(profile["college"]), level=str(profile["level"]),
        clearance_type=str(profile["clearance_type"]), campus=str(profile["campus"]),
        batch_title=str(profile.get("batch_title") or (batch or {}).get("title", "")),
        stages=tuple(stage_rows(catalogue, states)),
        stops=tuple(next_stops(catalogue, states, str(profile["campus"]),
                               str(profile["clearance_type"]), batch)),
        dates=tuple(key_dates(batch)),
    )


def _year(value) -> str:
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.year}年"


def _day(value) -> str:
    """2018-06-25 → 2018年6月25日 (a date, datetime or pandas Timestamp)."""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def _office_period(batch: Mapping | None) -> str:
    if not batch:
        return "工作时间"
    start, end = (_day(batch[k]).split("年", 1)[1] for k in ("period_start", "period_end"))
    return f"集中办理期 {start}—{end}，工作时间"
