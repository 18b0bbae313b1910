"""A large batch for the dashboard benchmarks, written with DuckDB bulk SQL into a store created
by the real migrations and catalogue.

    python -m bench.generate 100000 /tmp/bench-100k.duckdb

Everything is derived from hash(student, stage), so a size always gives the same data. The
shape follows the demo batch: finance, hospital and loan passed in advance by feeds, party
branches passing non-members in bulk, the week's stages spread over 06-25 … 07-02, a lagging
tail at the library and the card centre, some rejections first and passes later (two events),
and the graduate-school office last, only for students whose every other stage is ✓.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from clearance.root import close_all_stores, open_store
from clearance.store.students import add_colleges

from loaders.demo import COLLEGES

BATCH = "2018-06"

# Per stage: share of (required) students ✓ by the end, share rejected, and when it happens
# ('advance' = before the period by a feed, 'week' = spread over the period).
STAGE_SHAPE = {
    "advisor": (0.985, 0.0, "week"), "secretary": (0.975, 0.0, "week"),
    "student_work": (0.98, 0.0, "week"), "party": (0.97, 0.0, "week"),
    "finance": (0.97, 0.02, "advance"), "loan": (0.97, 0.0, "advance"),
    "library": (0.90, 0.03, "week"), "dorm": (0.96, 0.0, "week"),
    "hospital": (0.99, 0.0, "advance"), "thesis_center": (0.97, 0.0, "week"),
    "card_center": (0.93, 0.0, "week"), "gso_office": (0.95, 0.0, "week"),
}

STUDENTS_SQL = """
INSERT INTO students
SELECT printf('B%09d', i) AS student_no,
       '学生' || i AS name, 'xs' AS name_initials,
       c.college,
       CASE WHEN hash(i, 'level') % 100 < 18 THEN '博士' ELSE '硕士' END AS level,
       CASE WHEN hash(i, 'type') % 1000 < 955 THEN '毕业'
            WHEN hash(i, 'type') % 1000 < 977 THEN '结业'
            WHEN hash(i, 'type') % 1000 < 985 THEN '肄业' ELSE '退学' END AS clearance_type,
       CASE WHEN hash(i, 'campus') % 100 < 80 THEN c.campus
            ELSE ['A区', 'B区', 'C区', '虎溪'][CAST(1 + hash(i, 'campus2') % 4 AS INTEGER)] END AS campus,
       '导师' || (i % 997) AS advisor,
       printf('13%09d', hash(i, 'phone') % 1000000000) AS phone,
       CASE WHEN hash(i, 'party') % 100 < 42 THEN '中共党员' ELSE '共青团员' END AS political_status,
       $batch AS batch_id, TIMESTAMP '2018-06-10 09:00:00' AS updated_at
FROM range($n) r(i)
JOIN colleges_weighted c ON hash(i, 'college') % $total >= c.lo AND hash(i, 'college') % $total < c.hi
ORDER BY i
"""

# One row per student and stage: the final state and the time it was reached; `rejected_first`
# marks a stage rejected by a feed before it passed (two events).
STATES_SQL = """
CREATE TEMP TABLE planned AS
WITH base AS (
    SELECT s.student_no, CAST(substr(s.student_no, 2) AS BIGINT) AS i, s.clearance_type,
           s.political_status, g.stage_id, g.seq, g.not_required_for,
           p.done_share, p.rejected_share, p.timing,
           (hash(s.student_no, g.stage_id) % 100000) / 100000.0 AS u,
           (hash(s.student_no, g.stage_id, 'day') % 100000) / 100000.0 AS v,
           (hash(s.student_no, g.stage_id, 'minute') % 540) AS minute
    FROM students s CROSS JOIN stages g JOIN shape p USING (stage_id)
), stated AS (
    SELECT *,
           CASE WHEN list_contains(not_required_for, clearance_type) THEN 'not_needed'
                WHEN stage_id = 'loan' AND u < 0.8 THEN 'not_needed'
                WHEN stage_id = 'party' AND political_status <> '中共党员' THEN 'not_needed'
                WHEN u < done_share THEN 'passed'
                WHEN u < done_share + rejected_share THEN 'rejected'
                ELSE 'open' END AS planned_state,
           -- the day: advance stages on 06-20 (party bulk on 06-22), the others over the week,
           -- front-loaded like the demo (more students early, a quiet weekend)
           CASE WHEN timing = 'advance' OR list_contains(not_required_for, clearance_type)
                     OR (stage_id = 'loan' AND u < 0.8) THEN DATE '2018-06-20'
                WHEN stage_id = 'party' AND political_status <> '中共党员' THEN DATE '2018-06-22'
                ELSE DATE '2018-06-25' + CAST(floor(7.99 * pow(v, 1.6)) AS INTEGER) END
               + to_minutes(CAST(510 + minute AS BIGINT)) AS when_at
    FROM base
), others AS (
    SELECT *,
           bool_and(planned_state IN ('passed', 'not_needed')) FILTER (WHERE stage_id <> 'gso_office')
               OVER (PARTITION BY student_no) AS others_done,
           max(when_at) FILTER (WHERE stage_id <> 'gso_office') OVER (PARTITION BY student_no) AS others_at,
           bool_or(stage_id = 'advisor' AND planned_state IN ('passed', 'not_needed'))
               OVER (PARTITION BY student_no) AS advisor_done
    FROM stated
)
SELECT student_no, i, stage_id, seq,
       CASE WHEN stage_id = 'secretary' AND NOT advisor_done THEN 'open'  -- needs the advisor
            WHEN stage_id <> 'gso_office' THEN planned_state
            WHEN others_done AND u < done_share THEN 'passed' ELSE 'open' END AS state,
       CASE WHEN stage_id = 'gso_office' THEN others_at + to_minutes(CAST(10 + minute AS BIGINT))
            ELSE when_at END AS when_at,
       stage_id IN ('finance', 'library') AND planned_state = 'passed' AND v < 0.08 AS rejected_first
FROM others
"""

EVENTS_SQL = """
INSERT INTO events (event_id, student_no, stage_id, action, state_before, state_after, reason, note,
                    actor, source, source_ref, marked_at)
SELECT i * 32 + seq * 2 AS event_id, student_no, stage_id, 'reject', 'open', 'rejected',
       CASE WHEN stage_id = 'library' THEN '图书未还 2 册' ELSE '欠学费 1200 元' END, NULL,
       'feed:' || stage_id, 'feed', NULL, when_at - INTERVAL 2 DAY
FROM planned WHERE rejected_first
UNION ALL
SELECT i * 32 + seq * 2 + 1, student_no, stage_id,
       CASE state WHEN 'passed' THEN 'pass' WHEN 'not_needed' THEN 'not_needed' ELSE 'reject' END,
       CASE WHEN rejected_first THEN 'rejected' ELSE 'open' END, state,
       CASE WHEN state = 'rejected' THEN '图书未还 1 册' END, NULL,
       CASE WHEN stage_id IN ('finance', 'loan', 'hospital', 'library', 'card_center')
            THEN 'feed:' || stage_id ELSE stage_id || '_staff' END,
       CASE WHEN stage_id IN ('finance', 'loan', 'hospital', 'library', 'card_center')
            THEN 'feed' ELSE 'page' END,
       NULL, when_at
FROM planned WHERE state <> 'open'
ORDER BY 1
"""

STATUS_SQL = """
INSERT INTO stage_status
SELECT p.student_no, stage_id, state,
       CASE WHEN state = 'rejected' THEN '图书未还 1 册' END,
       CASE WHEN state <> 'open' THEN when_at END,
       CASE WHEN state <> 'open' THEN 'bench' END,
       CASE WHEN state <> 'open' THEN 'feed' END,
       CASE WHEN state <> 'open' THEN i * 32 + seq * 2 + 1 END,
       s.batch_id, s.college, s.campus, s.level, s.clearance_type,  -- the copies (migration 033)
       k.stage_code, c.college_code,                                 -- the codes (migration 036)
       CASE WHEN state IN ('passed', 'not_needed') THEN CAST(when_at AS DATE) END
FROM planned p JOIN students s USING (student_no)
JOIN stage_codes k USING (stage_id) JOIN colleges c USING (college)
ORDER BY p.student_no, seq  -- roster order, not grouped by college (as a real import writes)
"""

def generate(n: int, path: Path) -> dict:
    """Create `path` (must not exist) with `n` students. Returns row counts and timings."""
    if path.exists():
        raise SystemExit(f"{path} exists; remove it first")
    timings = {}
    t0 = time.perf_counter()
    store = open_store(path)  # the real migrations and the real catalogue
    total = sum(count for _c, _code, count, _campus in COLLEGES)
    ranges, lo = [], 0
    for college, _code, count, campus in COLLEGES:
        ranges.append((college, campus, lo, lo + count))
        lo += count
    with store.transaction() as cur:
        cur.execute("CREATE TEMP TABLE colleges_weighted (college VARCHAR, campus VARCHAR, lo BIGINT, hi BIGINT)")
        cur.executemany("INSERT INTO colleges_weighted VALUES (?, ?, ?, ?)", ranges)
        cur.execute("CREATE TEMP TABLE shape (stage_id VARCHAR, done_share DOUBLE, rejected_share DOUBLE,"
                    " timing VARCHAR)")
        cur.executemany("INSERT INTO shape VALUES (?, ?, ?, ?)",
                        [(k, *v) for k, v in STAGE_SHAPE.items()])
        cur.execute(STUDENTS_SQL, {"n": n, "batch": BATCH, "total": total})
        add_colleges(cur, "SELECT college FROM colleges_weighted")
        timings["students"] = time.perf_counter() - t0
        # Temp tables live in this cursor's connection, so all of it is one transaction.
        cur.execute(STATES_SQL)
        timings["plan"] = time.perf_counter() - t0
        cur.execute(EVENTS_SQL)
        timings["events"] = time.perf_counter() - t0
        cur.execute(STATUS_SQL)
        # Bulk SQL wrote ids itself: move the mark path's sequence past them (migration 017).
        cur.execute("SELECT count(nextval('event_ids')) FROM range("
                    "(SELECT max(event_id) FROM events))")  # a fresh store: none drawn yet
        timings["status"] = time.perf_counter() - t0
        cur.execute("DROP TABLE planned")
    store.read_rows("CHECKPOINT")
    timings["total"] = time.perf_counter() - t0
    counts = {t: store.read_value(f"SELECT count(*) FROM {t}")  # constant table names
              for t in ("students", "stage_status", "events")}
    close_all_stores()
    return counts | {f"seconds_{k}": round(v, 1) for k, v in timings.items()}

if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
