-- name: lagging_students(batch, college, stage, level, clearance_type)
-- Every student of a batch with an open stage (× 未办理 or × 不通过): what is open, what to
-- bring, where to go on the student's own campus (campus_routes), and the student's phone;
-- most open stages first. :college NULL = every college; :stage keeps students for whom that
-- stage is open (their other open stages are still listed); NULL filters mean all.
-- Parameters: :batch, :college, :stage, :level, :clearance_type.
SELECT s.student_no, s.name, s.college, s.level, s.clearance_type, s.campus, s.phone,
       count(*) AS open_count,
       list(x.stage_id ORDER BY g.seq) AS open_stage_ids,
       string_agg(g.name, '、' ORDER BY g.seq) AS open_stages,
       string_agg(g.name || '：' || coalesce(sb.brings, g.brings), '；' ORDER BY g.seq) AS brings,
       string_agg(g.name || '：' || r.room || CASE WHEN r.phone <> '' THEN '（电话 ' || r.phone || '）'
                                                   ELSE '' END, '；' ORDER BY g.seq) AS where_to_go,
       string_agg(CASE WHEN x.state = 'rejected' THEN g.name || '：' || coalesce(x.reason, '') END,
                  '；' ORDER BY g.seq) AS rejected_reasons
FROM stage_status x
JOIN students s USING (student_no)
JOIN stages g USING (stage_id)
LEFT JOIN campus_routes r ON r.campus = s.campus AND r.stage_id = x.stage_id
LEFT JOIN stage_brings sb ON sb.stage_id = x.stage_id AND sb.clearance_type = s.clearance_type
WHERE s.batch_id = :batch
  AND NOT is_done(x.state)
  AND (:college IS NULL OR s.college = :college)
  AND (:level IS NULL OR s.level = :level)
  AND (:clearance_type IS NULL OR s.clearance_type = :clearance_type)
GROUP BY s.student_no, s.name, s.college, s.level, s.clearance_type, s.campus, s.phone
HAVING :stage IS NULL OR bool_or(x.stage_id = :stage)
ORDER BY open_count DESC, s.student_no;
