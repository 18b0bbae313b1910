-- name: find_students(q, college)
-- Students matching a 学号 (exact or prefix), a name (or part of one), or the name's pinyin
-- initials ('zs' → 张三); :college limits the search to one college (college staff), NULL =
-- every college. Exact 学号 first, then initials, then names. One row more than the page shows
-- (51), so the page can say the list was cut. Parameters: :q, :college.
SELECT s.student_no, s.name, s.college, s.level, s.clearance_type, s.campus, s.batch_id,
       CASE WHEN s.student_no = :q THEN 0
            WHEN s.name = :q THEN 1
            WHEN s.name_initials = lower(:q) THEN 2
            WHEN starts_with(s.student_no, :q) THEN 3
            ELSE 4 END AS rank
FROM students s
WHERE length(:q) > 0
  AND (:college IS NULL OR s.college = :college)
  AND (s.student_no = :q
       OR (length(:q) >= 4 AND starts_with(s.student_no, :q))
       OR contains(s.name, :q)
       OR starts_with(s.name_initials, lower(:q)))
ORDER BY rank, s.student_no
LIMIT 51;

-- name: student_college(student_no)
-- The college of one student (to tell college staff a number belongs elsewhere, without
-- showing the student). Parameters: :student_no.
SELECT college FROM students WHERE student_no = :student_no;

-- name: student_row(student_no)
-- One student's whole clearance row: every stage, its state, who marked it last (display name
-- when the actor is a staff account) and when. Parameters: :student_no.
SELECT g.seq, g.stage_id, g.name AS stage_name, g.scope, x.state, x.reason, x.updated_at,
       coalesce(f.display_name, x.updated_by) AS updated_by, x.source
FROM stage_status x
JOIN stages g USING (stage_id)
LEFT JOIN staff f ON f.username = x.updated_by
WHERE x.student_no = :student_no
ORDER BY g.seq;

-- name: student_history(student_no)
-- Every mark ever made on one student, newest first, with the marker's display name and where
-- the mark came from (screen and desk). Parameters: :student_no.
SELECT e.event_id, e.marked_at, g.name AS stage_name, e.action, e.state_before, e.state_after,
       e.reason, e.note, e.actor, coalesce(f.display_name, e.actor) AS actor_name,
       e.source, e.source_ref, e.stage_id, e.evidence
FROM events e
JOIN stages g USING (stage_id)
LEFT JOIN staff f ON f.username = e.actor
WHERE e.student_no = :student_no
ORDER BY e.event_id DESC;

-- name: pending_queue(stage, batch, college, campus, level, clearance_type)
-- Students of a batch still waiting at one stage (× 未办理 or × 不通过), with how many other
-- stages they still owe and their names in the handbook's order. NULL filters match
-- everything. Parameters: :stage, :batch, :college, :campus, :level, :clearance_type.
WITH open_elsewhere AS (
    SELECT o.student_no, count(*) AS other_open,
           string_agg(g.name, '、' ORDER BY g.seq) AS other_open_names
    FROM stage_status o
    JOIN stages g USING (stage_id)
    WHERE NOT is_done(o.state) AND o.stage_id <> :stage
    GROUP BY o.student_no
)
SELECT s.student_no, s.name, s.college, s.campus, s.level, s.clearance_type,
       s.political_status, x.state, x.reason, x.updated_at,
       coalesce(o.other_open, 0) AS other_open, coalesce(o.other_open_names, '') AS other_open_names
FROM stage_status x
JOIN students s USING (student_no)
LEFT JOIN open_elsewhere o USING (student_no)
WHERE x.stage_id = :stage
  AND NOT is_done(x.state)
  AND s.batch_id = :batch
  AND (:college IS NULL OR s.college = :college)
  AND (:campus IS NULL OR s.campus = :campus)
  AND (:level IS NULL OR s.level = :level)
  AND (:clearance_type IS NULL OR s.clearance_type = :clearance_type)
ORDER BY s.college, s.student_no;

-- name: all_colleges()
-- Every college with students. No parameters.
SELECT college FROM colleges ORDER BY college;

-- name: existing_students(student_nos)
-- Which of a list of 学号 are in the roster, with name and college. Parameters: :student_nos
-- (a list).
SELECT student_no, name, college
FROM students
WHERE student_no IN (SELECT unnest(:student_nos))
ORDER BY student_no;
