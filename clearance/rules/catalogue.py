"""The stage catalogue and the batches: the model and its parsing (no I/O).

An administrator edits `config/stages.toml` (and, before the first start, `config/batches.toml`,
the seed of the batches table); `clearance.store.config` reads them and loads them into the store.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

LEVELS = ("博士", "硕士")
CLEARANCE_TYPES = ("毕业", "结业", "肄业", "退学")
DONE_STATES = ("passed", "not_needed")  # ✓ means done or not needed


class CatalogueError(ValueError):
    """The configuration file is wrong; the message says where, in Chinese."""


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    not_required_for: tuple[str, ...] = ()
    # Words by which a rejection's reason names this item ("学位论文未提交" → 学位论文); a roster
    # re-import uses them to see whether a rejection still applies to the new clearance type.
    reason_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Location:
    room: str
    phone: str = ""
    hours: str = ""


@dataclass(frozen=True)
class Stage:
    stage_id: str
    seq: int
    name: str
    department: str
    scope: str  # "college" or "school"
    brings: str
    checks: str
    note: str
    prerequisites: tuple[str, ...]
    advice_after: tuple[str, ...]
    not_required_for: tuple[str, ...]
    items: tuple[ChecklistItem, ...]
    locations: dict[str, Location] = field(hash=False)
    final: bool = False  # prerequisites "*": the last stage, only when every other stage is ✓
    # The handbook allows passing this stage for many students at once (source "bulk");
    # otherwise each student is checked in person at the desk.
    bulk: bool = False
    # 无需办理 only for students who are not party members (the party branch's stage).
    not_needed_only_for_non_members: bool = False
    # The next step as a reminder SMS words it, where it is more than "go to the room" (导师:
    # have the form signed). Empty: the reminder names the stage and its room.
    reminder: str = ""

    def items_for(self, clearance_type: str) -> list[ChecklistItem]:
        """The checklist as it applies to a student of this clearance type."""
        return [i for i in self.items if clearance_type not in i.not_required_for]


@dataclass(frozen=True)
class Catalogue:
    stages: tuple[Stage, ...]
    campuses: tuple[str, ...]
    office_campus: dict[str, str] = field(hash=False)
    fallback_campus: str = "A区"

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.stage_id == stage_id:
                return s
        raise KeyError(stage_id)

    @property
    def stage_ids(self) -> list[str]:
        return [s.stage_id for s in self.stages]

    def dependents(self, stage_id: str) -> list[Stage]:
        """Stages that need `stage_id` to be ✓ first."""
        return [s for s in self.stages if stage_id in s.prerequisites]

    def location(self, stage_id: str, campus: str) -> Location:
        """Where a student of `campus` goes for this stage (the seed: C区 students go to A区)."""
        locs = self.stage(stage_id).locations
        for key in (campus, self.office_campus.get(campus, campus), self.fallback_campus, "default"):
            if key in locs:
                return locs[key]
        return Location(room="")


def _require(table: dict, key: str, where: str):
    if key not in table:
        raise CatalogueError(f"{where} 缺少“{key}”")
    return table[key]


def parse_catalogue(text: str, source: str = "stages.toml") -> Catalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source} 格式错误：{exc}") from exc
    campus_cfg = _require(data, "campuses", source)
    raw_stages = _require(data, "stages", source)
    ids = [_require(s, "id", f"{source} 第{n + 1}个环节") for n, s in enumerate(raw_stages)]
    if len(set(ids)) != len(ids):
        raise CatalogueError(f"{source} 环节编号重复")
    stages = []
    for raw in raw_stages:
        where = f"{source} 环节“{raw['id']}”"
        prereqs = list(raw.get("prerequisites", []))
        final = prereqs == ["*"]
        if final:
            prereqs = [i for i in ids if i != raw["id"]]
        for ref in prereqs + list(raw.get("advice_after", [])):
            if ref not in ids:
                raise CatalogueError(f"{where} 引用了不存在的环节“{ref}”")
        scope = _require(raw, "scope", where)
        if scope not in ("college", "school"):
            raise CatalogueError(f"{where} 的 scope 只能是 college 或 school")
        for flag in ("bulk", "not_needed_only_for_non_members"):
            if not isinstance(raw.get(flag, False), bool):
                raise CatalogueError(f"{where} 的 {flag} 只能是 true 或 false")
        for t in list(raw.get("not_required_for", [])):
            if t not in CLEARANCE_TYPES:
                raise CatalogueError(f"{where} 的离校类型“{t}”无效")
        stages.append(
            Stage(
                stage_id=raw["id"],
                seq=int(_require(raw, "seq", where)),
                name=_require(raw, "name", where),
                department=raw.get("department", ""),
                scope=scope,
                brings=raw.get("brings", ""),
                checks=raw.get("checks", ""),
                note=raw.get("note", ""),
                prerequisites=tuple(prereqs),
                advice_after=tuple(raw.get("advice_after", [])),
                not_required_for=tuple(raw.get("not_required_for", [])),
                items=tuple(
                    ChecklistItem(i["text"], tuple(i.get("not_required_for", [])),
                                  tuple(i.get("reason_words", [])))
                    for i in raw.get("items", [])
                ),
                locations={
                    campus: Location(loc.get("room", ""), loc.get("phone", ""), loc.get("hours", ""))
                    for campus, loc in raw.get("locations", {}).items()
                },
                final=final,
                bulk=raw.get("bulk", False),
                not_needed_only_for_non_members=raw.get("not_needed_only_for_non_members", False),
                reminder=str(raw.get("reminder", "")),
            )
        )
    stages.sort(key=lambda s: s.seq)
    return Catalogue(
        stages=tuple(stages),
        campuses=tuple(_require(campus_cfg, "names", f"{source} [campuses]")),
        office_campus=dict(campus_cfg.get("office_campus", {})),
        fallback_campus=campus_cfg.get("fallback", "A区"),
    )


def parse_batches(text: str, source: str = "batches.toml") -> list[dict]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source} 格式错误：{exc}") from exc
    batches = []
    for n, raw in enumerate(data.get("batches", [])):
        where = f"{source} 第{n + 1}个批次"
        batches.append(
            {
                "batch_id": str(_require(raw, "id", where)),
                "title": raw.get("title", str(raw["id"])),
                "period_start": _require(raw, "period_start", where),
                "period_end": _require(raw, "period_end", where),
                "diploma_start": raw.get("diploma_start"),
                "diploma_end": raw.get("diploma_end"),
                "card_deactivation": raw.get("card_deactivation"),
                "diploma_start_part": _half_day(raw.get("diploma_start_part"), where),
            }
        )
    return batches


HALF_DAYS = ("上午", "下午")


def _half_day(value, where: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in HALF_DAYS:
        raise CatalogueError(f"{where} 的 diploma_start_part 只能是“上午”或“下午”")
    return value
