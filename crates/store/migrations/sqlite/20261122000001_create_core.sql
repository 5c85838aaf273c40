-- Core schema of chiso (SQLite). The PostgreSQL migration of the same version creates the
-- same tables; a test compares the two folders. Points are integer ten-thousandths.

CREATE TABLE org_units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- lowercase, without diacritics, đ → d: searched with LIKE on both backends
    name_search TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('nation', 'province', 'department', 'commune', 'ministry')),
    parent_id INTEGER REFERENCES org_units (id),
    region TEXT,
    valid_from DATE NOT NULL DEFAULT '1900-01-01',
    valid_to DATE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_org_units_code_period UNIQUE (code, valid_from)
);
CREATE INDEX ix_org_units_parent ON org_units (parent_id);

CREATE TABLE unit_lineage (
    id INTEGER PRIMARY KEY,
    predecessor_id INTEGER NOT NULL REFERENCES org_units (id),
    successor_id INTEGER NOT NULL REFERENCES org_units (id),
    kind TEXT NOT NULL CHECK (kind IN ('merge', 'split', 'rename')),
    effective_date DATE NOT NULL,
    weight DOUBLE PRECISION,
    note TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_unit_lineage UNIQUE (predecessor_id, successor_id)
);

CREATE TABLE frameworks (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    title_en TEXT,
    year INTEGER,
    methodology TEXT,
    unit_kind TEXT NOT NULL,
    sample BOOLEAN NOT NULL DEFAULT FALSE,
    previous_id INTEGER REFERENCES frameworks (id),
    -- frozen once a campaign that uses it opens (domain.md §2.1)
    frozen BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_frameworks_code_version UNIQUE (code, version)
);

CREATE TABLE framework_nodes (
    id INTEGER PRIMARY KEY,
    framework_id INTEGER NOT NULL REFERENCES frameworks (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    title_en TEXT,
    max_points BIGINT,
    method TEXT,
    guidance TEXT,
    evidence_required BOOLEAN NOT NULL DEFAULT FALSE,
    -- the rule as JSON ({"type": "levels", ...}), as the domain serialises it
    rule TEXT,
    -- codes of the previous version this node continues, JSON array
    continues TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT uq_framework_nodes_code UNIQUE (framework_id, code)
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'appraisal', 'finalized', 'published')),
    appraisal_rounds INTEGER NOT NULL CHECK (appraisal_rounds BETWEEN 1 AND 5),
    self_assessment_deadline DATE,
    explanation_deadline DATE,
    bands TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE campaign_rounds (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    round_no INTEGER NOT NULL,
    deadline DATE,
    PRIMARY KEY (campaign_id, round_no)
);

CREATE TABLE campaign_frameworks (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_group TEXT NOT NULL,
    framework_id INTEGER NOT NULL REFERENCES frameworks (id),
    CONSTRAINT uq_campaign_frameworks_group UNIQUE (campaign_id, unit_group)
);

CREATE TABLE campaign_units (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES org_units (id),
    campaign_framework_id INTEGER NOT NULL REFERENCES campaign_frameworks (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, unit_id)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    full_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT uq_users_username UNIQUE (username)
);

CREATE TABLE role_assignments (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'secretariat', 'unit_editor', 'unit_leader', 'appraiser', 'viewer')),
    -- the unit (and its descendants) the role applies to; NULL = every unit
    unit_id INTEGER REFERENCES org_units (id),
    -- appraisers: the framework areas they appraise, JSON array of codes; NULL = all
    area_codes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_role_assignments_user ON role_assignments (user_id);

CREATE TABLE sessions (
    -- SHA-256 of the cookie token: a copy of the table gives no usable session
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX ix_sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX ix_login_attempts_ip_at ON login_attempts (ip, at);

-- Append-only: who changed what, from what value to what, and why.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    campaign_id INTEGER,
    unit_id INTEGER
);
CREATE INDEX ix_audit_log_entity ON audit_log (entity_type, entity_id);
CREATE INDEX ix_audit_log_campaign ON audit_log (campaign_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
