-- 035: the guessing limits' recent failures, kept across a planned restart (issue 12). The
-- limits count in memory (clearance/adapters/throttle.py: a lookup must not pay a write); the
-- server writes them here when it stops and reads them back (and clears them) when it starts,
-- so a restart for an upgrade or a config change hands nobody a fresh allowance of guesses.
CREATE TABLE throttle_failures (
    limiter    VARCHAR NOT NULL,   -- 'student_lookup' | 'sign_in'
    rule       VARCHAR NOT NULL,   -- per_client, per_student, per_account, global
    key        VARCHAR NOT NULL,   -- a client address, a 学号, a typed username, '*'
    failed_at  DOUBLE  NOT NULL    -- seconds since the epoch
);
