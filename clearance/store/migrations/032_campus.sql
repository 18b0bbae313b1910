-- 032: a staff member's campus (校区) and a card desk's campus, so the card desk opens on the
-- staff member's own campus's desk. NULL: not set (a school-wide account, a desk of old).
-- Values are campus names of config/stages.toml [campuses]; the domain checks them.
ALTER TABLE staff ADD COLUMN campus VARCHAR;
ALTER TABLE desks ADD COLUMN campus VARCHAR;
