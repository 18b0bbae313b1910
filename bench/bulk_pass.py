"""Benchmark: a bulk pass of 3,000 students (one `apply_marks(..., source="bulk")` call, one
transaction) on a real DuckDB file. Target: under a second on the project's machine.

    python -m bench.bulk_pass [--students 3000] [--rounds 5]

Each round passes the library stage for every student, then undoes it with a bulk 撤销 (also
one transaction) so the next round changes the same number of rows. Prints the preview time
(the confirmation screen), the pass and the undo, per round and the median.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from clearance.store.accounts import create_account
from clearance.store.marks import Mark, apply_marks, preview_marks
from clearance.root import close_all_stores, open_store
from loaders.roster import import_roster


def _roster(n: int) -> bytes:
    return pd.DataFrame({
        "学号": [f"2015{i:07d}" for i in range(n)], "姓名": [f"学生{i}" for i in range(n)],
        "学院": [f"学院{i % 24}" for i in range(n)], "培养层次": "硕士", "离校类型": "毕业",
        "校区": "A区", "导师": "李老师", "手机": "", "政治面貌": "群众",
    }).to_csv(index=False).encode()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--students", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.duckdb")
        import_roster(store, _roster(args.students), "bench.csv", "2018-06", "bench")
        lib = create_account(store, "lib", "图书馆", "office", "bench-pass", stages=["library"])
        nos = [r[0] for r in store.read_rows("SELECT student_no FROM students ORDER BY 1")]
        passes, undos, previews = [], [], []
        for _ in range(args.rounds):
            marks = [Mark(no, "library", "pass") for no in nos]
            t0 = time.perf_counter()
            plan = preview_marks(store, lib, marks)
            t1 = time.perf_counter()
            result = apply_marks(store, lib, marks, source="bulk")
            t2 = time.perf_counter()
            apply_marks(store, lib, [Mark(no, "library", "reset", reason="基准测试撤销") for no in nos],
                        source="bulk")
            t3 = time.perf_counter()
            assert len(plan.changes) == result.changed == len(nos)
            previews.append(t1 - t0)
            passes.append(t2 - t1)
            undos.append(t3 - t2)
        events = store.read_value("SELECT count(*) FROM events")
        close_all_stores()
    print(f"{args.students} students, {args.rounds} rounds, {events} events written")
    for name, times in (("preview", previews), ("bulk pass", passes), ("bulk undo", undos)):
        print(f"{name:10s} median {statistics.median(times) * 1000:7.1f} ms   "
              f"rounds: {', '.join(f'{t * 1000:.0f}' for t in times)} ms")


if __name__ == "__main__":
    main()
