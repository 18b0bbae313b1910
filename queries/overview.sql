-- name: completion_cube(batch)
-- Status rows of a batch counted per college, campus, level, clearance type, stage, the day the
-- stage became ✓ (done_on NULL = not ✓ now) and whether it was passed (not 无需办理). The one
-- scan behind the overview's stage, college, heat-map and bottleneck figures: filters and the
-- as-of day apply to this small result, so changing them reads nothing again.
-- ✓ = passed or 无需办理. Parameters: :batch.
SELECT s.college, s.campus, s.level, s.clearance_type, x.stage_id,
       CASE WHEN x.state IN ('passed', 'not_needed') THEN CAST(x.updated_at AS DATE) END AS done_on,
       x.state = 'passed' AS passed,
       count(*) AS students
FROM stage_status x
JOIN students s USING (student_no)
WHERE s.batch_id = :batch
GROUP BY ALL;

-- name: clearance_days(batch)
-- Students of a batch counted per college, campus, level, clearance type and the day they became
-- fully cleared (NULL = still open). A student's clearance moment is their last ✓.
-- Parameters: :batch.
WITH per_student AS (
    SELECT x.student_no,
           bool_and(x.state IN ('passed', 'not_needed')) AS cleared,
           max(x.updated_at) AS last_at
    FROM stage_status x
    JOIN students s USING (student_no)
    WHERE s.batch_id = :batch
    GROUP BY x.student_no
)
SELECT s.college, s.campus, s.level, s.clearance_type,
       CASE WHEN p.cleared THEN CAST(p.last_at AS DATE) END AS cleared_on,
       count(*) AS students
FROM per_student p
JOIN students s USING (student_no)
GROUP BY ALL;

-- name: batch_last_mark_day(batch)
-- The day of the batch's last mark (the overview's "today" once a past batch is over).
-- Parameters: :batch.
SELECT CAST(max(x.updated_at) AS DATE) AS last_day
FROM stage_status x
JOIN students s USING (student_no)
WHERE s.batch_id = :batch;

-- name: stage_list()
-- The stage catalogue in the handbook's order. No parameters.
SELECT stage_id, seq, name, department, scope FROM stages ORDER BY seq;
