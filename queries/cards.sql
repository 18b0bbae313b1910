-- name: student_card(student_no)
-- A student's campus cards (newest binding first), with the balance from the card centre's
-- export. Parameters: :student_no.
SELECT uid, card_no, balance, source, bound_by, bound_at
FROM card_bindings
WHERE student_no = :student_no
ORDER BY bound_at DESC;

-- name: card_binding_summary()
-- How many cards are bound, by how, and when the last export was imported.
SELECT count(*) AS cards,
       count(DISTINCT student_no) AS students,
       count(*) FILTER (WHERE source = 'tap') AS bound_by_tap,
       (SELECT max(imported_at) FROM import_runs WHERE kind = 'cards') AS last_import
FROM card_bindings;

-- name: desk_list()
-- Every desk ever issued, active first, with its stage and last scan.
SELECT d.desk_id, d.name, d.stage_id, g.name AS stage_name, d.campus, d.created_by, d.created_at,
       d.last_seen_at, d.revoked_at, d.revoked_by,
       (SELECT count(*) FROM desk_scans s WHERE s.desk_id = d.desk_id) AS scans
FROM desks d LEFT JOIN stages g USING (stage_id)
ORDER BY d.revoked_at IS NOT NULL, d.name;

-- name: desk_scans_after(desk_id, after)
-- A desk's scans newer than scan id :after, oldest first. Parameters: :desk_id, :after.
SELECT scan_id, uid, reader, student_no, scanned_at
FROM desk_scans
WHERE desk_id = :desk_id AND scan_id > :after
ORDER BY scan_id;

-- name: desk_last_scan_id(desk_id)
-- The newest scan id of a desk (0 when none). Parameters: :desk_id.
SELECT coalesce(max(scan_id), 0) AS last_scan_id FROM desk_scans WHERE desk_id = :desk_id;
