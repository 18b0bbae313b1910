-- 030: what a pass recorded (issue 10): the stage's ticked 核对事项 and typed fields, as JSON
-- text ({"checked": [...], "fields": {...}}; JSON text, not the JSON type, because the json
-- extension is not autoloaded). NULL for every other action and for marks made before.
-- And ✓ in one place for SQL: is_done(state), beside clearance.rules.catalogue.DONE_STATES.
ALTER TABLE events ADD COLUMN evidence VARCHAR;
-- 学生需带 per clearance type where the checklist drops something (stages.brings is the default).
CREATE TABLE stage_brings (
    stage_id          VARCHAR NOT NULL,
    clearance_type    VARCHAR NOT NULL,
    brings            VARCHAR NOT NULL,
    PRIMARY KEY (stage_id, clearance_type)
);
CREATE MACRO is_done(state) AS state IN ('passed', 'not_needed');
