"""Spot checks (抽查): the graduate school draws a random sample of passed marks and records,
for each, whether the office's ✓ holds up. The draw is reproducible from its seed; outcomes are
append-only (the latest per item counts, earlier ones stay as history)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from clearance.rules.actors import Actor
from clearance.clock import beijing_now
from clearance.store.db import Store

CHECK_ROLES = ("admin", "gradschool")
OUTCOMES = {"ok": "核查无误", "problem": "发现问题"}
MAX_SAMPLE = 200


class SpotCheckError(Exception):
    """A spot check action was refused; nothing was written. The message is Chinese."""


@dataclass(frozen=True)
class Draw:
    check_id: int
    drawn: int  # may be fewer than asked when fewer marks qualify


def _require_role(actor: Actor) -> None:
    if actor.role not in CHECK_ROLES:
        raise SpotCheckError(f"{actor.display_name or actor.username} 无权进行抽查")


def draw_sample(store: Store, actor: Actor, batch_id: str, size: int, stage_id: str | None = None,
                college: str | None = None, seed: int | None = None) -> Draw:
    """Draw up to `size` passed marks of the batch (optionally one stage and/or one college)."""
    _require_role(actor)
    if not 1 <= size <= MAX_SAMPLE:
        raise SpotCheckError(f"抽查数量须在 1 到 {MAX_SAMPLE} 之间")
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    params = {"batch": batch_id, "stage": stage_id, "college": college}
    with store.transaction() as cur:
        # Candidates in a fixed order, then a seeded shuffle: the same seed draws the same marks.
        candidates = cur.execute(
            "SELECT x.student_no, x.stage_id, x.last_event_id FROM stage_status x"
            " JOIN students s USING (student_no)"
            " WHERE s.batch_id = $batch AND x.state = 'passed' AND x.last_event_id IS NOT NULL"
            "   AND ($stage IS NULL OR x.stage_id = $stage)"
            "   AND ($college IS NULL OR s.college = $college)"
            " ORDER BY x.student_no, x.stage_id",
            params,
        ).fetchall()
        if not candidates:
            raise SpotCheckError("没有符合条件的已通过记录可供抽查")
        sample = random.Random(seed).sample(candidates, min(size, len(candidates)))
        check_id = cur.execute("SELECT coalesce(max(check_id), 0) + 1 FROM spot_checks").fetchall()[0][0]
        cur.execute(
            "INSERT INTO spot_checks VALUES ($id, $batch, $stage, $college, $size, $seed, $actor, $now)",
            params | {"id": check_id, "size": size, "seed": seed, "actor": actor.username,
                      "now": beijing_now()},
        )
        cur.executemany(
            "INSERT INTO spot_check_items VALUES (?, ?, ?, ?, ?)",
            [(check_id, n, no, stage, event) for n, (no, stage, event) in enumerate(sample, start=1)],
        )
    return Draw(check_id, len(sample))


def record_outcome(store: Store, actor: Actor, check_id: int, item_no: int, outcome: str,
                   note: str | None = None) -> int:
    """Record a check's outcome for one sampled mark. A problem needs a note saying what."""
    _require_role(actor)
    if outcome not in OUTCOMES:
        raise SpotCheckError(f"未知的抽查结果“{outcome}”")
    note = (note or "").strip() or None
    if outcome == "problem" and not note:
        raise SpotCheckError("“发现问题”须填写问题说明")
    with store.transaction() as cur:
        if not cur.execute(
            "SELECT count(*) FROM spot_check_items WHERE check_id = $c AND item_no = $n",
            {"c": check_id, "n": item_no},
        ).fetchall()[0][0]:
            raise SpotCheckError(f"抽查 {check_id} 中没有第 {item_no} 条")
        outcome_id = cur.execute(
            "SELECT coalesce(max(outcome_id), 0) + 1 FROM spot_check_outcomes").fetchall()[0][0]
        cur.execute(
            "INSERT INTO spot_check_outcomes VALUES ($id, $c, $n, $o, $note, $actor, $now)",
            {"id": outcome_id, "c": check_id, "n": item_no, "o": outcome, "note": note,
             "actor": actor.username, "now": beijing_now()},
        )
    return outcome_id
