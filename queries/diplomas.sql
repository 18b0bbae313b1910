-- name: diploma_desk(batch, college)
-- Students of one college whose every stage is ✓, with the hand-over of each certificate if
-- recorded. Parameters: :batch, :college.
WITH cleared AS (
    SELECT x.student_no
    FROM stage_status x
    JOIN students s USING (student_no)
    WHERE s.batch_id = :batch AND s.college = :college
    GROUP BY x.student_no
    HAVING bool_and(is_done(x.state))
)
SELECT s.student_no, s.name, s.level, s.clearance_type, s.campus, s.phone,
       d.received_by AS diploma_received_by, d.handed_at AS diploma_handed_at,
       d.recorded_by AS diploma_recorded_by,
       g.received_by AS degree_received_by, g.handed_at AS degree_handed_at,
       g.recorded_by AS degree_recorded_by
FROM cleared
JOIN students s USING (student_no)
LEFT JOIN diploma_handovers d ON d.student_no = s.student_no AND d.kind = 'diploma'
LEFT JOIN diploma_handovers g ON g.student_no = s.student_no AND g.kind = 'degree'
ORDER BY s.student_no;

-- name: diploma_log(batch, college)
-- Every recorded hand-over of one college's students, newest first: the audit of who recorded
-- what and when. Parameters: :batch, :college.
SELECT h.handover_id, h.student_no, s.name, h.kind, h.received_by, h.handed_at, h.note,
       h.recorded_by, h.recorded_at, h.source
FROM diploma_handovers h
JOIN students s USING (student_no)
WHERE s.batch_id = :batch AND s.college = :college
ORDER BY h.handover_id DESC;

-- name: college_list(batch)
-- The colleges with students in a batch, by name. Parameters: :batch.
SELECT DISTINCT college FROM students WHERE batch_id = :batch ORDER BY college;
