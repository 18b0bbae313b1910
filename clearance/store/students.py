"""Students: the roster written into the store, and their status rows at every stage."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from pypinyin import Style, lazy_pinyin

from clearance.rules.catalogue import Catalogue
from clearance.rules.marking import is_party_member  # noqa: F401  (re-exported)
from clearance.store.marks import write_events
from clearance.clock import beijing_now

STUDENT_COLUMNS = [
    "student_no", "name", "college", "level", "clearance_type", "campus",
    "advisor", "phone", "political_status",
]


# What the dashboards group by, copied onto every status row (migration 033) so their queries
# need no join with `students`: status column ← students column. Written only here.
STATUS_KEYS = {
    "student_batch": "batch_id", "student_college": "college", "student_campus": "campus",
    "student_level": "level", "student_type": "clearance_type",
}
STATUS_KEYS_SQL = ", ".join(STATUS_KEYS)
STUDENT_KEYS_SQL = ", ".join(f"s.{c}" for c in STATUS_KEYS.values())

# The status row's compact group keys (migration 036): the stage's code and the college's code,
# so the dashboards group small integers, not strings. Codes come from stage_codes and colleges.
CODE_KEYS_SQL = "stage_code, college_code"


def add_colleges(cur, names_sql: str, params: dict | None = None) -> None:
    """Add the colleges named by `names_sql` (a query with a `college` column) that the store does
    not know yet, each with the next free code (colleges.college_code; a code is never reused)."""
    cur.execute(
        "INSERT INTO colleges (college, college_code)"
        " SELECT college, (SELECT coalesce(max(college_code), 0) FROM colleges)"
        "                 + row_number() OVER (ORDER BY college)"
        f" FROM (SELECT DISTINCT college FROM ({names_sql}))"
        " WHERE college IS NOT NULL AND college NOT IN (SELECT college FROM colleges)", params or {})


def name_initials(name: str) -> str:
    """Pinyin initials of a Chinese name, lower case: 张三 → 'zs'."""
    return "".join(p[:1] for p in lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()


def upsert_students(cur, students: pd.DataFrame, batch_id: str, now: datetime) -> tuple[int, int]:
    """Insert new students and update known ones (by 学号). Returns (inserted, updated)."""
    df = students[STUDENT_COLUMNS].copy()
    if "name_initials" in students:  # computed by the loader for a big roster (whole column)
        df["name_initials"] = students["name_initials"]
    else:
        df["name_initials"] = df["name"].map(name_initials)
    df["batch_id"] = batch_id
    df["updated_at"] = now
    cur.register("incoming_students", df)
    try:
        known = cur.execute(
            "SELECT count(*) FROM incoming_students i JOIN students s USING (student_no)"
        ).fetchall()[0][0]
        cur.execute(
            "INSERT INTO students BY NAME SELECT * FROM incoming_students"
            " ON CONFLICT (student_no) DO UPDATE SET name = excluded.name,"
            " name_initials = excluded.name_initials, college = excluded.college,"
            " level = excluded.level, clearance_type = excluded.clearance_type,"
            " campus = excluded.campus, advisor = excluded.advisor, phone = excluded.phone,"
            " political_status = excluded.political_status, batch_id = excluded.batch_id,"
            " updated_at = excluded.updated_at"
        )
        add_colleges(cur, "SELECT college FROM incoming_students")  # before their codes are copied
        sync_status_keys(cur, "incoming_students")
    finally:
        cur.unregister("incoming_students")
    return len(df) - known, known


def sync_status_keys(cur, students_table: str = "students") -> int:
    """Bring the status rows' copies of the students' batch, college (and its code), campus,
    level and type in step with `students`, for the students in `students_table` (a table or
    registered frame with a student_no column; default every student). Only rows that differ
    are written. Returns how many status rows changed."""
    differs = " OR ".join(f"x.{k} IS DISTINCT FROM s.{c}" for k, c in STATUS_KEYS.items())
    sets = ", ".join(f"{k} = s.{c}" for k, c in STATUS_KEYS.items())
    scope = ("" if students_table == "students" else
             f" AND s.student_no IN (SELECT student_no FROM {students_table})")  # a constant name
    return cur.execute(
        f"UPDATE stage_status x SET {sets}, college_code = s.college_code"
        " FROM (SELECT s.*, c.college_code FROM students s JOIN colleges c USING (college)) s"
        f" WHERE x.student_no = s.student_no AND ({differs}"
        f" OR x.college_code IS DISTINCT FROM s.college_code){scope}").fetchall()[0][0]


def ensure_status_rows(cur, catalogue: Catalogue, actor_name: str, source: str,
                       now: datetime | None = None, source_ref: str | None = None,
                       only: pd.Series | None = None) -> int:
    """Give every student a status row at every stage. A stage not required for the student's
    clearance type starts as 无需办理, recorded as an event like any other mark.

    `only`: the 学号 of the students to look at (a roster import passes its new students, so a
    big store does not pay an anti-join of every student × stage per import); None looks at
    every student (a catalogue change may add a stage for all of them)."""
    scope = ""
    if only is not None:  # registered on the transaction's own cursor, gone when it closes
        cur.register("status_scope", pd.DataFrame({"student_no": only.astype("str")}))
        scope = " AND s.student_no IN (SELECT student_no FROM status_scope)"
    cur.execute(
        "INSERT INTO stage_status (student_no, stage_id, state, " + STATUS_KEYS_SQL + ", "
        + CODE_KEYS_SQL + ")"
        " SELECT s.student_no, g.stage_id, 'open', " + STUDENT_KEYS_SQL + ", k.stage_code,"
        " c.college_code"
        # LEFT JOINs: a college or stage without its code fails the NOT NULL, never drops a row.
        " FROM students s LEFT JOIN colleges c USING (college)"
        " CROSS JOIN stages g LEFT JOIN stage_codes k USING (stage_id)"
        " WHERE NOT EXISTS (SELECT 1 FROM stage_status x"
        "                   WHERE x.student_no = s.student_no AND x.stage_id = g.stage_id)"
        + scope
    )
    exempt = cur.execute(
        "SELECT x.student_no, x.stage_id FROM stage_status x"
        " JOIN students s USING (student_no) JOIN stages g USING (stage_id)"
        " WHERE x.state = 'open' AND x.last_event_id IS NULL"
        "   AND list_contains(g.not_required_for, s.clearance_type)" + scope
    ).fetchall()

    at = now or beijing_now()
    changes = [
        {"student_no": no, "stage_id": stage_id, "action": "not_needed", "state_before": "open",
         "state_after": "not_needed", "reason": None, "note": "该离校类型无需办理此环节",
         "actor": actor_name, "source": source, "source_ref": source_ref, "marked_at": at}
        for no, stage_id in exempt
    ]
    return len(write_events(cur, changes))
