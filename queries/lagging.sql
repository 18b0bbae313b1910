-- name: lagging_students(batch, college, stage, campus, level, clearance_type, as_of)
-- Every student of a batch with an open stage (× 未办理 or × 不通过): what is open, what to
-- bring, where to go on the student's own campus (campus_routes), and the student's phone;
-- most open stages first. :college NULL = every college; :stage keeps students for whom that
-- stage is open (their other open stages are still listed); NULL filters mean all.
-- :as_of (a DATE; NULL = now) lists the stages that were still open at the end of that day,
-- the dashboards' "as of" rule: a stage is ✓ then if it is ✓ now and became ✓ by that day.
-- The open rows are found on stage_status alone (the student's batch, college, campus, level
-- and type are copied onto it, migration 033); only they are joined with `students` for the
-- name and phone. Parameters: :batch, :college, :stage, :campus, :level, :clearance_type, :as_of.
WITH open_rows AS (
    SELECT student_no, stage_id, state, reason, student_campus, student_type
    FROM stage_status
    WHERE student_batch = :batch
      AND NOT (done_on IS NOT NULL AND (:as_of IS NULL OR done_on <= :as_of))  -- done_on: ✓ day, 036
      AND (:college IS NULL OR student_college = :college)
      AND (:campus IS NULL OR student_campus = :campus)
      AND (:level IS NULL OR student_level = :level)
      AND (:clearance_type IS NULL OR student_type = :clearance_type)
), per_student AS (
    -- One unordered list of structs per student, sorted once by the handbook's order (seq
    -- first): five ORDER BY aggregates sorted each group five times.
    SELECT x.student_no,
           list_sort(list({'seq': g.seq, 'id': x.stage_id, 'name': g.name,
                           'brings': g.name || '：' || coalesce(sb.brings, g.brings),
                           'where': g.name || '：' || r.room || CASE WHEN r.phone <> ''
                                    THEN '（电话 ' || r.phone || '）' ELSE '' END,
                           'rejected': CASE WHEN x.state = 'rejected'
                                       THEN g.name || '：' || coalesce(x.reason, '') END})) AS open
    FROM open_rows x
    JOIN stages g USING (stage_id)
    LEFT JOIN campus_routes r ON r.campus = x.student_campus AND r.stage_id = x.stage_id
    LEFT JOIN stage_brings sb ON sb.stage_id = x.stage_id AND sb.clearance_type = x.student_type
    GROUP BY x.student_no
    HAVING :stage IS NULL OR bool_or(x.stage_id = :stage)
), lagging AS (
    SELECT student_no,
           len(open) AS open_count,
           list_transform(open, lambda o: o.id) AS open_stage_ids,
           array_to_string(list_transform(open, lambda o: o.name), '、') AS open_stages,
           nullif(array_to_string(list_filter(list_transform(open, lambda o: o.brings), lambda v: v IS NOT NULL), '；'), '') AS brings,
           nullif(array_to_string(list_filter(list_transform(open, lambda o: o.where), lambda v: v IS NOT NULL), '；'), '') AS where_to_go,
           nullif(array_to_string(list_filter(list_transform(open, lambda o: o.rejected), lambda v: v IS NOT NULL), '；'), '') AS rejected_reasons
    FROM per_student
)
SELECT s.student_no, s.name, s.college, s.level, s.clearance_type, s.campus, s.phone,
       l.open_count, l.open_stage_ids, l.open_stages, l.brings, l.where_to_go, l.rejected_reasons
FROM lagging l
JOIN students s USING (student_no)
-- The same filters on `students` as on the copies (they agree: clearance.store.integrity checks
-- it): the scan then reads names and phones of that college only, not of every student.
WHERE s.batch_id = :batch
  AND (:college IS NULL OR s.college = :college)
  AND (:campus IS NULL OR s.campus = :campus)
  AND (:level IS NULL OR s.level = :level)
  AND (:clearance_type IS NULL OR s.clearance_type = :clearance_type)
ORDER BY l.open_count DESC, s.student_no;

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
-- College and filters from the status row's copies (migration 033): no join.
-- Parameters: :batch, :campus, :level, :clearance_type, :as_of.
WITH per_student AS (
    SELECT student_no, any_value(student_college) AS college,
           list(stage_id ORDER BY stage_id) FILTER (
               WHERE NOT (done_on IS NOT NULL AND done_on <= :as_of)  -- done_on: ✓ day, 036
           ) AS open_stages
    FROM stage_status
    WHERE student_batch = :batch
      AND (:campus IS NULL OR student_campus = :campus)
      AND (:level IS NULL OR student_level = :level)
      AND (:clearance_type IS NULL OR student_type = :clearance_type)
    GROUP BY student_no
)
SELECT college, open_stages, count(*) AS students
FROM per_student
WHERE len(open_stages) > 0
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
