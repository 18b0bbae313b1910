-- name: completion_cube(batch, campus, level, clearance_type)
-- Status rows of a batch counted per college, stage, the day the stage became ✓ (done_on NULL =
-- not ✓ now) and whether it was passed (not 无需办理). The one scan behind the overview's stage,
-- college, heat-map and bottleneck figures and the college page's comparison: the college and
-- the as-of day apply to this small result. Few group keys on purpose: grouping by every
-- student attribute multiplies the groups (≈50k at 1M students) and triples the time. The
-- student's batch, college, campus, level and type are read from the status row's copies
-- (migration 033): no join with `students` (the join cost 3–6× the bare GROUP BY). The rows are
-- grouped by their compact keys (migration 036: the stage's and college's integer codes and the
-- stored done day; strings and a per-row CAST cost 1.6–2.5× the bare GROUP BY) and the codes
-- turned back into names on the grouped result.
-- ✓ = passed or 无需办理. NULL filters mean all.
-- Parameters: :batch, :campus, :level, :clearance_type.
WITH cube AS (
    SELECT college_code, stage_code, done_on, state = 'passed' AS passed, count(*) AS students
    FROM stage_status
    WHERE student_batch = :batch
      AND (:campus IS NULL OR student_campus = :campus)
      AND (:level IS NULL OR student_level = :level)
      AND (:clearance_type IS NULL OR student_type = :clearance_type)
    GROUP BY ALL
)
SELECT c.college, k.stage_id, x.done_on, x.passed, x.students
FROM cube x
JOIN colleges c USING (college_code)
JOIN stage_codes k USING (stage_code);

-- name: clearance_days(batch, campus, level, clearance_type)
-- Students of a batch counted per college and the day they became fully cleared (NULL = still
-- open). A student's clearance moment is their last ✓. Status rows are grouped per student
-- (college and filters from the status row's copies, migration 033: no join); NULL filters
-- mean all. Parameters: :batch, :campus, :level, :clearance_type.
WITH per_student AS (
    SELECT student_no, any_value(student_college) AS college,
           bool_and(is_done(state)) AS cleared,
           max(updated_at) AS last_at
    FROM stage_status
    WHERE student_batch = :batch
      AND (:campus IS NULL OR student_campus = :campus)
      AND (:level IS NULL OR student_level = :level)
      AND (:clearance_type IS NULL OR student_type = :clearance_type)
    GROUP BY student_no
)
SELECT college,
       CASE WHEN cleared THEN CAST(last_at AS DATE) END AS cleared_on,
       count(*) AS students
FROM per_student
GROUP BY ALL;

-- name: stage_list()
-- The stage catalogue in the handbook's order; `final` marks the last stage (its prerequisites
-- are every other stage: 研工办). No parameters.
SELECT stage_id, seq, name, department, scope,
       len(prerequisites) > 0 AND len(prerequisites) = (SELECT count(*) - 1 FROM stages) AS final
FROM stages ORDER BY seq;
