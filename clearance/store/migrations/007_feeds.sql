-- 007: feeds from the campus systems (finance, loans, party, library, hospital, thesis centre,
-- card centre). A feed run is an import_runs row; its marks carry source_ref = run_id.

-- How the file arrived (upload / inbox / cli; NULL for older rows) and the stage it marks.
ALTER TABLE import_runs ADD COLUMN channel VARCHAR;
ALTER TABLE import_runs ADD COLUMN stage_id VARCHAR;

-- Rows a feed run left alone, and why (a newer staff mark, not in the roster, a party member…),
-- so the import history can answer "why was this student not passed?".
CREATE TABLE feed_skips (
    run_id            VARCHAR NOT NULL,
    student_no        VARCHAR NOT NULL,
    reason            VARCHAR NOT NULL
);
CREATE INDEX feed_skips_run ON feed_skips (run_id);

-- Files refused whole (nothing changed), with the Chinese error list: an office can see that
-- its 14:30 export was refused and why.
CREATE TABLE feed_refusals (
    refusal_id        BIGINT PRIMARY KEY,
    kind              VARCHAR NOT NULL,
    file_name         VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,
    channel           VARCHAR NOT NULL,
    actor             VARCHAR NOT NULL,
    refused_at        TIMESTAMP NOT NULL,
    errors            VARCHAR[] NOT NULL
);
