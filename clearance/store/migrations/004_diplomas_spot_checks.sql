-- 004: the diploma desk and the graduate school's spot checks (抽查).

-- Each certificate handed to a student: who received it, when, and who recorded it.
-- Append-only; one row per student and certificate kind (a certificate is handed over once).
CREATE TABLE diploma_handovers (
    handover_id       BIGINT PRIMARY KEY,
    student_no        VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,         -- diploma (毕业/结业/肄业证书) / degree (学位证书)
    received_by       VARCHAR NOT NULL,         -- 本人, or the proxy's name (代领)
    handed_at         TIMESTAMP NOT NULL,       -- when the certificate changed hands
    note              VARCHAR,
    recorded_by       VARCHAR NOT NULL,         -- the staff account that recorded it (audit)
    recorded_at       TIMESTAMP NOT NULL,
    source            VARCHAR NOT NULL,         -- page / api / demo
    UNIQUE (student_no, kind)
);

-- A spot check: a random sample of passed marks drawn by the graduate school.
CREATE TABLE spot_checks (
    check_id          BIGINT PRIMARY KEY,
    batch_id          VARCHAR NOT NULL,
    stage_id          VARCHAR,                  -- NULL = every stage
    college           VARCHAR,                  -- NULL = every college
    sample_size       INTEGER NOT NULL,
    seed              BIGINT NOT NULL,          -- the draw is reproducible from it
    drawn_by          VARCHAR NOT NULL,
    drawn_at          TIMESTAMP NOT NULL
);

-- The marks in a sample, fixed at the draw (the pass event that made the stage ✓).
CREATE TABLE spot_check_items (
    check_id          BIGINT NOT NULL,
    item_no           INTEGER NOT NULL,
    student_no        VARCHAR NOT NULL,
    stage_id          VARCHAR NOT NULL,
    event_id          BIGINT NOT NULL,
    PRIMARY KEY (check_id, item_no)
);

-- Outcomes, append-only: the latest per item is the current one; earlier ones stay as history.
CREATE TABLE spot_check_outcomes (
    outcome_id        BIGINT PRIMARY KEY,
    check_id          BIGINT NOT NULL,
    item_no           INTEGER NOT NULL,
    outcome           VARCHAR NOT NULL,         -- ok / problem
    note              VARCHAR,
    checked_by        VARCHAR NOT NULL,
    checked_at        TIMESTAMP NOT NULL
);
