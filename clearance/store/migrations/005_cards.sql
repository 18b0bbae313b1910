-- 005: campus cards, card desks and their scans.
-- A card binding ties a card's UID (hex, bytes in the order the PC/SC reader returns them) to a
-- student; the card centre's export also gives the printed card number and the balance.
-- A desk is a PC with a reader at an office; its agent authenticates with a token whose SHA-256
-- is kept here (the token itself is shown once). Every scan a desk agent sends is kept.

CREATE TABLE card_bindings (
    uid               VARCHAR PRIMARY KEY,      -- upper-case hex as read by the reader
    student_no        VARCHAR NOT NULL,
    card_no           VARCHAR NOT NULL,         -- the number printed on the card ('' if unknown)
    balance           DECIMAL(12, 2),           -- from the export; NULL when bound by a tap
    export_uid        VARCHAR NOT NULL,         -- the UID exactly as the export wrote it
    source            VARCHAR NOT NULL,         -- import / tap
    bound_by          VARCHAR NOT NULL,
    bound_at          TIMESTAMP NOT NULL,
    import_run_id     VARCHAR
);
CREATE INDEX card_bindings_student ON card_bindings (student_no);
CREATE INDEX card_bindings_card_no ON card_bindings (card_no);

CREATE TABLE desks (
    desk_id           VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,         -- e.g. 一卡通中心 A区 1号台
    stage_id          VARCHAR NOT NULL,         -- the stage this desk marks
    token_hash        VARCHAR NOT NULL UNIQUE,  -- sha256 hex of the token
    created_by        VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    revoked_by        VARCHAR,
    revoked_at        TIMESTAMP,
    last_seen_at      TIMESTAMP                 -- last authenticated request
);

CREATE TABLE desk_scans (
    scan_id           BIGINT PRIMARY KEY,       -- assigned under the store's write lock
    desk_id           VARCHAR NOT NULL,
    uid               VARCHAR NOT NULL,
    reader            VARCHAR NOT NULL,
    student_no        VARCHAR,                  -- NULL: unknown card
    scanned_at        TIMESTAMP NOT NULL
);
CREATE INDEX desk_scans_desk ON desk_scans (desk_id, scan_id);
