"""Feeds from the campus systems (系统对接): an office's export row → the mark it implies.

Each feed marks one stage. A run is all or nothing: its marks, the rows it left alone and its
`import_runs` row are written in one transaction, and every mark carries the run id as
`source_ref`. Two rules hold for every feed:

- Same data, same state: a row whose intended state is the current one is "unchanged", so
  sending the same file again writes no event.
- A person's decision stands: if the last mark on a student's stage was made by someone other
  than this feed (a staff member, a bulk pass, the card desk), the feed leaves it alone
  ("skipped", with the reason), even when the file says otherwise.

The file parsing lives in `loaders/feeds.py`; this module sees typed rows only.
"""

from __future__ import annotations

import os
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pandas as pd

from clearance.rules.actors import SYSTEM
from clearance.rules.catalogue import DONE_STATES, Catalogue, Stage
from clearance.store.db import get_catalogue
from clearance.store.marks import ACTIONS, STATE_LABELS, Mark, MarkError, plan_marks, write_events
from clearance.clock import beijing_now
from clearance.paths import PROJECT_ROOT
from clearance.store.db import Store

FEEDS_FILE = Path(os.environ.get("CLEARANCE_FEEDS") or PROJECT_ROOT / "config" / "feeds.toml")

# The value type of every field a feed file may carry; the loader parses by it.
FIELD_TYPES = {
    "student_no": "code", "arrears": "amount", "has_loan": "flag", "agreement_signed": "flag",
    "political_status": "text", "is_member": "flag", "books_out": "count", "fine": "amount",
    "equipment_out": "count", "thesis_submitted": "flag", "printing_fee": "amount",
    "ethesis_received": "flag", "balance_settled": "flag",
}
# Fields of which one is enough; every other configured field is required.
ONE_OF = {"party": ("political_status", "is_member")}
# Marks made by these sources are the system's own bookkeeping, not a person's decision.
BOOKKEEPING_SOURCES = ("catalogue", "import")
CHANNELS = {"upload": "管理页面上传", "inbox": "收件箱", "cli": "命令行"}


class FeedConfigError(ValueError):
    """config/feeds.toml is wrong; the message says where, in Chinese."""


@dataclass(frozen=True)
class FeedSettings:
    truthy: frozenset[str]
    falsy: frozenset[str]
    blank_flag: bool = False
    blank_amount_is_zero: bool = True
    amount_marks: tuple[str, ...] = ("元",)
    count_marks: tuple[str, ...] = ("册",)
    unknown_students: str = "skip"
    inbox_settle_seconds: float = 1.0
    inbox_poll_seconds: float = 2.0


@dataclass(frozen=True)
class Feed:
    kind: str
    title: str
    stage_id: str
    note: str
    actor_name: str  # the name its marks carry, e.g. feed:finance
    columns: dict[str, tuple[str, ...]] = field(hash=False)  # field → accepted headers
    options: dict = field(hash=False, default_factory=dict)  # fine_waiver, thesis_item, …

    def template_headers(self) -> list[str]:
        return [headers[0] for headers in self.columns.values()]


@dataclass(frozen=True)
class FeedConfig:
    settings: FeedSettings
    feeds: dict[str, Feed] = field(hash=False)

    def feed(self, kind: str) -> Feed:
        if kind not in self.feeds:
            raise KeyError(f"未知的对接数据类型“{kind}”")
        return self.feeds[kind]


def parse_feeds(text: str, source: str = "feeds.toml") -> FeedConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedConfigError(f"{source} 格式错误：{exc}") from exc
    raw = data.get("settings", {})
    settings = FeedSettings(
        truthy=frozenset(str(w).upper() for w in raw.get("truthy", ["是", "Y", "1"])),
        falsy=frozenset(str(w).upper() for w in raw.get("falsy", ["否", "N", "0"])),
        blank_flag=bool(raw.get("blank_flag", False)),
        blank_amount_is_zero=bool(raw.get("blank_amount_is_zero", True)),
        amount_marks=tuple(raw.get("amount_marks", ["元"])),
        count_marks=tuple(raw.get("count_marks", ["册"])),
        unknown_students=raw.get("unknown_students", "skip"),
        inbox_settle_seconds=float(raw.get("inbox_settle_seconds", 1.0)),
        inbox_poll_seconds=float(raw.get("inbox_poll_seconds", 2.0)),
    )
    if settings.unknown_students not in ("skip", "reject"):
        raise FeedConfigError(f"{source} [settings] unknown_students 只能是 skip 或 reject")
    if settings.truthy & settings.falsy:
        raise FeedConfigError(f"{source} [settings] 同一个词既在 truthy 又在 falsy 中："
                              f"{'、'.join(sorted(settings.truthy & settings.falsy))}")
    feeds = {}
    for kind, section in data.get("feeds", {}).items():
        where = f"{source} [feeds.{kind}]"
        if kind not in RULES:
            raise FeedConfigError(f"{where}：没有这种对接数据的规则（可用：{'、'.join(RULES)}）")
        columns = {name: tuple(headers) for name, headers in section.get("columns", {}).items()}
        unknown = [c for c in columns if c not in FIELD_TYPES]
        if unknown or "student_no" not in columns:
            raise FeedConfigError(f"{where}：columns 须含 student_no，且不能有未知字段 {unknown}")
        if any(not headers for headers in columns.values()):
            raise FeedConfigError(f"{where}：每个字段至少要有一个列名")
        feeds[kind] = Feed(
            kind=kind, title=section.get("title", kind), stage_id=section.get("stage", kind),
            note=section.get("note", ""), actor_name=section.get("actor", f"feed:{kind}"),
            columns=columns,
            options={k: v for k, v in section.items()
                     if k not in ("title", "stage", "note", "actor", "columns")},
        )
    return FeedConfig(settings, feeds)


_config_cache: dict[tuple[Path, float], FeedConfig] = {}


def load_feeds(path: Path = FEEDS_FILE) -> FeedConfig:
    """The feed configuration; re-read when the file changes."""
    key = (path, path.stat().st_mtime)
    if key not in _config_cache:
        _config_cache[key] = parse_feeds(path.read_text(encoding="utf-8"), path.name)
    return _config_cache[key]


def check_stages(config: FeedConfig, catalogue: Catalogue) -> None:
    for feed in config.feeds.values():
        if feed.stage_id not in catalogue.stage_ids:
            raise FeedConfigError(f"feeds.toml [feeds.{feed.kind}] 的环节“{feed.stage_id}”不在环节目录中")


# -- the rules: one typed row → the intended mark ------------------------------------------

@dataclass(frozen=True)
class Intent:
    """What a feed row says: an action (pass / not_needed / reject / reset), or None to leave
    the stage to staff, with `why` saying so."""

    action: str | None
    reason: str | None = None
    why: str | None = None


def yuan(amount: Decimal) -> str:
    """12.50 → '12.5', 1200.00 → '1200'."""
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _requires_item(stage: Stage, clearance_type: str, item_text: str) -> bool:
    """Whether the checklist item mentioning `item_text` applies to this clearance type (the
    catalogue's not_required_for decides; e.g. no thesis for 结业/肄业/退学)."""
    return any(item_text in item.text for item in stage.items_for(clearance_type))


def _arrears_rule(what: str) -> Callable:
    def rule(row: dict, student: dict, stage: Stage, feed: Feed) -> Intent:
        if row["arrears"] > 0:
            return Intent("reject", f"{what} {yuan(row['arrears'])} 元未缴清")
        return Intent("pass")
    return rule


def loan_rule(row: dict, student: dict, stage: Stage, feed: Feed) -> Intent:
    if not row["has_loan"]:
        return Intent("not_needed")
    if row["agreement_signed"]:
        return Intent("pass")
    return Intent("reset", "有助学贷款，尚未签订还款协议")


def party_rule(row: dict, student: dict, stage: Stage, feed: Feed) -> Intent:
    member = row.get("is_member")
    if member is None:
        member = "党员" in row.get("political_status", "")
    if member:
        return Intent(None, why="党员须办理组织关系转接，由党委/党总支在办理页面办理")
    return Intent("not_needed")


def library_rule(row: dict, student: dict, stage: Stage, feed: Feed) -> Intent:
    waiver = Decimal(str(feed.options.get("fine_waiver", 10)))
    problems = []
    if row["books_out"] > 0:
        problems.append(f"图书未还 {row['books_out']} 册")
    if row["fine"] > waiver:
        problems.append(f"超期违约金 {yuan(row['fine'])} 元未缴（{yuan(waiver)} 元以内免收）")
    if row["equipment_out"] > 0:
        problems.append(f"借用设备未还 {row['equipment_out']} 件")
    thesis_item = feed.options.get("thesis_item", "学位论文")
    if not row["thesis_submitted"] and _requires_item(stage, student["clearance_type"], thesis_item):
        problems.append("学位论文未提交")
    return Intent("reject", "；".join(problems)) if problems else Intent("pass")


def thesis_center_rule(row: dict, student: dict, stage: Stage, feed: Feed) -> Intent:
    problems = []
    if row["printing_fee"] > 0:
        problems.append(f"论文制作费 {yuan(row['printing_fee'])} 元未缴清")
    thesis_item = feed.options.get("thesis_item", "学位论文电子最终版")
    if not row["ethesis_received"] and _requires_item(stage, student["clearance_type"], thesis_item):
        problems.append("学位论文电子最终版未收到")
    return Intent("reject", "；".join(problems)) if problems else Intent("pass")


def card_center_rule(row: dict, student: dict, stage: Stage, feed: Feed) -> Intent:
    if row["balance_settled"]:
        return Intent("pass")
    return Intent("reset", "一卡通余额尚未结算")


RULES: dict[str, Callable[[dict, dict, Stage, Feed], Intent]] = {
    "finance": _arrears_rule("欠费"),
    "loan": loan_rule,
    "party": party_rule,
    "library": library_rule,
    "hospital": _arrears_rule("医疗欠费"),
    "thesis_center": thesis_center_rule,
    "card_center": card_center_rule,
}


# -- a run: rows → plan → one transaction --------------------------------------------------

@dataclass
class FeedPlan:
    changes: list[dict] = field(default_factory=list)  # as clearance.store.marks.plan_marks makes them
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student_no, why)
    students: dict = field(default_factory=dict)  # student_no → name, college, clearance_type

    @property
    def passed(self) -> int:
        return sum(1 for c in self.changes if c["state_after"] in DONE_STATES)

    @property
    def rejected(self) -> int:
        return sum(1 for c in self.changes if c["state_after"] not in DONE_STATES)


@dataclass(frozen=True)
class FeedResult:
    run_id: str
    kind: str
    file_name: str
    rows: int
    passed: int
    rejected: int
    unchanged: int
    skipped: int
    skips: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "feed": self.kind, "file": self.file_name,
                "rows": self.rows, "passed": self.passed, "rejected": self.rejected,
                "unchanged": self.unchanged, "skipped": self.skipped,
                "skips": [{"student_no": no, "reason": why} for no, why in self.skips]}


def _load(cur, stage_id: str, dependents: list[str], nos: list[str]) -> tuple[dict, dict, dict]:
    students = {
        r[0]: {"name": r[1], "college": r[2], "clearance_type": r[3], "batch_closed": r[4]}
        for r in cur.execute(
            "SELECT s.student_no, s.name, s.college, s.clearance_type, b.closed_at IS NOT NULL"
            " FROM students s LEFT JOIN batches b USING (batch_id)"
            " WHERE s.student_no IN (SELECT unnest($nos))", {"nos": nos}).fetchall()
    }
    status = {
        r[0]: {"state": r[1], "reason": r[2], "updated_by": r[3], "source": r[4], "updated_at": r[5]}
        for r in cur.execute(
            "SELECT student_no, state, reason, updated_by, source, updated_at FROM stage_status"
            " WHERE stage_id = $stage AND student_no IN (SELECT unnest($nos))",
            {"stage": stage_id, "nos": nos}).fetchall()
    }
    finished = {
        r[0] for r in cur.execute(
            "SELECT DISTINCT student_no FROM stage_status WHERE stage_id IN (SELECT unnest($deps))"
            " AND state IN ('passed', 'not_needed') AND student_no IN (SELECT unnest($nos))",
            {"deps": dependents or [""], "nos": nos}).fetchall()
    }
    return students, status, {"finished": finished}


def _someone_elses(current: dict, feed: Feed) -> bool:
    """The last mark was a person's (or another system's) decision, not this feed's."""
    return (current["updated_by"] is not None and current["updated_by"] != feed.actor_name
            and current["source"] not in BOOKKEEPING_SOURCES)


def _same(current: dict, target: str, reason: str | None) -> bool:
    if current["state"] != target:
        return False
    return target != "rejected" or (current["reason"] or None) == (reason or None)


def plan_feed(cur, feed: Feed, rows: list[dict], catalogue: Catalogue, run_id: str | None,
              file_name: str, now: datetime) -> FeedPlan:
    """Decide every row against the store as `cur` sees it. Writes nothing."""
    stage = catalogue.stage(feed.stage_id)
    dependents = [d.stage_id for d in catalogue.dependents(stage.stage_id)]
    nos = [r["student_no"] for r in rows]
    students, status, extra = _load(cur, stage.stage_id, dependents, nos)
    plan = FeedPlan(students=students)
    marks = []
    rule = RULES[feed.kind]
    for row in rows:
        no = row["student_no"]
        student = students.get(no)
        if student is None:
            plan.skipped.append((no, "不在离校名单中"))
            continue
        if student["batch_closed"]:
            plan.skipped.append((no, "所在离校批次已关闭"))
            continue
        if student["clearance_type"] in stage.not_required_for:
            plan.skipped.append((no, f"{student['clearance_type']}学生无需办理此环节"))
            continue
        intent = rule(row, student, stage, feed)
        if intent.action is None:
            plan.skipped.append((no, intent.why or "由工作人员办理"))
            continue
        current = status.get(no, {"state": "open", "reason": None, "updated_by": None,
                                  "source": None, "updated_at": None})
        target = ACTIONS[intent.action]
        if _same(current, target, intent.reason):
            plan.unchanged += 1
            continue
        if _someone_elses(current, feed):
            when = f"{current['updated_at']:%m-%d %H:%M} " if current["updated_at"] else ""
            plan.skipped.append((no, f"{when}{current['updated_by']} 已办理"
                                     f"（{STATE_LABELS[current['state']]}），系统对接不覆盖"))
            continue
        if target not in DONE_STATES and no in extra["finished"]:
            plan.skipped.append((no, "已在最后环节办结离校，不再更改"))
            continue
        marks.append(Mark(no, stage.stage_id, intent.action, reason=intent.reason,
                          note=f"{feed.title}：{file_name}", at=now,
                          actor_name=feed.actor_name, source="feed", source_ref=run_id))
    checked = plan_marks(cur, SYSTEM, marks, catalogue, "feed", now)
    if checked.refusals:  # the checks above should make this impossible; never write half
        raise MarkError(checked.refusals)
    plan.changes = checked.changes
    plan.unchanged += len(checked.unchanged)
    return plan


def preview_feed(store: Store, feed: Feed, rows: list[dict], file_name: str) -> FeedPlan:
    """What `run_feed` would do now, for the upload page's confirmation. Writes nothing."""
    with store.cursor() as cur:
        return plan_feed(cur, feed, rows, get_catalogue(store), None, file_name, beijing_now())


def run_feed(store: Store, feed: Feed, rows: list[dict], file_name: str, content_hash: str,
             sent_by: str, channel: str, now: datetime | None = None) -> FeedResult:
    """Decide and write a feed run in one transaction: marks, skipped rows, the import_runs row.
    Decided under the store's write lock, so a staff mark made a moment earlier is seen."""
    run_id = uuid.uuid4().hex[:12]
    now = now or beijing_now()
    catalogue = get_catalogue(store)
    with store.transaction() as cur:
        plan = plan_feed(cur, feed, rows, catalogue, run_id, file_name, now)
        write_events(cur, plan.changes)
        cur.execute(
            "INSERT INTO import_runs (run_id, kind, batch_id, file_name, content_hash, row_count,"
            " actor, imported_at, passed, rejected, unchanged, skipped, channel, stage_id)"
            " VALUES ($id, $kind, NULL, $file, $hash, $rows, $actor, $at, $passed, $rejected,"
            " $unchanged, $skipped, $channel, $stage)",
            {"id": run_id, "kind": feed.kind, "file": file_name, "hash": content_hash,
             "rows": len(rows), "actor": sent_by, "at": now, "passed": plan.passed,
             "rejected": plan.rejected, "unchanged": plan.unchanged,
             "skipped": len(plan.skipped), "channel": channel, "stage": feed.stage_id},
        )
        if plan.skipped:
            skips = pd.DataFrame(plan.skipped, columns=["student_no", "reason"]).assign(run_id=run_id)
            cur.register("new_skips", skips)
            try:
                cur.execute("INSERT INTO feed_skips SELECT run_id, student_no, reason FROM new_skips")
            finally:
                cur.unregister("new_skips")
    return FeedResult(run_id, feed.kind, file_name, len(rows), plan.passed, plan.rejected,
                      plan.unchanged, len(plan.skipped), tuple(plan.skipped))


def record_refusal(store: Store, kind: str, file_name: str, content_hash: str, channel: str,
                   sent_by: str, errors: list[str]) -> None:
    """A file refused whole: nothing changed, but the history shows it and why."""
    with store.transaction() as cur:
        cur.execute(
            "INSERT INTO feed_refusals SELECT coalesce(max(refusal_id), 0) + 1, $kind, $file,"
            " $hash, $channel, $actor, $at, $errors FROM feed_refusals",
            {"kind": kind, "file": file_name, "hash": content_hash, "channel": channel,
             "actor": sent_by, "at": beijing_now(), "errors": errors},
        )
