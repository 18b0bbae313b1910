-- 036: compact group keys and the done day on the status rows (issue 15, item 7). After 033 the
-- dashboards read stage_status alone, but `completion_cube` grouped by the college and stage as
-- strings and computed the done day per row (CAST(updated_at AS DATE)): 2.3–3.4× the bare
-- GROUP BY. Measured on a copy of the 100k store: the same GROUP BY over small integer codes and
-- a stored day is 1.1–1.2× (a VARCHAR state compares as fast as an ENUM here: DuckDB's dictionary
-- compression), so the status row now carries
--   stage_code    the stage's code (stage_codes: one per stage id, never reused or changed),
--   college_code  the student's college's code (colleges.college_code, assigned on first sight),
--   done_on       the day the stage became ✓ (passed / 无需办理), NULL while it is not ✓.
-- All three are written only by the one write path (clearance.store.marks.write_events,
-- clearance.store.students: ensure_status_rows, sync_status_keys) and checked by
-- clearance.store.integrity. The queries map codes back to names after grouping. The primary key
-- becomes (student_no, stage_code).

CREATE TABLE stage_codes (
    stage_id    VARCHAR PRIMARY KEY,
    stage_code  UTINYINT NOT NULL UNIQUE
);
INSERT INTO stage_codes
SELECT stage_id, row_number() OVER (ORDER BY min(seq), stage_id)
FROM (SELECT stage_id, seq FROM stages
      UNION ALL SELECT DISTINCT stage_id, NULL FROM stage_status)  -- a stage dropped from the catalogue keeps its rows
GROUP BY stage_id;

CREATE TABLE colleges_036 (
    college       VARCHAR PRIMARY KEY,
    college_code  USMALLINT NOT NULL UNIQUE
);
INSERT INTO colleges_036
SELECT college, row_number() OVER (ORDER BY college)
FROM (SELECT college FROM colleges UNION SELECT student_college FROM stage_status
      UNION SELECT college FROM students);
DROP TABLE colleges;
ALTER TABLE colleges_036 RENAME TO colleges;

-- Rebuilt, not altered (as 033): one pass, rows kept grouped by batch and college.
CREATE TABLE stage_status_036 (
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
    stage_code        UTINYINT NOT NULL,        -- = stage_codes.stage_code of stage_id
    college_code      USMALLINT NOT NULL,       -- = colleges.college_code of student_college
    done_on           DATE,                     -- = CAST(updated_at AS DATE) if is_done(state)
    -- The key on the stage's 1-byte code, not its VARCHAR id (the same pairs: stage_codes maps
    -- one to one). DuckDB builds the key's ART index in the inserting transaction and again at
    -- commit; for a roster import's 1.2 M new rows this key cost 5.4 s against 8.5 s for
    -- (student_no, stage_id) (bench/status_pk.py, BENCHMARKS.md). No lookup uses the key
    -- (DuckDB scans a compound key's table with zone maps); it guards uniqueness only.
    PRIMARY KEY (student_no, stage_code)
);
INSERT INTO stage_status_036
SELECT x.student_no, x.stage_id, x.state, x.reason, x.updated_at, x.updated_by, x.source,
       x.last_event_id, x.student_batch, x.student_college, x.student_campus, x.student_level,
       x.student_type, g.stage_code, c.college_code,
       CASE WHEN is_done(x.state) THEN CAST(x.updated_at AS DATE) END
FROM stage_status x
JOIN stage_codes g USING (stage_id)
JOIN colleges c ON c.college = x.student_college
ORDER BY x.student_batch, x.student_college, x.student_no, x.stage_id;
DROP TABLE stage_status;
ALTER TABLE stage_status_036 RENAME TO stage_status;
