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


def status_disagreements(con) -> int:
    """How many (student, stage) pairs have a status the event log does not explain."""
    return (con.execute(STATUS_DISAGREES).fetchall()[0][0]
            + con.execute(EVENTS_WITHOUT_STATUS).fetchall()[0][0])
