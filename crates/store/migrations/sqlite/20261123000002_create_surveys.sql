-- Surveys (issue 5, SQLite): questionnaires as data, waves with their units and target samples,
-- one-time tokens, kiosk devices, raw responses with the answers packed one byte per item, and
-- the pre-aggregated counters that every accepted response updates in its own transaction
-- (engineering guide §4). The PostgreSQL migration of the same version creates the same tables.

-- A questionnaire version: the definition is the survey crate's text (items in order, scale,
-- factors); the answers of a response are packed in the order of its items.
CREATE TABLE questionnaires (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('toml', 'json')),
    definition TEXT NOT NULL,
    -- what the store checks and packs: item codes and value counts, demographics, expectation
    -- areas (JSON, written from the definition by the survey crate)
    shape TEXT NOT NULL,
    item_count INTEGER NOT NULL CHECK (item_count BETWEEN 1 AND 255),
    created_at TEXT NOT NULL,
    CONSTRAINT uq_questionnaires_code_version UNIQUE (code, version)
);

CREATE TABLE waves (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER REFERENCES campaigns (id),
    questionnaire_id INTEGER NOT NULL REFERENCES questionnaires (id),
    title TEXT NOT NULL,
    period_year INTEGER NOT NULL,
    period_quarter INTEGER CHECK (period_quarter BETWEEN 1 AND 4),
    opens_on DATE,
    closes_on DATE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    -- the margin of error e of n = N / (1 + N·e²) (domain.md §3.4)
    margin_e DOUBLE PRECISION NOT NULL CHECK (margin_e > 0 AND margin_e < 1),
    -- same answers from the same source within this many seconds look duplicated
    duplicate_window_seconds INTEGER NOT NULL CHECK (duplicate_window_seconds >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE wave_units (
    wave_id INTEGER NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES org_units (id),
    -- transactions N the unit declares for the period, and n computed from it
    transactions BIGINT CHECK (transactions >= 0),
    target_sample BIGINT,
    -- the short link of the public form (/ks/<slug>)
    slug TEXT NOT NULL,
    PRIMARY KEY (wave_id, unit_id),
    CONSTRAINT uq_wave_units_slug UNIQUE (slug)
);

-- One-time links / QR codes: only the SHA-256 of the token is kept.
CREATE TABLE survey_tokens (
    id INTEGER PRIMARY KEY,
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    token_hash TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    used_at TEXT,
    response_id BIGINT,
    FOREIGN KEY (wave_id, unit_id) REFERENCES wave_units (wave_id, unit_id) ON DELETE CASCADE,
    CONSTRAINT uq_survey_tokens_hash UNIQUE (token_hash)
);
CREATE INDEX ix_survey_tokens_wave_unit ON survey_tokens (wave_id, unit_id);

-- Kiosks and the one-stop-shop software: an API key (its SHA-256) per device.
CREATE TABLE survey_devices (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units (id),
    -- NULL: the unit's open wave at the time of each submission
    wave_id INTEGER REFERENCES waves (id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    CONSTRAINT uq_survey_devices_key UNIQUE (key_hash)
);

-- One per bulk import of a file: the counts, and the responses it brought.
CREATE TABLE survey_imports (
    id INTEGER PRIMARY KEY,
    wave_id INTEGER NOT NULL REFERENCES waves (id),
    file_name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    skip_bad_rows BOOLEAN NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    by_name TEXT NOT NULL
);

-- One row per response, not one per answer (engineering guide §4). answers: one byte per item
-- in the questionnaire's item order, 0 = blank; demographics likewise; expectations: the
-- chosen areas, one byte each.
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    respondent_id TEXT,
    token_id BIGINT,
    device_id BIGINT,
    import_id BIGINT,
    weight DOUBLE PRECISION NOT NULL CHECK (weight > 0),
    answers BLOB NOT NULL,
    demographics BLOB,
    expectations BLOB,
    comment TEXT,
    -- SHA-256 of the submitting address (never the address itself)
    source_hash TEXT,
    submitted_at TEXT NOT NULL,
    -- looks duplicated (same answers, same source, within the wave's window): kept, not counted
    flagged_duplicate BOOLEAN NOT NULL DEFAULT FALSE,
    FOREIGN KEY (wave_id, unit_id) REFERENCES wave_units (wave_id, unit_id)
);
-- Partial unique indexes: most rows have neither, and NULLs need no index entry.
CREATE UNIQUE INDEX uq_responses_respondent ON responses (wave_id, unit_id, respondent_id)
    WHERE respondent_id IS NOT NULL;
CREATE UNIQUE INDEX uq_responses_token ON responses (token_id) WHERE token_id IS NOT NULL;
CREATE INDEX ix_responses_source ON responses (wave_id, source_hash, submitted_at)
    WHERE source_hash IS NOT NULL;

-- Counters, upserted in the transaction of each response (or once per import batch), in the
-- shape of the survey crate's `Counts`: n, Σ weight and Σ weight² (for the confidence interval's
-- effective sample size). Values and areas are 1-based positions, as in the packed answers.
CREATE TABLE response_stats (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    -- counted responses; flagged duplicates are only counted in `flagged`
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    flagged BIGINT NOT NULL,
    -- respondents who chose at least one expectation area, and responses with a comment
    expectations_n BIGINT NOT NULL,
    expectations_weight_sum DOUBLE PRECISION NOT NULL,
    expectations_weight_sq_sum DOUBLE PRECISION NOT NULL,
    comments BIGINT NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel)
) WITHOUT ROWID;

CREATE TABLE answer_stats (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    -- 0-based position of the item in the questionnaire
    item INTEGER NOT NULL,
    value INTEGER NOT NULL,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, item, value)
) WITHOUT ROWID;

CREATE TABLE demographic_stats (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    -- 0-based position of the demographic question
    question INTEGER NOT NULL,
    value INTEGER NOT NULL,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, question, value)
) WITHOUT ROWID;

CREATE TABLE expectation_stats (
    wave_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    area INTEGER NOT NULL,
    n BIGINT NOT NULL,
    weight_sum DOUBLE PRECISION NOT NULL,
    weight_sq_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (wave_id, unit_id, channel, area)
) WITHOUT ROWID;

-- Which survey result fills which survey leaf of a campaign's framework: points = the value
-- (the questionnaire's index, a factor's index or an item's score, in %) × the leaf's max / 100.
CREATE TABLE survey_leaf_maps (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    node_id INTEGER NOT NULL REFERENCES framework_nodes (id),
    wave_id INTEGER NOT NULL REFERENCES waves (id),
    -- 'index', 'factor:<code>' or 'item:<code>'
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT uq_survey_leaf_maps UNIQUE (campaign_id, node_id)
);
