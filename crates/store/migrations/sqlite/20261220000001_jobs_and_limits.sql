-- Background jobs (a survey import, a PDF report) where every process sees them: the process
-- that runs a job writes its start, its progress (PostgreSQL) and its outcome; the job's page
-- may be asked of any process behind the load balancer (docs/operations.md, "Scaling out").
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('survey_import', 'report')),
    user_id BIGINT NOT NULL,
    -- The wave of an import; the campaign (or plan) of a report.
    subject_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    -- What kind of report (app::reports::ReportKind's code); empty for imports.
    detail TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT,
    -- The typesetter's step of a report.
    stage TEXT,
    -- What the job's page shows of its outcome (JSON, both languages).
    outcome TEXT,
    -- The made file (a report's PDF).
    result BLOB,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_jobs_updated ON jobs (state, updated_at);

-- Rate limits shared by the processes on one database: hits per key and window.
CREATE TABLE rate_limits (
    limit_key TEXT NOT NULL,
    -- The window's start, in minutes since 1970.
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);
