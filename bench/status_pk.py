"""What the stage_status primary key costs a roster import's status rows (issue 15 item 7 with
issue 11 item 5): 12 status rows per new student inserted in one transaction by INSERT … SELECT,
as `clearance.store.students.ensure_status_rows` does, into a table with the row shape of
migration 036, under different keys. Each variant writes a fresh file; variants interleave.

    python -m bench.status_pk --students 100000 --repeat 3 --dir /tmp/status_pk

Prints per variant the median wall time of the INSERT and of the COMMIT, and the process CPU
time of both (all threads), which does not depend on other load on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb

ROW = """
    student_no VARCHAR NOT NULL, stage_id VARCHAR NOT NULL, state VARCHAR NOT NULL,
    reason VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR, source VARCHAR, last_event_id BIGINT,
    student_batch VARCHAR NOT NULL, student_college VARCHAR NOT NULL,
    student_campus VARCHAR NOT NULL, student_level VARCHAR NOT NULL,
    student_type VARCHAR NOT NULL, stage_code UTINYINT NOT NULL, college_code USMALLINT NOT NULL,
    done_on DATE, student_key INTEGER NOT NULL"""
VARIANTS = {
    "(student_no, stage_id) VARCHAR key (now)": "PRIMARY KEY (student_no, stage_id)",
    "(student_no, stage_code)": "PRIMARY KEY (student_no, stage_code)",
    "(student_key INTEGER, stage_code UTINYINT)": "PRIMARY KEY (student_key, stage_code)",
    "no key": None,
}
SETUP = """
CREATE TABLE students AS
SELECT CAST(i AS INTEGER) AS student_key, CAST(20180000000 + i AS VARCHAR) AS student_no,
       '2018-06' AS batch_id, '学院' || (i % 24) AS college, '虎溪' AS campus, '硕士' AS level,
       '毕业' AS clearance_type, CAST(i % 24 + 1 AS USMALLINT) AS college_code
FROM range($n) t(i);
CREATE TABLE stages AS
SELECT 'stage_' || i AS stage_id, CAST(i + 1 AS UTINYINT) AS stage_code FROM range(12) t(i);
"""
INSERT = """
INSERT INTO stage_status (student_no, stage_id, state, student_batch, student_college,
    student_campus, student_level, student_type, stage_code, college_code, student_key)
SELECT s.student_no, g.stage_id, 'open', s.batch_id, s.college, s.campus, s.level,
       s.clearance_type, g.stage_code, s.college_code, s.student_key
FROM students s CROSS JOIN stages g
"""


def run_once(path: Path, students: int, key: str | None) -> dict:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    for statement in SETUP.split(";")[:2]:
        con.execute(statement, {"n": students} if "$n" in statement else {})
    con.execute(f"CREATE TABLE stage_status ({ROW}{', ' + key if key else ''})")
    con.execute("CHECKPOINT")
    cpu, t0 = time.process_time(), time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute(INSERT)
    t1 = time.perf_counter()
    con.execute("COMMIT")
    t2 = time.perf_counter()
    out = {"insert": t1 - t0, "commit": t2 - t1, "cpu": time.process_time() - cpu}
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/status_pk"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for _ in range(args.repeat):
        for label, key in VARIANTS.items():
            runs[label].append(run_once(args.dir / "status_pk.duckdb", args.students, key))
    print(f"{args.students * 12:,} status rows, medians of {args.repeat} (wall s; CPU s, all threads)")
    for label, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("insert", "commit", "cpu")}
        print(f"{label:45s} insert {med['insert']:5.2f}  commit {med['commit']:5.2f}"
              f"  total {med['insert'] + med['commit']:5.2f}  CPU {med['cpu']:5.2f}")


if __name__ == "__main__":
    main()
