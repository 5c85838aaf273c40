-- Tracking an improvement plan (docs/method.md §7.6, §7.9): the reporting periods the
-- secretariat opens with their due dates, the evidence files of a report (the evidence store's
-- files), the roll-up's narrative per period.
CREATE TABLE plan_periods (
    id INTEGER PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    -- domain::plan::Period::as_code: 2026-Q4, 2026-H1, 2026
    period TEXT NOT NULL,
    due_on DATE NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by_name TEXT NOT NULL,
    CONSTRAINT uq_plan_periods UNIQUE (plan_id, period)
);

CREATE TABLE plan_report_files (
    id INTEGER PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES plan_task_reports (id) ON DELETE CASCADE,
    file_id BIGINT NOT NULL REFERENCES evidence_files (id),
    file_name TEXT NOT NULL
);
CREATE INDEX ix_plan_report_files_file ON plan_report_files (file_id);

CREATE TABLE plan_rollups (
    id INTEGER PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    narrative TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by_name TEXT NOT NULL,
    CONSTRAINT uq_plan_rollups UNIQUE (plan_id, period)
);

-- Notices of the plans: a task due soon or overdue, a period opened, a task assigned. SQLite
-- cannot change a CHECK in place: the table (referenced by no other) is rebuilt with its rows.
CREATE TEMP TABLE notifications_copy AS SELECT * FROM notifications;
DROP TABLE notifications;
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('round_opened', 'explanation_requested', 'deadline_soon',
        'extension_granted', 'sheet_returned', 'results_published', 'task_due_soon', 'task_overdue',
        'period_opened', 'task_assigned')),
    notice_key TEXT NOT NULL,
    args TEXT NOT NULL,
    link TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT,
    emailed_at TEXT,
    email_attempts BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT uq_notifications_key UNIQUE (user_id, notice_key)
);
INSERT INTO notifications SELECT * FROM notifications_copy;
DROP TABLE notifications_copy;
CREATE INDEX ix_notifications_unread ON notifications (user_id, read_at);
