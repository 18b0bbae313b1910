-- name: stage_completion(batch, college)
-- Per stage of a batch: ✓ counts (passed, 无需办理), open and rejected, of one college or
-- (:college NULL) the whole school. Parameters: :batch, :college.
SELECT g.stage_id, g.seq, g.name,
       count(*) FILTER (WHERE x.state = 'passed') AS passed,
       count(*) FILTER (WHERE x.state = 'not_needed') AS not_needed,
       count(*) FILTER (WHERE is_done(x.state)) AS done,
       count(*) FILTER (WHERE x.state = 'open') AS open,
       count(*) FILTER (WHERE x.state = 'rejected') AS rejected,
       count(*) AS students
FROM stage_status x
JOIN students s USING (student_no)
JOIN stages g USING (stage_id)
WHERE s.batch_id = :batch AND (:college IS NULL OR s.college = :college)
GROUP BY g.stage_id, g.seq, g.name
ORDER BY g.seq;
