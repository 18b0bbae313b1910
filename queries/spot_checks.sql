-- name: spot_check_list(batch)
-- The batch's spot checks, newest first, with how many sampled marks are checked and how many
-- showed a problem (the latest outcome per item counts). Parameters: :batch.
WITH latest AS (
    SELECT check_id, item_no, outcome
    FROM spot_check_outcomes
    QUALIFY row_number() OVER (PARTITION BY check_id, item_no ORDER BY outcome_id DESC) = 1
)
SELECT c.check_id, c.stage_id, g.name AS stage_name, c.college, c.sample_size, c.seed,
       c.drawn_by, c.drawn_at,
       (SELECT count(*) FROM spot_check_items i WHERE i.check_id = c.check_id) AS items,
       (SELECT count(*) FROM latest l WHERE l.check_id = c.check_id) AS checked,
       (SELECT count(*) FROM latest l WHERE l.check_id = c.check_id AND l.outcome = 'problem')
           AS problems
FROM spot_checks c
LEFT JOIN stages g USING (stage_id)
WHERE c.batch_id = :batch
ORDER BY c.check_id DESC;

-- name: spot_check_items(check_id)
-- The sampled marks of one check: the student, the stage, the pass event that was sampled, and
-- the latest outcome. Parameters: :check_id.
WITH latest AS (
    SELECT *
    FROM spot_check_outcomes
    WHERE check_id = :check_id
    QUALIFY row_number() OVER (PARTITION BY item_no ORDER BY outcome_id DESC) = 1
)
SELECT i.item_no, i.student_no, s.name, s.college, i.stage_id, g.name AS stage_name,
       e.actor AS passed_by, e.marked_at AS passed_at, e.source AS passed_source,
       e.evidence AS passed_evidence,
       x.state AS state_now,
       l.outcome, l.note AS outcome_note, l.checked_by, l.checked_at
FROM spot_check_items i
JOIN students s USING (student_no)
JOIN stages g ON g.stage_id = i.stage_id
JOIN events e ON e.event_id = i.event_id
JOIN stage_status x ON x.student_no = i.student_no AND x.stage_id = i.stage_id
LEFT JOIN latest l ON l.item_no = i.item_no
WHERE i.check_id = :check_id
ORDER BY i.item_no;

-- name: spot_check_outcome_history(check_id)
-- Every outcome ever recorded in one check, newest first. Parameters: :check_id.
SELECT o.outcome_id, o.item_no, o.outcome, o.note, o.checked_by, o.checked_at
FROM spot_check_outcomes o
WHERE o.check_id = :check_id
ORDER BY o.outcome_id DESC;

-- name: mark_history(student_no, stage_id)
-- Every mark ever made on one student's stage, oldest first. Parameters: :student_no, :stage_id.
SELECT e.event_id, e.marked_at, e.action, e.state_before, e.state_after, e.reason, e.note,
       e.actor, e.source, e.source_ref, e.evidence
FROM events e
WHERE e.student_no = :student_no AND e.stage_id = :stage_id
ORDER BY e.event_id;
