-- 014: running it for a university (issue 14): batches managed in the app, and backups.

-- A closed batch is read-only: the write path refuses marks on its students.
ALTER TABLE batches ADD COLUMN closed_at TIMESTAMP;
ALTER TABLE batches ADD COLUMN closed_by VARCHAR;

-- Every create / edit / close of a batch, by whom and when (append-only).
CREATE TABLE batch_changes (
    change_id         BIGINT PRIMARY KEY,
    batch_id          VARCHAR NOT NULL,
    action            VARCHAR NOT NULL,         -- create / edit / close
    detail            VARCHAR NOT NULL,         -- what changed, in Chinese
    actor             VARCHAR NOT NULL,
    changed_at        TIMESTAMP NOT NULL
);

-- Snapshots written by clearance.backup (the folder also holds a manifest.json).
CREATE TABLE backups (
    backup_id         VARCHAR PRIMARY KEY,      -- the folder name, e.g. 20180625-023000-daily
    folder            VARCHAR NOT NULL,
    trigger           VARCHAR NOT NULL,         -- daily / manual / command / upgrade
    actor             VARCHAR NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    duration_ms       INTEGER NOT NULL,
    lock_ms           INTEGER NOT NULL,         -- how long writes waited
    bytes             BIGINT NOT NULL,
    events            BIGINT NOT NULL,
    last_event_id     BIGINT,
    schema_version    INTEGER NOT NULL,
    sha256            VARCHAR NOT NULL,
    verified          BOOLEAN NOT NULL,
    pruned_at         TIMESTAMP                 -- when the folder was deleted (keep the last N)
);
