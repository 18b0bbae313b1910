-- name: batch_summary(batch, college)
-- Headline figures of a batch, of one college or (:college NULL) the whole school.
-- Parameters: :batch, :college.
-- A student is fully cleared when every stage is ✓ (passed or 无需办理).
WITH per_student AS (
    SELECT x.student_no,
           count(*) FILTER (WHERE is_done(x.state)) AS done,
           count(*) AS stages
    FROM stage_status x
    JOIN students s USING (student_no)
    WHERE s.batch_id = :batch AND (:college IS NULL OR s.college = :college)
    GROUP BY x.student_no
)
SELECT count(*) AS students,
       count(*) FILTER (WHERE done = stages) AS fully_cleared,
       count(*) FILTER (WHERE done < stages) AS still_open
FROM per_student;
