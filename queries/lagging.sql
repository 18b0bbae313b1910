-- name: lagging_students(batch, college, stage, campus, level, clearance_type, as_of)
-- Every student of a batch with an open stage (× 未办理 or × 不通过): what is open, what to
-- bring, where to go on the student's own campus (campus_routes), and the student's phone;
-- most open stages first. :college NULL = every college; :stage keeps students for whom that
-- stage is open (their other open stages are still listed); NULL filters mean all.
-- :as_of (a DATE; NULL = now) lists the stages that were still open at the end of that day,
-- the dashboards' "as of" rule: a stage is ✓ then if it is ✓ now and became ✓ by that day.
-- Parameters: :batch, :college, :stage, :campus, :level, :clearance_type, :as_of.
SELECT s.student_no, s.name, s.college, s.level, s.clearance_type, s.campus, s.phone,
       count(*) AS open_count,
       list(x.stage_id ORDER BY g.seq) AS open_stage_ids,
       string_agg(g.name, '、' ORDER BY g.seq) AS open_stages,
       string_agg(g.name || '：' || g.brings, '；' ORDER BY g.seq) AS brings,
       string_agg(g.name || '：' || r.room || CASE WHEN r.phone <> '' THEN '（电话 ' || r.phone || '）'
                                                   ELSE '' END, '；' ORDER BY g.seq) AS where_to_go,
       string_agg(CASE WHEN x.state = 'rejected' THEN g.name || '：' || coalesce(x.reason, '') END,
                  '；' ORDER BY g.seq) AS rejected_reasons
FROM stage_status x
JOIN students s USING (student_no)
JOIN stages g USING (stage_id)
LEFT JOIN campus_routes r ON r.campus = s.campus AND r.stage_id = x.stage_id
WHERE s.batch_id = :batch
  AND NOT (x.state IN ('passed', 'not_needed')
           AND (:as_of IS NULL OR CAST(x.updated_at AS DATE) <= :as_of))
  AND (:college IS NULL OR s.college = :college)
  AND (:campus IS NULL OR s.campus = :campus)
  AND (:level IS NULL OR s.level = :level)
  AND (:clearance_type IS NULL OR s.clearance_type = :clearance_type)
GROUP BY s.student_no, s.name, s.college, s.level, s.clearance_type, s.campus, s.phone
HAVING :stage IS NULL OR bool_or(x.stage_id = :stage)
ORDER BY open_count DESC, s.student_no;

-- name: last_seen_at_desk(batch, college)
-- Per student of a college: the last time anyone saw them at a desk — a mark made in person
-- (source page: 办理; card: 刷卡办理) or a card tapped on a desk's reader. Students never seen
-- are absent. Parameters: :batch, :college.
WITH mine AS (
    SELECT student_no FROM students WHERE batch_id = :batch AND college = :college
), seen AS (
    SELECT e.student_no, e.marked_at AS seen_at, g.name AS place
    FROM events e JOIN mine USING (student_no) JOIN stages g USING (stage_id)
    WHERE e.source IN ('page', 'card')
    UNION ALL
    SELECT d.student_no, d.scanned_at, k.name
    FROM desk_scans d JOIN mine USING (student_no) JOIN desks k USING (desk_id)
)
SELECT student_no, max(seen_at) AS last_seen_at, arg_max(place, seen_at) AS last_seen_place
FROM seen
GROUP BY student_no;

-- name: open_sets(batch, campus, level, clearance_type, as_of)
-- Students of a batch not cleared at the end of :as_of (a DATE), counted per college and the
-- exact set of stages still open for them then (sorted stage ids). The bottleneck split —
-- who waits on one stage only, who is blocked elsewhere first — is derived from this small
-- result (few distinct sets). NULL filters mean all. "Open as of": not (✓ now and ✓ by then).
-- Parameters: :batch, :campus, :level, :clearance_type, :as_of.
WITH per_student AS (
    SELECT student_no,
           list(stage_id ORDER BY stage_id) FILTER (
               WHERE NOT (state IN ('passed', 'not_needed') AND CAST(updated_at AS DATE) <= :as_of)
           ) AS open_stages
    FROM stage_status
    GROUP BY student_no
)
SELECT s.college, p.open_stages, count(*) AS students
FROM per_student p
JOIN students s USING (student_no)
WHERE s.batch_id = :batch
  AND len(p.open_stages) > 0
  AND (:campus IS NULL OR s.campus = :campus)
  AND (:level IS NULL OR s.level = :level)
  AND (:clearance_type IS NULL OR s.clearance_type = :clearance_type)
GROUP BY ALL;

-- name: reminder_sends(batch, college)
-- The reminders a college's students were sent, one row per send (newest first): who sent it
-- (account and display name), when, how, how many students and which. Parameters: :batch, :college.
SELECT r.send_id, r.sent_at, r.sent_by, coalesce(a.display_name, r.sent_by) AS sender,
       r.channel, count(*) AS students,
       string_agg(r.student_no || ' ' || s.name, '、' ORDER BY r.student_no) AS who
FROM reminders r
JOIN students s USING (student_no)
LEFT JOIN staff a ON a.username = r.sent_by
WHERE r.batch_id = :batch AND r.college = :college
GROUP BY r.send_id, r.sent_at, r.sent_by, a.display_name, r.channel
ORDER BY r.sent_at DESC, r.send_id DESC;

-- name: last_reminded(batch, college)
-- Per student of a college who was reminded: the last reminder's time and sender, and how many
-- reminders in all. Parameters: :batch, :college.
SELECT student_no, max(sent_at) AS reminded_at, arg_max(sent_by, sent_at) AS reminded_by,
       count(*) AS reminders
FROM reminders
WHERE batch_id = :batch AND college = :college
GROUP BY student_no;
