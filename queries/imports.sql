-- name: roster_runs(batch)
-- Roster imports of a batch, newest first. Parameters: :batch.
SELECT imported_at, file_name, row_count, inserted, updated, actor, content_hash
FROM import_runs
WHERE kind = 'roster' AND batch_id = :batch
ORDER BY imported_at DESC;
-- name: import_runs_recent(kind)
-- Import runs (roster and feeds), newest first. Parameters: :kind ('' = every kind).
-- `sender` is the staff member's name where the sender is an account, else the sender as recorded.
SELECT run_id, imported_at, kind, stage_id, file_name, content_hash, row_count, channel, actor,
       coalesce(a.display_name, r.actor) AS sender,
       inserted, updated, passed, rejected, unchanged, skipped,
       (SELECT count(*) FROM events e WHERE e.source_ref = r.run_id) AS events
FROM import_runs r
LEFT JOIN staff a ON a.username = r.actor
WHERE :kind = '' OR kind = :kind
ORDER BY imported_at DESC, run_id
LIMIT 2000;

-- name: import_run_events(run_id)
-- The marks one import run made (events whose source_ref is the run id). Parameters: :run_id.
SELECT e.event_id, e.marked_at, e.student_no, s.name, s.college, g.name AS stage_name,
       e.action, e.state_before, e.state_after, e.reason, e.note, e.actor
FROM events e
JOIN students s USING (student_no)
JOIN stages g USING (stage_id)
WHERE e.source_ref = :run_id
ORDER BY e.event_id;

-- name: import_run_skips(run_id)
-- Rows a feed run left alone, and why. Parameters: :run_id.
SELECT k.student_no, s.name, s.college, k.reason
FROM feed_skips k
LEFT JOIN students s USING (student_no)
WHERE k.run_id = :run_id
ORDER BY k.student_no;

-- name: feed_refusals_recent()
-- Feed files refused whole (nothing changed), newest first. No parameters.
SELECT refusal_id, refused_at, kind, file_name, content_hash, channel, actor, errors
FROM feed_refusals
ORDER BY refused_at DESC, refusal_id DESC
LIMIT 500;
