-- name: batch_list()
-- All batches, newest first; closed_at NULL = open; diploma_start_part: 上午 / 下午 of the
-- hand-out's first day (NULL = the whole day). No parameters.
SELECT batch_id, title, period_start, period_end, diploma_start, diploma_end, card_deactivation,
       closed_at, closed_by, diploma_start_part
FROM batches
ORDER BY period_start DESC;

-- name: batch_overview()
-- Each batch with its student count and how many cleared every stage, newest first;
-- diploma_start_part: 上午 / 下午 of the hand-out's first day (NULL = the whole day).
-- No parameters.
WITH per_student AS (
    SELECT student_no, bool_and(state IN ('passed', 'not_needed')) AS cleared
    FROM stage_status GROUP BY student_no
)
SELECT b.batch_id, b.title, b.period_start, b.period_end, b.diploma_start, b.diploma_end,
       b.card_deactivation, b.closed_at, b.closed_by, b.diploma_start_part,
       count(s.student_no) AS students,
       count(s.student_no) FILTER (WHERE p.cleared) AS cleared
FROM batches b
LEFT JOIN students s USING (batch_id)
LEFT JOIN per_student p USING (student_no)
GROUP BY ALL
ORDER BY b.period_start DESC;

-- name: batch_changes()
-- Every create / edit / close of a batch, newest first. No parameters.
SELECT changed_at, batch_id, action, detail, actor
FROM batch_changes
ORDER BY change_id DESC;

-- name: backup_list()
-- Backups this store has taken, newest first (pruned ones included, with when). No parameters.
SELECT backup_id, trigger, actor, started_at, duration_ms, lock_ms, bytes, events, verified,
       pruned_at
FROM backups
ORDER BY started_at DESC, backup_id DESC;
