"""Is a DuckDB file whole and consistent? Every table read back (DuckDB checks each block's
checksum as it reads), and every status explained by the event log. Used on the live store at
start (clearance.health) and on every snapshot (clearance.store.backup)."""

from __future__ import annotations


def scan_tables(con) -> int:
    """Read every row of every table once (DuckDB checks each block's checksum as it reads).
    Returns the number of tables read; raises the DuckDB error on a bad block."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        " ORDER BY table_name").fetchall()]
    for table in tables:
        # hash(t) of the whole row: every column is read, not just the row count.
        con.execute(f'SELECT count(*), max(hash(t)) FROM "{table}" AS t').fetchall()
    return len(tables)


# Status rows that disagree with the event log: the current state must be the last event's.
STATUS_DISAGREES = """
SELECT count(*) FROM stage_status s
LEFT JOIN (SELECT student_no, stage_id, max(event_id) AS event_id,
                  arg_max(state_after, event_id) AS state_after
           FROM events GROUP BY student_no, stage_id) e
       USING (student_no, stage_id)
WHERE coalesce(e.state_after, 'open') <> s.state OR s.last_event_id IS DISTINCT FROM e.event_id
"""
EVENTS_WITHOUT_STATUS = """
SELECT count(*) FROM (SELECT DISTINCT student_no, stage_id FROM events) e
WHERE NOT EXISTS (SELECT 1 FROM stage_status s
                  WHERE s.student_no = e.student_no AND s.stage_id = e.stage_id)
"""


# Status rows whose copy of the student's batch/college/campus/level/type (migration 033, kept
# by clearance.store.students) is not the student's: the dashboards would count them wrongly.
STATUS_KEYS_DIFFER = """
SELECT count(*) FROM stage_status x JOIN students s USING (student_no)
WHERE x.student_batch IS DISTINCT FROM s.batch_id OR x.student_college IS DISTINCT FROM s.college
   OR x.student_campus IS DISTINCT FROM s.campus OR x.student_level IS DISTINCT FROM s.level
   OR x.student_type IS DISTINCT FROM s.clearance_type
"""


def status_keys_out_of_step(con) -> int:
    """How many status rows carry a student's batch/college/campus/level/type that is not the
    student's. 0 for a store from before migration 033 (an upgrade backup has no copies)."""
    has_copies = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()"
        " AND table_name = 'stage_status' AND column_name = 'student_college'").fetchall()[0][0]
    return con.execute(STATUS_KEYS_DIFFER).fetchall()[0][0] if has_copies else 0


def status_disagreements(con) -> int:
    """How many (student, stage) pairs have a status the event log does not explain."""
    return (con.execute(STATUS_DISAGREES).fetchall()[0][0]
            + con.execute(EVENTS_WITHOUT_STATUS).fetchall()[0][0])


# Status rows whose compact group keys (migration 036, written by the one write path) disagree
# with what they stand for: the stage's code, the student's college's code, and the done day
# (the date of updated_at when the state is ✓, else NULL). The cube groups by these alone.
STATUS_CODES_DIFFER = """
SELECT count(*) FROM stage_status x
LEFT JOIN stage_codes k USING (stage_id)
LEFT JOIN colleges c ON c.college = x.student_college
WHERE x.stage_code IS DISTINCT FROM k.stage_code
   OR x.college_code IS DISTINCT FROM c.college_code
   OR x.done_on IS DISTINCT FROM (CASE WHEN is_done(x.state) THEN CAST(x.updated_at AS DATE) END)
"""


def status_codes_out_of_step(con) -> int:
    """How many status rows carry a stage code, college code or done day that is not the one
    their stage, college, state and time say. 0 for a store from before migration 036."""
    has_codes = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()"
        " AND table_name = 'stage_status' AND column_name = 'done_on'").fetchall()[0][0]
    return con.execute(STATUS_CODES_DIFFER).fetchall()[0][0] if has_codes else 0
