"""One mark against its floor, at 3k and 1M students.

    .venv/bin/python -m bench.mark_floor --sizes 3k,1m --repeat 300 --dir /tmp/lxt-mark

`mark()` is the whole write path a desk's 通过 takes: load the student's states, check the
rules, append the event (id from the `event_ids` sequence), update stage_status, one
transaction under the store's write lock. The *floor* is the least any mark needs, on the same
connection in the same run: BEGIN; INSERT one event row (an id given, no checks); UPDATE one
stage_status row; COMMIT. Both are timed interleaved (floor, mark, floor, …) on the 财务处
stage of students whose final stage is open, alternating 通过 and 撤销 so every mark writes.
Reports medians and the ratio (target ≤ 1.5×). Beside it, the *same-write* transaction
(`same_write_once`: the id from the sequence with RETURNING, every column a mark sets), so what
the mark adds beyond its write (its reads and checks) shows apart.

3k = the demo store (loaders/demo.py); 1M = bench/generate.py's store (12M status rows,
≈11M events), generated into --dir if absent.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from datetime import datetime
from pathlib import Path

from clearance.rules.actors import Actor
from clearance.store.marks import mark
from clearance.root import close_all_stores, open_store

ADMIN = Actor("admin", "admin", "系统管理员")
FLOOR_ID = 10**12  # floor events use ids far above the real ones


def make_store(size: str, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    master = workdir / f"master-{size}.duckdb"
    if not master.exists():
        if size == "3k":
            from loaders.demo import generate
            generate(open_store(master))
            close_all_stores()
        else:
            from bench.generate import generate
            generate({"1m": 1_000_000, "100k": 100_000, "10k": 10_000}[size], master)
    copy = workdir / f"run-{size}.duckdb"
    Path(f"{copy}.wal").unlink(missing_ok=True)
    shutil.copy(master, copy)
    return copy


def finance_evidence() -> dict:
    """A 财务处 pass's complete evidence (every item ticked, every field filled), as a desk sends it."""
    from clearance.store.config import load_catalogue

    stage = load_catalogue().stage("finance")
    sample = {"choice": None, "text": "压测记录", "date": "2018-06-01", "money": "0"}
    return {"checked": [i.text for i in stage.items],
            "fields": {f.field_id: f.choices[0] if f.kind == "choice" else sample[f.kind]
                       for f in stage.fields}}


EVIDENCE = json.dumps(finance_evidence(), ensure_ascii=False)


def floor_once(store, i: int, no: str) -> float:
    t = time.perf_counter()
    with store._write_lock:  # noqa: SLF001  the same lock, the same connection
        cur = store._con.cursor()  # noqa: SLF001
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute("INSERT INTO events (event_id, student_no, stage_id, action, state_before,"
                        " state_after, reason, note, actor, source, source_ref, marked_at, evidence)"
                        " VALUES ($id, $no, 'finance', 'pass', 'open', 'passed',"
                        " NULL, NULL, 'bench', 'page', NULL, $at, $evidence)",
                        {"id": FLOOR_ID + i, "no": no, "at": datetime(2018, 6, 30),
                         "evidence": EVIDENCE})
            cur.execute("UPDATE stage_status SET updated_by = 'bench', last_event_id = $id"
                        " WHERE student_no = $no AND stage_id = 'finance'",
                        {"id": FLOOR_ID + i, "no": no})
            cur.execute("COMMIT")
        finally:
            cur.close()
    return time.perf_counter() - t


def same_write_once(store, i: int, no: str, evidence: str) -> float:
    """The floor's transaction writing what a mark writes: the event id from the sequence
    (INSERT … RETURNING) and every stage_status column a mark sets. Reported beside the floor,
    so the part of a mark that is its reads and checks shows apart from the write itself."""
    t = time.perf_counter()
    with store._write_lock:  # noqa: SLF001
        cur = store._con.cursor()  # noqa: SLF001
        try:
            cur.execute("BEGIN TRANSACTION")
            event_id = cur.execute(
                "INSERT INTO events (event_id, student_no, stage_id, action, state_before,"
                " state_after, reason, note, actor, source, source_ref, marked_at, evidence)"
                " VALUES (nextval('event_ids'), $no, 'finance', 'pass', 'open', 'passed',"
                " NULL, NULL, 'bench', 'page', NULL, $at, $evidence) RETURNING event_id",
                {"no": no, "at": datetime(2018, 6, 30), "evidence": evidence}).fetchall()[0][0]
            # The state written is the one already there: the next mark's rules see no change.
            cur.execute("UPDATE stage_status SET state = state, reason = reason, updated_at = $at,"
                        " updated_by = 'bench', source = 'page', last_event_id = $id,"
                        " done_on = done_on"  # every column a mark sets (migration 036)
                        " WHERE student_no = $no AND stage_id = 'finance'",
                        {"id": event_id, "no": no, "at": datetime(2018, 6, 30)})
            cur.execute("COMMIT")
        finally:
            cur.close()
    return time.perf_counter() - t


def run_size(size: str, args) -> dict:
    path = make_store(size, args.dir)
    store = open_store(path)
    students = [r[0] for r in store.read_rows(
        "SELECT s.student_no FROM stage_status s JOIN stage_status f"
        " ON f.student_no = s.student_no AND f.stage_id = 'gso_office'"
        " WHERE s.stage_id = 'finance' AND f.state NOT IN ('passed', 'not_needed')"
        " ORDER BY hash(s.student_no) LIMIT $n", {"n": args.repeat})]
    states = dict(store.read_rows(
        "SELECT student_no, state FROM stage_status WHERE stage_id = 'finance'"
        " AND student_no IN (SELECT unnest($s))", {"s": students}))
    floors, marks, same_writes = [], [], []
    evidence = finance_evidence()
    for i in range(args.repeat + 10):
        no = students[i % len(students)]
        f = floor_once(store, i, no)
        w = same_write_once(store, i, no, EVIDENCE)
        action = "reset" if states[no] in ("passed", "not_needed") else "pass"
        t = time.perf_counter()
        mark(store, ADMIN, no, "finance", action, reason="压测撤销" if action == "reset" else None,
             evidence=evidence if action == "pass" else None)
        m = time.perf_counter() - t
        states[no] = "open" if action == "reset" else "passed"
        if i >= 10:  # warm-up
            floors.append(f)
            marks.append(m)
            same_writes.append(w)
    counts = {t: store.read_value(f"SELECT count(*) FROM {t}") for t in ("students", "events")}
    close_all_stores()
    floor_ms = statistics.median(floors) * 1000
    mark_ms = statistics.median(marks) * 1000
    same_ms = statistics.median(same_writes) * 1000
    return {"size": size, **counts, "repeat": args.repeat,
            "floor_ms": round(floor_ms, 2), "mark_ms": round(mark_ms, 2),
            "ratio": round(mark_ms / floor_ms, 2),
            "same_write_ms": round(same_ms, 2), "ratio_to_same_write": round(mark_ms / same_ms, 2),
            "mark_p95_ms": round(sorted(marks)[int(0.95 * (len(marks) - 1))] * 1000, 2),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="3k,1m")
    ap.add_argument("--repeat", type=int, default=300)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/lxt-mark"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    results = []
    for size in args.sizes.split(","):
        r = run_size(size, args)
        print(json.dumps(r, ensure_ascii=False), flush=True)
        results.append(r)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
