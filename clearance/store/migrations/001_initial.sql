-- 001: the clearance store.
-- Batches, colleges, students, the stage catalogue, current status per student and stage,
-- the append-only event log of every mark, and import runs.

CREATE TABLE batches (
    batch_id          VARCHAR PRIMARY KEY,      -- e.g. '2018-06'
    title             VARCHAR NOT NULL,
    period_start      DATE NOT NULL,            -- 集中办理 start
    period_end        DATE NOT NULL,
    diploma_start     DATE,                     -- 毕业证、学位证发放
    diploma_end       DATE,
    card_deactivation DATE                      -- 校园卡停用
);

CREATE TABLE colleges (
    college VARCHAR PRIMARY KEY
);

CREATE TABLE students (
    student_no        VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    name_initials     VARCHAR NOT NULL,         -- pinyin initials, for 'zs' → 张三
    college           VARCHAR NOT NULL,
    level             VARCHAR NOT NULL,         -- 博士 / 硕士
    clearance_type    VARCHAR NOT NULL,         -- 毕业 / 结业 / 肄业 / 退学
    campus            VARCHAR NOT NULL,         -- A区 / B区 / C区 / 虎溪
    advisor           VARCHAR NOT NULL,
    phone             VARCHAR NOT NULL,
    political_status  VARCHAR NOT NULL,
    batch_id          VARCHAR NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE stages (
    stage_id          VARCHAR PRIMARY KEY,
    seq               INTEGER NOT NULL,
    name              VARCHAR NOT NULL,
    department        VARCHAR NOT NULL,
    scope             VARCHAR NOT NULL,         -- college / school
    brings            VARCHAR NOT NULL,
    checks            VARCHAR NOT NULL,
    note              VARCHAR NOT NULL,
    prerequisites     VARCHAR[] NOT NULL,       -- resolved: '*' expanded to every other stage
    advice_after      VARCHAR[] NOT NULL,
    not_required_for  VARCHAR[] NOT NULL
);

CREATE TABLE stage_items (
    stage_id          VARCHAR NOT NULL,
    item_no           INTEGER NOT NULL,
    text              VARCHAR NOT NULL,
    not_required_for  VARCHAR[] NOT NULL,
    PRIMARY KEY (stage_id, item_no)
);

CREATE TABLE stage_locations (
    stage_id          VARCHAR NOT NULL,
    campus            VARCHAR NOT NULL,         -- a campus name, or 'default'
    room              VARCHAR NOT NULL,
    phone             VARCHAR NOT NULL,
    hours             VARCHAR NOT NULL,
    PRIMARY KEY (stage_id, campus)
);

-- Where each campus's students go: resolved from the catalogue's campus rules, so a query can
-- join student → campus → location without repeating the fallback logic.
CREATE TABLE campus_routes (
    campus            VARCHAR NOT NULL,
    stage_id          VARCHAR NOT NULL,
    room              VARCHAR NOT NULL,
    phone             VARCHAR NOT NULL,
    hours             VARCHAR NOT NULL,
    PRIMARY KEY (campus, stage_id)
);

-- Current state of each student at each stage; kept in step with `events` in one transaction.
CREATE TABLE stage_status (
    student_no        VARCHAR NOT NULL,
    stage_id          VARCHAR NOT NULL,
    state             VARCHAR NOT NULL,         -- open / passed / not_needed / rejected
    reason            VARCHAR,                  -- rejection or reset reason shown to the student
    updated_at        TIMESTAMP,
    updated_by        VARCHAR,
    source            VARCHAR,
    last_event_id     BIGINT,
    PRIMARY KEY (student_no, stage_id)
);

-- Append-only: every mark ever made. Never updated, never deleted. event_id is assigned under
-- the store's write lock (max + 1), so ids follow commit order.
CREATE TABLE events (
    event_id          BIGINT PRIMARY KEY,
    student_no        VARCHAR NOT NULL,
    stage_id          VARCHAR NOT NULL,
    action            VARCHAR NOT NULL,         -- pass / not_needed / reject / reset
    state_before      VARCHAR NOT NULL,
    state_after       VARCHAR NOT NULL,
    reason            VARCHAR,
    note              VARCHAR,
    actor             VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,         -- page / bulk / feed / card / import / demo
    source_ref        VARCHAR,                  -- e.g. the import run id of a feed
    marked_at         TIMESTAMP NOT NULL
);
CREATE INDEX events_student ON events (student_no);

CREATE TABLE import_runs (
    run_id            VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL,         -- roster / finance / library / ...
    batch_id          VARCHAR,
    file_name         VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,         -- sha256 of the file's bytes
    row_count         INTEGER NOT NULL,
    actor             VARCHAR NOT NULL,
    imported_at       TIMESTAMP NOT NULL,
    inserted          INTEGER NOT NULL DEFAULT 0,
    updated           INTEGER NOT NULL DEFAULT 0,
    passed            INTEGER NOT NULL DEFAULT 0,
    rejected          INTEGER NOT NULL DEFAULT 0,
    unchanged         INTEGER NOT NULL DEFAULT 0,
    skipped           INTEGER NOT NULL DEFAULT 0
);

-- Small key/value settings, e.g. the hash of the catalogue file last loaded.
CREATE TABLE settings (
    key               VARCHAR PRIMARY KEY,
    value             VARCHAR NOT NULL
);
