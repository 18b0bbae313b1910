-- 002: staff accounts. Passwords are argon2 hashes; repeated failures lock an account a while.
CREATE TABLE staff (
    username          VARCHAR PRIMARY KEY,
    display_name      VARCHAR NOT NULL,
    role              VARCHAR NOT NULL,         -- admin / gradschool / college / office
    college           VARCHAR,                  -- college staff only
    stages            VARCHAR[] NOT NULL,       -- stage ids held
    password_hash     VARCHAR NOT NULL,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins     INTEGER NOT NULL DEFAULT 0,
    locked_until      TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

-- Who changed which account, when: the paper 工作人员变更申请表, kept.
CREATE TABLE staff_changes (
    change_id         BIGINT PRIMARY KEY,
    username          VARCHAR NOT NULL,
    change            VARCHAR NOT NULL,         -- created / updated / disabled / enabled / password_reset / locked
    detail            VARCHAR,
    actor             VARCHAR NOT NULL,
    changed_at        TIMESTAMP NOT NULL
);
