-- name: student_stages(student_no)
-- One student's row at every stage, in the handbook's order, with where to go on the
-- student's own campus. Parameters: :student_no.
SELECT g.seq, g.stage_id, g.name AS stage_name, g.department, g.scope, g.brings, g.checks,
       g.note, g.prerequisites, g.advice_after, g.not_required_for,
       x.state, x.reason, x.updated_at, x.updated_by, x.source,
       r.room, r.phone, r.hours
FROM stage_status x
JOIN students s USING (student_no)
JOIN stages g USING (stage_id)
LEFT JOIN campus_routes r ON r.campus = s.campus AND r.stage_id = x.stage_id
WHERE x.student_no = :student_no
ORDER BY g.seq;

-- name: student_profile(student_no)
-- One student's roster record. Parameters: :student_no.
SELECT s.*, b.title AS batch_title
FROM students s JOIN batches b USING (batch_id)
WHERE s.student_no = :student_no;

-- name: student_events(student_no)
-- Every mark ever made on one student, newest first. Parameters: :student_no.
SELECT e.event_id, e.marked_at, g.name AS stage_name, e.action, e.state_before, e.state_after,
       e.reason, e.note, e.actor, e.source, e.source_ref, e.stage_id, e.evidence
FROM events e JOIN stages g USING (stage_id)
WHERE e.student_no = :student_no
ORDER BY e.event_id DESC;

-- name: student_record(student_no)
-- One student's roster record alone (no join: an index point lookup). The public student page
-- reads this and student_states on every lookup; stage names, rooms and phones come from the
-- catalogue in memory. Parameters: :student_no.
SELECT * FROM students WHERE student_no = :student_no;

-- name: student_states(student_no)
-- One student's state and reason at every stage (no join). Parameters: :student_no.
SELECT stage_id, state, reason FROM stage_status WHERE student_no = :student_no;

-- name: student_record_states(student_no)
-- student_record with the student's states in the same statement (`states`: a list of
-- [stage_id, state, reason]), for the public student page: one point lookup per lookup instead
-- of two. The subquery is on the parameter, not on the row, so it is not planned as a join.
-- Parameters: :student_no.
SELECT s.*,
       (SELECT list([stage_id, state, reason]) FROM stage_status WHERE student_no = :student_no) AS states
FROM students s
WHERE s.student_no = :student_no;
