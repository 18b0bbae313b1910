-- name: roster_runs(batch)
-- Roster imports of a batch, newest first. Parameters: :batch.
SELECT imported_at, file_name, row_count, inserted, updated, actor, content_hash
FROM import_runs
WHERE kind = 'roster' AND batch_id = :batch
ORDER BY imported_at DESC;
