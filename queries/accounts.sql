-- name: staff_list()
-- Every staff account (never the password hash). No parameters.
SELECT username, display_name, role, college, stages, campus, active, must_change_password,
       created_at, updated_at
FROM staff
ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'gradschool' THEN 1 WHEN 'office' THEN 2 ELSE 3 END,
         college NULLS FIRST, username;

-- name: staff_history(username)
-- Changes to staff accounts, newest first; :username NULL = every account.
-- Parameters: :username.
SELECT change_id, changed_at, username, change, detail, actor
FROM staff_changes
WHERE :username IS NULL OR username = :username
ORDER BY change_id DESC
LIMIT 500;
