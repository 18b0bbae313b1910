-- 020: reminders sent to lagging students (学院催办). One row per student per send; a send is
-- one action of one staff account (the same send_id), so the page can say who reminded which
-- students, when, and with what text. Append-only.
CREATE TABLE reminders (
    reminder_id       BIGINT PRIMARY KEY,       -- assigned under the store's write lock
    send_id           BIGINT NOT NULL,          -- the students reminded in one action share it
    batch_id          VARCHAR NOT NULL,
    student_no        VARCHAR NOT NULL,
    college           VARCHAR NOT NULL,
    channel           VARCHAR NOT NULL,         -- sms (via the campus SMS platform) / phone
    message           VARCHAR NOT NULL,         -- the text sent (one SMS: ≤ 70 characters)
    sent_by           VARCHAR NOT NULL,         -- the staff account
    sent_at           TIMESTAMP NOT NULL
);
CREATE INDEX reminders_student ON reminders (student_no);
