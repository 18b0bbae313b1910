-- 008: staff sign-in sessions, so a reload or a new tab keeps a desk signed in.
-- Only a SHA-256 of the session token is stored; the browser keeps the token in a cookie.
CREATE TABLE staff_sessions (
    token_hash        VARCHAR PRIMARY KEY,
    username          VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    last_seen         TIMESTAMP NOT NULL,
    ended_at          TIMESTAMP
);
