-- name: batch_summary(batch)
-- Headline figures of a batch. Parameters: :batch.
-- A student is fully cleared when every stage is ✓ (passed or 无需办理).
WITH per_student AS (
    SELECT x.student_no,
           count(*) FILTER (WHERE x.state IN ('passed', 'not_needed')) AS done,
           count(*) AS stages
    FROM stage_status x
    JOIN students s USING (student_no)
    WHERE s.batch_id = :batch
    GROUP BY x.student_no
)
SELECT count(*) AS students,
       count(*) FILTER (WHERE done = stages) AS fully_cleared,
       count(*) FILTER (WHERE done < stages) AS still_open
FROM per_student;
