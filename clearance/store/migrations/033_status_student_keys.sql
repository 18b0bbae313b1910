-- 033: the dashboards' group keys on the status rows (issue 15, item 7). Every dashboard figure
-- groups status rows by the student's batch, college, campus, level or clearance type; joining
-- 12 M status rows with `students` on the VARCHAR 学号 cost 3–6× the bare GROUP BY over
-- stage_status. The status row now carries a copy of those five fields (prefixed student_, so a
-- query joining `students` never meets two columns of one name). They are written only by the
-- one write path (clearance.store.students: ensure_status_rows for new rows, sync_status_keys
-- when a roster import changes a student) and checked by clearance.store.integrity.
--
-- The table is rebuilt, not altered: one pass, the rows ordered by batch and college (so a
-- college's rows sit together and DuckDB's per-row-group min/max skips the others), and no
-- 12 M-row UPDATE left in the file.
CREATE TABLE stage_status_033 (
    student_no        VARCHAR NOT NULL,
    stage_id          VARCHAR NOT NULL,
    state             VARCHAR NOT NULL,         -- open / passed / not_needed / rejected
    reason            VARCHAR,
    updated_at        TIMESTAMP,
    updated_by        VARCHAR,
    source            VARCHAR,
    last_event_id     BIGINT,
    student_batch     VARCHAR NOT NULL,         -- = students.batch_id
    student_college   VARCHAR NOT NULL,         -- = students.college
    student_campus    VARCHAR NOT NULL,         -- = students.campus
    student_level     VARCHAR NOT NULL,         -- = students.level
    student_type      VARCHAR NOT NULL,         -- = students.clearance_type
    PRIMARY KEY (student_no, stage_id)
);
INSERT INTO stage_status_033
SELECT x.student_no, x.stage_id, x.state, x.reason, x.updated_at, x.updated_by, x.source,
       x.last_event_id, s.batch_id, s.college, s.campus, s.level, s.clearance_type
FROM stage_status x LEFT JOIN students s USING (student_no)  -- a row without its student fails NOT NULL: the migration stops
ORDER BY s.batch_id, s.college, x.student_no, x.stage_id;
DROP TABLE stage_status;
ALTER TABLE stage_status_033 RENAME TO stage_status;
