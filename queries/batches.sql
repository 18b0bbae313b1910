-- name: batch_list()
-- All batches, newest first. No parameters.
SELECT batch_id, title, period_start, period_end, diploma_start, diploma_end, card_deactivation,
       diploma_start_part
FROM batches
ORDER BY period_start DESC;
