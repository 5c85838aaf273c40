-- In-app notifications, and the e-mail copy of each when SMTP is configured. A notice has a
-- key unique per user (for example the self-assessment deadline of one campaign and unit, 7
-- days ahead): writing it again does nothing, so a reminder is sent once however many
-- processes compute it.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('round_opened', 'explanation_requested', 'deadline_soon',
        'extension_granted', 'sheet_returned', 'results_published')),
    notice_key TEXT NOT NULL,
    -- the values the message is written with, as a JSON object
    args TEXT NOT NULL,
    link TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT,
    -- e-mail: claimed by one process when sent (NULL: not yet, or not to be sent)
    emailed_at TEXT,
    email_attempts BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT uq_notifications_key UNIQUE (user_id, notice_key)
);
CREATE INDEX ix_notifications_unread ON notifications (user_id, read_at);
