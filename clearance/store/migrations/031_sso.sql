-- 031: campus sign-in (统一身份认证, issue 16). A session is a staff member's (username = the
-- account) or, signed in through the campus sign-in, a student's (username = 学号): `kind` keeps
-- them apart, so a 学号 can never resume as a staff account of the same name.
-- sso_tickets maps the CAS service ticket that started a session to it (hashes only): CAS's
-- single sign-out names the ticket; a ticket seen once is never accepted again.
ALTER TABLE staff_sessions ADD COLUMN kind VARCHAR DEFAULT 'staff';
UPDATE staff_sessions SET kind = 'staff';
CREATE TABLE sso_tickets (
    ticket_hash       VARCHAR PRIMARY KEY,
    token_hash        VARCHAR,
    protocol          VARCHAR NOT NULL,
    subject           VARCHAR,
    created_at        TIMESTAMP NOT NULL
);
